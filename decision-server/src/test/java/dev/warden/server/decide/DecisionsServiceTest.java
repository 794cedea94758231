package dev.warden.server.decide;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.warden.bundle.BundleDirectory;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.proto.v1.DecideRequest;
import dev.warden.proto.v1.DecideResponse;
import dev.warden.proto.v1.DecisionsGrpc;
import dev.warden.proto.v1.HttpTarget;
import dev.warden.proto.v1.RouteTarget;
import dev.warden.server.ActiveBundle;
import dev.warden.server.admin.ServerMetrics;
import dev.warden.server.authz.Authorizer;
import dev.warden.server.authz.DecideRequestMapper;
import dev.warden.server.authz.DecisionIds;
import dev.warden.server.authz.DecisionRecord;
import dev.warden.server.authz.DecisionRecorder;
import dev.warden.server.authz.Deciding;
import dev.warden.server.authz.RequestMapper;
import dev.warden.server.identity.IdentityResolver;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The direct decide API over the in-process transport, on the example bundle. */
class DecisionsServiceTest {
  static final String ORDER = "7f0c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e01";
  Server server;
  ManagedChannel channel;
  DecisionsGrpc.DecisionsBlockingStub stub;

  @BeforeEach
  void start() throws Exception {
    Instant now = Instant.parse("2026-11-23T10:00:00Z");
    ActiveBundle bundle = new ActiveBundle();
    bundle.activate(new BundleCompiler().compile(BundleDirectory.read(Path.of("..", "policies", "shop")))
        .programOrThrow(), "shop", now);
    String name = InProcessServerBuilder.generateName();
    ServerMetrics metrics = new ServerMetrics();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(new DecisionsService(new Authorizer(bundle, new RequestMapper(Clock.systemUTC(), null),
            new DecideRequestMapper(Clock.fixed(now, ZoneOffset.UTC)), new IdentityResolver(null, "x-api-key", "api_keys"),
            new DecisionIds(), new Deciding(Runnable::run, 100_000_000L, metrics), 403),
            new DecisionRecorder(DecisionRecord.Api.DECIDE, metrics)))
        .build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    stub = DecisionsGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  static Struct claims(String sub, String role, String tenant) {
    return Struct.newBuilder()
        .putFields("sub", Value.newBuilder().setStringValue(sub).build())
        .putFields("roles", Value.newBuilder().setListValue(ListValue.newBuilder()
            .addValues(Value.newBuilder().setStringValue(role))).build())
        .putFields("tenant", Value.newBuilder().setStringValue(tenant).build())
        .build();
  }

  @Test
  void decidesARouteByNameWithItsParameters() {
    DecideResponse r = stub.decide(DecideRequest.newBuilder().setClaims(claims("alice", "customer", "acme"))
        .setRoute(RouteTarget.newBuilder().setName("orders.read").putParams("orderId", ORDER)).build());
    assertThat(r.getAllowed()).isTrue();
    assertThat(r.getOutcome()).isEqualTo("allow");
    assertThat(r.getStatus()).isEqualTo(200);
    assertThat(r.getRoute()).isEqualTo("orders.read");
    assertThat(r.getRules(0).getId()).isEqualTo("role.customer#1");
    assertThat(r.getRules(0).getLocation()).startsWith("roles.warden:");
    assertThat(r.getExplanation()).isEmpty();
    assertThat(r.getDecisionId()).isNotBlank();
  }

  @Test
  void decidesAnHttpRequestAndExplainsWhenAsked() {
    DecideResponse r = stub.decide(DecideRequest.newBuilder().setClaims(claims("mallory", "customer", "acme"))
        .setHttp(HttpTarget.newBuilder().setMethod("get").setPath("/orders/" + ORDER)).setExplain(true).build());
    assertThat(r.getAllowed()).isFalse();
    assertThat(r.getOutcome()).isEqualTo("forbid");
    assertThat(r.getErrorsList()).isEmpty();
    assertThat(r.getStatus()).isEqualTo(403);
    assertThat(r.getReason()).isEqualTo("only the owner may touch an order");
    assertThat(r.getExplanation()).contains("forbid `orders.owner-only` applies");
    assertThat(r.getRevision()).matches("shop-2026\\.11\\.1@sha256:[0-9a-f]{12}");
  }

  @Test
  void anonymousCallerIsAskedToAuthenticate() {
    DecideResponse r = stub.decide(DecideRequest.newBuilder()
        .setRoute(RouteTarget.newBuilder().setName("orders.list")).build());
    assertThat(r.getStatus()).isEqualTo(401);
    assertThat(r.getOutcome()).isEqualTo("unauthenticated");
  }

  @Test
  void badRequestsAreInvalidArgumentWithAClearMessage() {
    assertInvalid(DecideRequest.getDefaultInstance(), "needs a target");
    assertInvalid(DecideRequest.newBuilder().setRoute(RouteTarget.newBuilder().setName("orders.nope")).build(),
        "no route `orders.nope`");
    assertInvalid(DecideRequest.newBuilder().setRoute(RouteTarget.newBuilder().setName("orders.read")).build(),
        "needs parameter `orderId`");
    assertInvalid(DecideRequest.newBuilder().setRoute(RouteTarget.newBuilder().setName("orders.list")
        .putParams("x", "1")).build(), "has no parameter `x`");
    assertInvalid(DecideRequest.newBuilder().setRoute(RouteTarget.newBuilder().setName("orders.read")
        .putParams("orderId", "a/b")).build(), "must be a `uuid`");
    assertInvalid(DecideRequest.newBuilder().setRoute(RouteTarget.newBuilder().setName("customers.read")
        .putParams("customerId", "a/b")).build(), "must be one path segment");
    DecideRequest.Builder many = DecideRequest.newBuilder().setRoute(RouteTarget.newBuilder().setName("orders.list"));
    for (int i = 0; i <= 512; i++) {
      many.putHeaders("x-h" + i, "v");
    }
    assertInvalid(many.build(), "the limit is 512");
    assertInvalid(DecideRequest.newBuilder().setRoute(RouteTarget.newBuilder().setName("orders.list"))
        .putHeaders("x-api-\u212Aey", "k").build(), "is not an HTTP token");
    assertInvalid(DecideRequest.newBuilder().setSourceIp("nope")
        .setRoute(RouteTarget.newBuilder().setName("orders.list")).build(), "not an IP address");
  }

  private void assertInvalid(DecideRequest request, String message) {
    assertThatThrownBy(() -> stub.decide(request))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).contains(message);
        });
  }
}
