package dev.warden.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shadow rules and shadow bundles in the sidecar: their would-be decisions are logged and
 * counted, and never change an answer.
 */
class ShadowDecisionsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String POLICY = """
      package work

      principal {
        id: string = jwt.sub
      }

      api "Work" {
        route read GET /items/{id}
        route drop DELETE /items/{id}
      }

      permit read when principal.id == "alice" or principal.id == "bob"
      %s
      """;
  @TempDir Path dir;

  private static Path bundle(Path at, String revision, String rules) throws Exception {
    Files.createDirectories(at);
    Files.writeString(at.resolve("bundle.yaml"), "revision: " + revision + "\n");
    Files.writeString(at.resolve("work.warden"), POLICY.formatted(rules));
    return at;
  }

  private static CheckRequest check(String method, String path, String sub) {
    Struct claims = Struct.newBuilder().putFields("sub", Value.newBuilder().setStringValue(sub).build()).build();
    return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder()
            .setHttp(AttributeContext.HttpRequest.newBuilder().setMethod(method).setPath(path).setHost("work")))
        .setMetadataContext(Metadata.newBuilder().putFilterMetadata("envoy.filters.http.jwt_authn",
            Struct.newBuilder().putFields("jwt_payload", Value.newBuilder().setStructValue(claims).build()).build())))
        .build();
  }

  private record Run(Map<String, Integer> statuses, List<JsonNode> records, String metrics) {}

  private Run serve(Path bundle, Path shadow, List<String[]> calls) throws Exception {
    Path log = dir.resolve("decisions-" + System.nanoTime() + ".log");
    Map<String, String> flags = ReloadingSidecar.loopbackFlags("work=" + bundle);
    if (shadow != null) {
      flags.put("shadow_bundle", "work=" + shadow);
    }
    flags.put("decision_log.path", log.toString());
    flags.put("reload.watch", "false");
    flags.put("identity.jwt_authn_metadata_key", "jwt_payload");
    WardenServer server = ReloadingSidecar.started(flags);
    ManagedChannel channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
    Map<String, Integer> statuses = new HashMap<>();
    String metrics;
    try {
      AuthorizationGrpc.AuthorizationBlockingStub stub = AuthorizationGrpc.newBlockingStub(channel);
      for (String[] c : calls) {
        CheckResponse r = stub.check(check(c[0], c[1], c[2]));
        statuses.put(String.join(" ", c), r.hasOkResponse() ? 200 : r.getDeniedResponse().getStatus().getCodeValue());
      }
      metrics = ReloadingSidecar.admin(server, "GET", "/metrics").body();
    } finally {
      ReloadingSidecar.stop(channel, server);
    }
    List<JsonNode> records = new java.util.ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      records.add(JSON.readTree(line));
    }
    return new Run(statuses, records, metrics);
  }

  private static final List<String[]> CALLS = List.of(
      new String[] {"GET", "/items/1", "alice"},
      new String[] {"GET", "/items/1", "bob"},
      new String[] {"DELETE", "/items/1", "alice"},
      new String[] {"DELETE", "/items/1", "carol"},
      new String[] {"GET", "/nowhere", "alice"});

  private static JsonNode record(Run run, String method, String path, String sub) {
    return run.records().stream()
        .filter(r -> r.path("request").path("method").asText().equals(method)
            && r.path("request").path("path").asText().equals(path)
            && r.path("principal").path("id").asText().equals(sub))
        .findFirst().orElseThrow(() -> new AssertionError("no record for " + method + " " + path + " " + sub));
  }

  @Test
  void shadowRulesAreLoggedAndCountedAndNeverEnforced() throws Exception {
    Path plain = bundle(dir.resolve("plain"), "plain", "");
    Path shadowed = bundle(dir.resolve("shadowed"), "shadowed", """
        shadow forbid "no-bob" read when principal.id == "bob" because "bob is suspended"
        shadow permit drop when principal.id == "alice"
        """);
    Run without = serve(plain, null, CALLS);
    Run with = serve(shadowed, null, CALLS);
    // Never enforced: every answer is the one the bundle gives without its shadow rules.
    assertThat(with.statuses()).isEqualTo(without.statuses());
    assertThat(with.statuses()).containsEntry("GET /items/1 bob", 200).containsEntry("DELETE /items/1 alice", 403);

    JsonNode bob = record(with, "GET", "/items/1", "bob");
    assertThat(bob.path("allowed").asBoolean()).isTrue();
    JsonNode s = bob.path("shadow").get(0);
    assertThat(s.path("source").asText()).isEqualTo("rules");
    assertThat(s.path("allowed").asBoolean()).isFalse();
    assertThat(s.path("status").asInt()).isEqualTo(403);
    assertThat(s.path("reason").asText()).isEqualTo("bob is suspended");
    assertThat(s.path("changed").asBoolean()).isTrue();
    assertThat(s.path("rules").get(0).path("id").asText()).isEqualTo("work.no-bob");
    assertThat(s.path("rules").get(0).path("kind").asText()).isEqualTo("shadow forbid");

    JsonNode alice = record(with, "GET", "/items/1", "alice");
    assertThat(alice.path("shadow").get(0).path("changed").asBoolean()).isFalse();
    assertThat(alice.path("shadow").get(0).path("allowed").asBoolean()).isTrue();
    JsonNode drop = record(with, "DELETE", "/items/1", "alice");
    assertThat(drop.path("allowed").asBoolean()).isFalse();
    assertThat(drop.path("shadow").get(0).path("allowed").asBoolean()).isTrue();
    // No route: refused before the rules, so no would-be decision.
    assertThat(record(with, "GET", "/nowhere", "alice").has("shadow")).isFalse();
    assertThat(without.records()).allSatisfy(r -> assertThat(r.has("shadow")).isFalse());

    assertThat(with.metrics()).contains("warden_shadow_decisions_total{bundle=\"\",changed=\"true\",source=\"rules\"} 2.0");
    assertThat(with.metrics()).contains("warden_shadow_decisions_total{bundle=\"\",changed=\"false\",source=\"rules\"} 2.0");
    assertThat(without.metrics()).doesNotContain("warden_shadow_decisions_total{");
  }

  @Test
  void aShadowBundleDecidesBesideTheServedOneAndIsNeverEnforced() throws Exception {
    Path served = bundle(dir.resolve("served"), "served", "");
    Path candidate = bundle(dir.resolve("candidate"), "candidate", """
        forbid read when principal.id == "bob"
        permit drop when principal.id == "alice"
        """);
    Run without = serve(served, null, CALLS);
    Run with = serve(served, candidate, CALLS);
    assertThat(with.statuses()).isEqualTo(without.statuses());

    JsonNode bob = record(with, "GET", "/items/1", "bob");
    assertThat(bob.path("allowed").asBoolean()).isTrue();
    JsonNode s = bob.path("shadow").get(0);
    assertThat(s.path("source").asText()).isEqualTo("bundle");
    assertThat(s.path("bundle").asText()).isEqualTo("work");
    assertThat(s.path("revision").asText()).matches(ReloadingSidecar.rev("candidate"));
    assertThat(s.path("outcome").asText()).isEqualTo("forbid");
    assertThat(s.path("changed").asBoolean()).isTrue();
    assertThat(record(with, "DELETE", "/items/1", "alice").path("shadow").get(0).path("allowed").asBoolean()).isTrue();
    assertThat(record(with, "DELETE", "/items/1", "carol").path("shadow").get(0).path("changed").asBoolean()).isFalse();
    // A request no route of the served bundle takes is decided by the candidate too (it may add routes).
    assertThat(record(with, "GET", "/nowhere", "alice").path("shadow").get(0).path("outcome").asText())
        .isEqualTo("no_route");
    assertThat(with.metrics())
        .contains("warden_shadow_decisions_total{bundle=\"work\",changed=\"true\",source=\"bundle\"} 2.0")
        .contains("warden_shadow_decisions_total{bundle=\"work\",changed=\"false\",source=\"bundle\"} 3.0")
        .contains("bundle=\"shadow:work\"");
  }

  @Test
  void aShadowBundleThatDoesNotCompileNeverStopsWardenFromServing() throws Exception {
    Path served = bundle(dir.resolve("served"), "served", "");
    Path broken = bundle(dir.resolve("broken"), "broken", "permit reed\n");
    Run run = serve(served, broken, CALLS);
    assertThat(run.statuses()).containsEntry("GET /items/1 alice", 200);
    assertThat(run.records()).allSatisfy(r -> assertThat(r.has("shadow")).isFalse());
  }

  @Test
  void withSeveralBundlesAShadowBundleIsNamedAfterTheOneItShadows() throws Exception {
    Map<String, String> flags = new HashMap<>();
    flags.put("bundle", "a=/x/a\nb=/x/b");
    flags.put("shadow_bundle", "c=/x/c");
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), flags))
        .hasMessageContaining("shadow bundle `c` shadows no bundle")
        .hasMessageContaining("bundles: a, b");
    flags.put("shadow_bundle", "b=/x/b-next");
    assertThat(ServerConfig.load(null, Map.of(), flags).shadowBundles())
        .containsExactly(new ServerConfig.NamedBundle("b", "/x/b-next"));
  }
}
