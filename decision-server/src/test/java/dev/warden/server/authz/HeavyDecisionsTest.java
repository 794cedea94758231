package dev.warden.server.authz;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.warden.bundle.BundleDirectory;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.server.ActiveBundle;
import dev.warden.server.ServerConfig;
import dev.warden.server.WardenServer;
import dev.warden.server.admin.ServerMetrics;
import dev.warden.server.identity.IdentityResolver;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A heavy decision must not hold up the other calls of its connection, which share the transport
 * thread: its first try gives up after {@link Deciding#FIRST_TRY_STEPS} steps and it is decided
 * again on the heavy pool. Shown without clocks: the pool here runs nothing until the test says
 * so, and a light call on the same connection is answered meanwhile.
 */
class HeavyDecisionsTest {
  @TempDir Path dir;

  /** `heavy` scans 5,000 names (some 5,000 steps); `light` compares one string. */
  private Path bundle() throws Exception {
    Files.writeString(dir.resolve("work.warden"), """
        package work
        principal {
          id: string = jwt.sub
        }
        api "Work" {
          route heavy GET /heavy
          route light GET /light
        }
        data names: list<string>
        permit heavy when any n in data.names: n == principal.id
        permit light when principal.id == "alice"
        """);
    StringBuilder names = new StringBuilder("[");
    for (int i = 0; i < 5000; i++) {
      names.append("\"u").append(i).append("\",");
    }
    Files.createDirectories(dir.resolve("data"));
    Files.writeString(dir.resolve("data/names.json"), names.append("\"alice\"]").toString());
    return dir;
  }

  static CheckRequest check(String path) {
    Struct claims = Struct.newBuilder().putFields("sub", Value.newBuilder().setStringValue("alice").build()).build();
    return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder()
            .setHttp(AttributeContext.HttpRequest.newBuilder().setMethod("GET").setPath(path)))
        .setMetadataContext(Metadata.newBuilder().putFilterMetadata("envoy.filters.http.jwt_authn",
            Struct.newBuilder().putFields("jwt_payload", Value.newBuilder().setStructValue(claims).build()).build())))
        .build();
  }

  /** A pool that holds its tasks until {@link #runAll}, or refuses them all. */
  static final class Gate implements Executor {
    final List<Runnable> waiting = new ArrayList<>();
    final boolean refuse;

    Gate(boolean refuse) {
      this.refuse = refuse;
    }

    @Override
    public synchronized void execute(Runnable r) {
      if (refuse) {
        throw new RejectedExecutionException("full");
      }
      waiting.add(r);
    }

    void runAll() {
      List<Runnable> now;
      synchronized (this) {
        now = new ArrayList<>(waiting);
        waiting.clear();
      }
      now.forEach(Runnable::run);
    }
  }

  private record InProcess(Server server, ManagedChannel channel, ServerMetrics metrics) implements AutoCloseable {
    @Override
    public void close() {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }

  private InProcess serve(Executor heavy, long deadlineNanos) throws Exception {
    ActiveBundle active = new ActiveBundle();
    active.activate(new BundleCompiler().compile(BundleDirectory.read(bundle())).programOrThrow(), "work", Instant.now());
    ServerMetrics metrics = new ServerMetrics();
    ExtAuthzService service = new ExtAuthzService(new Authorizer(active,
        new RequestMapper(Clock.systemUTC(), "jwt_payload"), new DecideRequestMapper(Clock.systemUTC()),
        new IdentityResolver(null, "x-api-key", "api_keys"), new DecisionIds(),
        new Deciding(heavy, deadlineNanos, metrics), 503), new ResponseMapper(List.of(), true),
        new DecisionRecorder(DecisionRecord.Api.EXT_AUTHZ, metrics));
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name).directExecutor().addService(service).build().start();
    return new InProcess(server, InProcessChannelBuilder.forName(name).directExecutor().build(), metrics);
  }

  @Test
  void heavyDecisionsWaitForTheHeavyPoolWhileALightCallOnTheSameConnectionIsAnswered() throws Exception {
    Gate pool = new Gate(false);
    try (InProcess p = serve(pool, TimeUnit.SECONDS.toNanos(60))) {
      AuthorizationGrpc.AuthorizationFutureStub async = AuthorizationGrpc.newFutureStub(p.channel());
      List<ListenableFuture<CheckResponse>> heavy = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        heavy.add(async.check(check("/heavy")));
      }
      assertThat(heavy).noneMatch(ListenableFuture::isDone);
      assertThat(pool.waiting).hasSize(6);
      // Same channel, while six heavy decisions are pending: answered at once, on this thread.
      CheckResponse light = AuthorizationGrpc.newBlockingStub(p.channel()).check(check("/light"));
      assertThat(light.hasOkResponse()).isTrue();
      assertThat(heavy).noneMatch(ListenableFuture::isDone);
      pool.runAll();
      for (ListenableFuture<CheckResponse> f : heavy) {
        assertThat(f.get(10, TimeUnit.SECONDS).hasOkResponse()).as("heavy decided whole on the pool").isTrue();
      }
    }
  }

  @Test
  void aFullHeavyQueueDeniesWithTheFailureStatus() throws Exception {
    try (InProcess p = serve(new Gate(true), TimeUnit.SECONDS.toNanos(60))) {
      AuthorizationGrpc.AuthorizationBlockingStub stub = AuthorizationGrpc.newBlockingStub(p.channel());
      CheckResponse r = stub.check(check("/heavy"));
      assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(503);
      assertThat(r.getDeniedResponse().getBody()).contains("\"reason\":\"overloaded\"");
      assertThat(stub.check(check("/light")).hasOkResponse()).isTrue();
    }
  }

  @Test
  void aDecisionPastItsDeadlineIsDenied() throws Exception {
    try (InProcess p = serve(new Gate(false), 1)) {
      AuthorizationGrpc.AuthorizationBlockingStub stub = AuthorizationGrpc.newBlockingStub(p.channel());
      CheckResponse r = stub.check(check("/heavy"));
      assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
      assertThat(r.getDeniedResponse().getBody()).contains("policy evaluation limit exceeded");
      // A decision of a few steps never asks the deadline: it is decided.
      assertThat(stub.check(check("/light")).hasOkResponse()).isTrue();
    }
  }

  @Test
  void theServerDecidesHeavyCallsOnItsHeavyPoolAndCountsThem() throws Exception {
    Map<String, String> flags = Map.of("bundle", bundle().toString(), "grpc.listen", "127.0.0.1:0",
        "http.listen", "127.0.0.1:0", "identity.jwt_authn_metadata_key", "jwt_payload", "shutdown.grace", "1s");
    try (WardenServer server = new WardenServer(ServerConfig.load(null, Map.of(), flags), Clock.systemUTC())) {
      server.start();
      ManagedChannel channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
      try {
        AuthorizationGrpc.AuthorizationFutureStub async = AuthorizationGrpc.newFutureStub(channel)
            .withDeadlineAfter(30, TimeUnit.SECONDS);
        List<ListenableFuture<CheckResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
          calls.add(async.check(check("/heavy")));
        }
        calls.add(async.check(check("/light")));
        for (ListenableFuture<CheckResponse> f : calls) {
          assertThat(f.get(30, TimeUnit.SECONDS).hasOkResponse()).isTrue();
        }
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.adminAddress().getPort() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("warden_heavy_decisions_total 6.0");
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
