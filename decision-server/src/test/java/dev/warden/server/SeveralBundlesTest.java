package dev.warden.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.proto.v1.DecideRequest;
import dev.warden.proto.v1.DecideResponse;
import dev.warden.proto.v1.DecisionsGrpc;
import dev.warden.proto.v1.HttpTarget;
import dev.warden.proto.v1.RouteTarget;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two bundles in one sidecar, as two teams publish them: each request decided by the bundle
 * whose routes it goes to, each bundle reloaded, reported and rolled back on its own, and a
 * bundle that would overlap the other (a package, a route) refused while both keep serving.
 */
class SeveralBundlesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String UUID = "6f1c2b3a-0000-4000-8000-000000000001";

  @TempDir Path dir;
  private WardenServer server;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws InterruptedException {
    ReloadingSidecar.stop(channel, server);
  }

  /** A bundle of package {@code pkg} with routes {@code routes}, allowing {@code reader} on every one. */
  private Path write(String name, String label, String pkg, String routes, String reader) throws IOException {
    Path b = dir.resolve(name);
    Files.createDirectories(b);
    Files.writeString(b.resolve("bundle.yaml"), "revision: " + label + "\n");
    Files.writeString(b.resolve(pkg + ".warden"), """
        package %s

        principal {
          id: string = jwt.sub
        }

        api "%s" {
        %s
        }

        permit read when principal.id == "%s"
        """.formatted(pkg, pkg, routes, reader));
    return b;
  }

  private Path orders() throws IOException {
    return write("orders", "orders-1", "orders", "  route read GET /orders/{id:int}", "olga");
  }

  private Path payments(String label, String routes) throws IOException {
    return write("payments", label, "payments", routes, "paul");
  }

  private void start(Map<String, String> more) throws Exception {
    Map<String, String> flags = ReloadingSidecar.loopbackFlags(null);
    flags.put("reload.watch", "false");
    flags.put("identity.jwt_authn_metadata_key", "jwt_payload");
    flags.putAll(more);
    server = ReloadingSidecar.started(flags);
    channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
  }

  private DecideResponse decide(String sub, String method, String path) {
    return DecisionsGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).decide(
        DecideRequest.newBuilder().setClaims(Structs.of(Map.of("sub", sub)))
            .setHttp(HttpTarget.newBuilder().setMethod(method).setPath(path)).build());
  }

  /** Envoy's CheckRequest for `GET path`, with jwt_authn's verified claims `{sub}`. */
  private static io.envoyproxy.envoy.service.auth.v3.CheckRequest check(String path, String sub) {
    var claims = com.google.protobuf.Struct.newBuilder().putFields("sub",
        com.google.protobuf.Value.newBuilder().setStringValue(sub).build()).build();
    var attrs = io.envoyproxy.envoy.service.auth.v3.AttributeContext.newBuilder()
        .setRequest(io.envoyproxy.envoy.service.auth.v3.AttributeContext.Request.newBuilder()
            .setHttp(io.envoyproxy.envoy.service.auth.v3.AttributeContext.HttpRequest.newBuilder()
                .setMethod("GET").setPath(path)))
        .setMetadataContext(io.envoyproxy.envoy.config.core.v3.Metadata.newBuilder().putFilterMetadata(
            "envoy.filters.http.jwt_authn", com.google.protobuf.Struct.newBuilder().putFields("jwt_payload",
                com.google.protobuf.Value.newBuilder().setStructValue(claims).build()).build()));
    return io.envoyproxy.envoy.service.auth.v3.CheckRequest.newBuilder().setAttributes(attrs).build();
  }

  private JsonNode status() throws Exception {
    return JSON.readTree(ReloadingSidecar.admin(server, "GET", "/status").body());
  }

  private JsonNode post(String path) throws Exception {
    return JSON.readTree(ReloadingSidecar.admin(server, "POST", path).body());
  }

  @Test
  void eachRequestIsDecidedByTheBundleWhoseRoutesItGoesTo() throws Exception {
    start(Map.of("bundle", orders() + "," + payments("payments-1", "  route read GET /payments/{id:uuid}")));
    DecideResponse order = decide("olga", "GET", "/orders/7");
    assertThat(order.getAllowed()).isTrue();
    assertThat(order.getRevision()).matches(ReloadingSidecar.rev("orders-1"));
    assertThat(order.getRoute()).isEqualTo("orders.read");
    DecideResponse payment = decide("paul", "GET", "/payments/" + UUID);
    assertThat(payment.getAllowed()).isTrue();
    assertThat(payment.getRevision()).matches(ReloadingSidecar.rev("payments-1"));
    // Each bundle's rules, and only its own, decide its routes.
    assertThat(decide("olga", "GET", "/payments/" + UUID).getAllowed()).isFalse();
    assertThat(decide("paul", "GET", "/orders/7").getAllowed()).isFalse();
    // A dot segment cannot carry a request into the other bundle: it is read as the path it resolves to.
    DecideResponse smuggled = decide("olga", "GET", "/orders/7/../../payments/" + UUID);
    assertThat(smuggled.getRevision()).matches(ReloadingSidecar.rev("payments-1"));
    assertThat(smuggled.getAllowed()).isFalse();
    // No bundle declares it: the first answers with its undeclared-route status.
    DecideResponse nowhere = decide("olga", "GET", "/invoices/1");
    assertThat(nowhere.getOutcome()).isEqualTo("no_route");
    assertThat(nowhere.getRevision()).matches(ReloadingSidecar.rev("orders-1"));
    // A route call goes to the bundle that declares the route.
    DecideResponse byName = DecisionsGrpc.newBlockingStub(channel).decide(DecideRequest.newBuilder()
        .setClaims(Structs.of(Map.of("sub", "paul")))
        .setRoute(RouteTarget.newBuilder().setName("payments.read").putParams("id", UUID)).build());
    assertThat(byName.getAllowed()).isTrue();
    assertThat(byName.getRevision()).matches(ReloadingSidecar.rev("payments-1"));

    // Envoy's Check goes the same way.
    io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc.AuthorizationBlockingStub envoy =
        io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc.newBlockingStub(channel);
    assertThat(envoy.check(check("/payments/" + UUID, "paul")).getStatus().getCode()).isZero();
    assertThat(envoy.check(check("/orders/7", "olga")).getStatus().getCode()).isZero();
    assertThat(envoy.check(check("/orders/7", "paul")).getDeniedResponse().getStatus().getCodeValue())
        .isEqualTo(403);

    JsonNode s = status();
    assertThat(s.path("ready").asBoolean()).isTrue();
    assertThat(s.path("bundles")).hasSize(2);
    assertThat(s.path("bundles").get(0).path("name").asText()).isEqualTo("orders");
    assertThat(s.path("bundles").get(1).path("name").asText()).isEqualTo("payments");
    assertThat(s.path("bundles").get(1).path("revision").asText()).matches(ReloadingSidecar.rev("payments-1"));
    assertThat(s.path("bundles").get(1).path("packages").toString()).isEqualTo("[\"payments\"]");
    assertThat(s.path("bundles").get(1).path("digest").asText()).startsWith("sha256:");
    String metrics = ReloadingSidecar.admin(server, "GET", "/metrics").body();
    assertThat(metrics).containsPattern("warden_bundle_info\\{bundle=\"orders\",revision=\"orders-1@sha256:[0-9a-f]{12}\"\\} 1")
        .containsPattern("warden_bundle_info\\{bundle=\"payments\",revision=\"payments-1@sha256:[0-9a-f]{12}\"\\} 1");
  }

  @Test
  void aReloadThatWouldOverlapTheOtherBundleIsRefusedAndBothKeepServing() throws Exception {
    Path payments = payments("payments-1", "  route read GET /payments/{id:uuid}");
    start(Map.of("bundle", orders() + "," + payments));
    payments("payments-2", "  route read GET /payments/{id:uuid}\n  route steal GET /orders/{id}");
    JsonNode reload = post("/bundles/reload").path("bundles");
    assertThat(reload.path("orders").path("result").asText()).isEqualTo("unchanged");
    JsonNode refused = reload.path("payments");
    assertThat(refused.path("result").asText()).isEqualTo("failed");
    assertThat(refused.path("stage").asText()).isEqualTo("compose");
    assertThat(refused.path("error").asText()).contains("with bundle `orders` (revision orders-1@sha256:")
        .contains("route `payments.steal` (GET /orders/{id}) and route `orders.read` (GET /orders/{id:int}) can match"
            + " the same request");
    assertThat(decide("olga", "GET", "/orders/7").getRevision()).matches(ReloadingSidecar.rev("orders-1"));
    assertThat(decide("paul", "GET", "/payments/" + UUID).getRevision()).matches(ReloadingSidecar.rev("payments-1"));
    assertThat(ReloadingSidecar.metric(server,
        "warden_bundle_reloads_total{bundle=\"payments\",result=\"failed\",stage=\"compose\"}", 0)).isEqualTo(1.0);

    // Taking a package of the other bundle is refused too.
    Files.writeString(payments.resolve("orders.warden"), "package orders\n\napi \"Refunds\" {\n  route refund GET /refunds\n}\n");
    assertThat(post("/bundles/reload").path("bundles").path("payments").path("error").asText())
        .contains("both declare package `orders`");

    // Fixed: it activates, and a rollback by name returns to the revision before it.
    Files.delete(payments.resolve("orders.warden"));
    payments("payments-4", "  route read GET /payments/{id:uuid}\n  route list GET /payments");
    assertThat(post("/bundles/reload").path("bundles").path("payments").path("result").asText()).isEqualTo("ok");
    assertThat(ReloadingSidecar.admin(server, "POST", "/bundles/rollback").statusCode()).as("which bundle?")
        .isEqualTo(404);
    assertThat(ReloadingSidecar.admin(server, "POST", "/bundles/rollback").body()).contains("orders, payments");
    JsonNode back = post("/bundles/payments/rollback");
    assertThat(back.path("result").asText()).as(back.toString()).isEqualTo("ok");
    assertThat(back.path("revision").asText()).matches(ReloadingSidecar.rev("payments-1"));
    assertThat(ReloadingSidecar.admin(server, "POST", "/bundles/nobody/rollback").statusCode()).isEqualTo(404);
  }

  @Test
  void bundlesThatOverlapAtStartRefuseTheStart() throws Exception {
    Path orders = orders();
    Path clash = write("clash", "clash-1", "shop", "  route read GET /orders/**", "paul");
    assertThatThrownBy(() -> start(Map.of("bundle", orders + "," + clash)))
        .isInstanceOf(WardenServer.StartException.class)
        .hasMessageContaining("bundle `clash` cannot serve beside the others: with bundle `orders`")
        .hasMessageContaining("route `shop.read` (GET /orders/**) and route `orders.read`");
  }

  @Test
  void eachBundleIsPersistedInAFolderOfItsName() throws Exception {
    Path state = dir.resolve("state");
    start(Map.of("bundle", "o=" + orders() + ",p=" + payments("payments-1", "  route read GET /payments/{id:uuid}"),
        "reload.persist_dir", state.toString()));
    assertThat(state.resolve("o").resolve(BundlePersistence.ARCHIVE)).isRegularFile();
    assertThat(state.resolve("p").resolve(BundlePersistence.ARCHIVE)).isRegularFile();
    assertThat(status().path("bundles").get(0).path("name").asText()).isEqualTo("o");
    assertThat(List.of(server.bundles().members().get(0).name(), server.bundles().members().get(1).name()))
        .containsExactly("o", "p");
  }

  @Test
  void namesMustDiffer() {
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("bundle", "/a/shop,/b/shop")))
        .isInstanceOf(ServerConfig.ConfigException.class)
        .hasMessageContaining("two bundles are called `shop`: name them, as `NAME=LOCATION`");
  }

  @Test
  void oneBundleStaleMakesWardenNotReady() throws Exception {
    start(Map.of("bundle", orders() + "," + payments("payments-1", "  route read GET /payments/{id:uuid}")));
    server.bundles().members().get(1).bundle().stale("test", false);
    assertThat(ReloadingSidecar.admin(server, "GET", "/ready").body()).isEqualTo("bundle `payments` is stale"
        + " (reload.max_staleness)\n");
    assertThat(status().path("ready").asBoolean()).isFalse();
    assertThat(decide("olga", "GET", "/orders/7").getAllowed()).as("not_ready still decides").isTrue();
  }
}
