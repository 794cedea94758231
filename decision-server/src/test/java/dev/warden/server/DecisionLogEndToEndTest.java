package dev.warden.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.proto.v1.DecideResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import dev.warden.server.decisionlog.LoopbackCollector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sidecar with `--decision-log FILE` on loopback: one masked record per answered call, with
 * the bundle's name, revision and digest, and none lost at a clean shutdown; with a file and an HTTP
 * collector on together, each gets every record, and the metrics count per sink.
 */
class DecisionLogEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  @Test
  void everyCallLeavesOneMaskedRecordAndAShutdownLosesNone() throws Exception {
    Path bundle = dir.resolve("bundle");
    BundleReloadTest.write(bundle, "rev-a", "alice");
    Path file = dir.resolve("logs").resolve("decisions.log");
    Map<String, String> flags = ReloadingSidecar.loopbackFlags("work=" + bundle);
    flags.put("decision_log.path", file.toString());
    flags.put("reload.watch", "false");
    WardenServer server = ReloadingSidecar.started(flags);
    ManagedChannel channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
    List<String> ids = new ArrayList<>();
    try {
      for (int i = 0; i < 200; i++) {
        DecideResponse r = ReloadingSidecar.decideItem(channel, i % 2 == 0 ? "alice" : "bob");
        ids.add(r.getDecisionId());
      }
    } finally {
      ReloadingSidecar.stop(channel, server);
    }
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(200);
    List<String> logged = new ArrayList<>();
    for (String line : lines) {
      JsonNode r = JSON.readTree(line);
      logged.add(r.path("decisionId").asText());
      assertThat(r.path("api").asText()).isEqualTo("decide");
      assertThat(r.path("bundle").path("name").asText()).isEqualTo("work");
      assertThat(r.path("bundle").path("revision").asText()).matches(ReloadingSidecar.rev("rev-a"));
      assertThat(r.path("bundle").path("digest").asText()).matches("sha256:[0-9a-f]{64}");
      assertThat(r.path("outcome").asText()).isIn("allow", "default_deny");
    }
    assertThat(logged).containsExactlyInAnyOrderElementsOf(ids);
  }

  @Test
  void theBundlesRedactLogMasksItsRecordsWithTheConfiguredKey() throws Exception {
    Path bundle = dir.resolve("bundle");
    BundleReloadTest.write(bundle, "rev-r", "permit read\n"
        + "redact log {\n  request.headers.x-user-email hash\n  request.query[\"card\"] last4, request.query.debug remove\n}\n",
        "alice");
    Path key = dir.resolve("hash.key");
    Files.writeString(key, "0123456789abcdef0123456789abcdef\n");
    Path file = dir.resolve("decisions.log");
    Map<String, String> flags = ReloadingSidecar.loopbackFlags("work=" + bundle);
    flags.put("decision_log.path", file.toString());
    flags.put("decision_log.hash_key_file", key.toString());
    flags.put("reload.watch", "false");
    WardenServer server = ReloadingSidecar.started(flags);
    ManagedChannel channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
    try {
      DecideResponse r = dev.warden.proto.v1.DecisionsGrpc.newBlockingStub(channel)
          .withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
          .decide(dev.warden.proto.v1.DecideRequest.newBuilder()
              .setClaims(com.google.protobuf.Struct.newBuilder().putFields("sub",
                  com.google.protobuf.Value.newBuilder().setStringValue("alice").build()))
              .setHttp(dev.warden.proto.v1.HttpTarget.newBuilder().setMethod("GET")
                  .setPath("/items/1?card=4111111111114242&debug=on&page=2"))
              .putHeaders("X-User-Email", "alice@example.com").putHeaders("authorization", "Bearer s3cr3t-token")
              .build());
      assertThat(r.getAllowed()).isTrue();
    } finally {
      ReloadingSidecar.stop(channel, server);
    }
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0)).doesNotContain("alice@example.com", "411111111111", "s3cr3t-token");
    JsonNode request = JSON.readTree(lines.get(0)).path("request");
    assertThat(request.path("headers").path("x-user-email").asText())
        .isEqualTo(dev.warden.server.decisionlog.ValueHasher.fromFile(key).hash("alice@example.com"));
    assertThat(request.path("headers").path("authorization").asText()).isEqualTo("[masked]");
    assertThat(request.path("query").path("card").asText()).isEqualTo("[masked]4242");
    assertThat(request.path("query").path("page").asText()).isEqualTo("2");
    assertThat(request.path("query").has("debug")).isFalse();
    List<String> masked = new ArrayList<>();
    JSON.readTree(lines.get(0)).path("masked").forEach(m -> masked.add(m.asText()));
    assertThat(masked).containsExactlyInAnyOrder("request.headers.x-user-email#hash", "request.headers.authorization",
        "request.query.card#last4", "request.query.debug#remove");
  }

  @Test
  void aHashKeyFileTooShortStopsTheStartWithWhatToDo() throws Exception {
    Path bundle = dir.resolve("bundle");
    BundleReloadTest.write(bundle, "rev-a", "alice");
    Path key = dir.resolve("hash.key");
    Files.writeString(key, "short");
    Map<String, String> flags = ReloadingSidecar.loopbackFlags("work=" + bundle);
    flags.put("decision_log.path", dir.resolve("decisions.log").toString());
    flags.put("decision_log.hash_key_file", key.toString());
    flags.put("reload.watch", "false");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ReloadingSidecar.started(flags))
        .hasMessageContaining("cannot use `decision_log.hash_key_file` `" + key + "`: it holds 5 bytes; a key needs at"
            + " least 32");
  }

  /** After a reload, each record is masked by the `redact log` of the revision that decided it. */
  @Test
  void eachRecordIsMaskedByThePolicyThatDecidedIt() throws Exception {
    Path bundle = dir.resolve("bundle");
    BundleReloadTest.write(bundle, "rev-a", "permit read\nredact log { request.headers.x-a hash }\n", "alice");
    Path file = dir.resolve("decisions.log");
    Map<String, String> flags = ReloadingSidecar.loopbackFlags("work=" + bundle);
    flags.put("decision_log.path", file.toString());
    flags.put("reload.watch", "false");
    WardenServer server = ReloadingSidecar.started(flags);
    ManagedChannel channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
    try {
      decideWithHeaders(channel);
      BundleReloadTest.write(bundle, "rev-b", "permit read\nredact log { request.headers.x-b remove }\n", "alice");
      assertThat(server.reload("test").get(30, java.util.concurrent.TimeUnit.SECONDS).get("result")).isEqualTo("ok");
      decideWithHeaders(channel);
    } finally {
      ReloadingSidecar.stop(channel, server);
    }
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(2);
    JsonNode a = JSON.readTree(lines.get(0));
    JsonNode b = JSON.readTree(lines.get(1));
    assertThat(a.path("bundle").path("revision").asText()).matches(ReloadingSidecar.rev("rev-a"));
    assertThat(a.path("request").path("headers").path("x-a").asText()).startsWith("hmac:");
    assertThat(a.path("request").path("headers").path("x-b").asText()).isEqualTo("plain-b");
    assertThat(b.path("bundle").path("revision").asText()).matches(ReloadingSidecar.rev("rev-b"));
    assertThat(b.path("request").path("headers").path("x-a").asText()).isEqualTo("plain-a");
    assertThat(b.path("request").path("headers").has("x-b")).isFalse();
    assertThat(b.path("masked").toString()).isEqualTo("[\"request.headers.x-b#remove\"]");
  }

  private static void decideWithHeaders(ManagedChannel channel) {
    DecideResponse r = dev.warden.proto.v1.DecisionsGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
        .decide(dev.warden.proto.v1.DecideRequest.newBuilder()
            .setClaims(com.google.protobuf.Struct.newBuilder().putFields("sub",
                com.google.protobuf.Value.newBuilder().setStringValue("alice").build()))
            .setHttp(dev.warden.proto.v1.HttpTarget.newBuilder().setMethod("GET").setPath("/items/1"))
            .putHeaders("x-a", "plain-a").putHeaders("x-b", "plain-b").build());
    assertThat(r.getAllowed()).isTrue();
  }

  @Test
  void aFileAndACollectorTogetherEachGetEveryRecordAndTheMetricsCountEachSink() throws Exception {
    Path bundle = dir.resolve("bundle");
    BundleReloadTest.write(bundle, "rev-a", "alice");
    Path file = dir.resolve("decisions.log");
    Path token = dir.resolve("collector.token");
    Files.writeString(token, "collector-secret\n");
    try (LoopbackCollector collector = new LoopbackCollector()) {
      collector.thenAnswer(new LoopbackCollector.Answer(503, "0", 0)); // one retried post on the way
      Map<String, String> flags = ReloadingSidecar.loopbackFlags("work=" + bundle);
      flags.put("decision_log.path", file.toString());
      flags.put("decision_log.http.url", collector.url().toString());
      flags.put("decision_log.http.token_file", token.toString());
      flags.put("decision_log.spool.dir", dir.resolve("spool").toString());
      flags.put("reload.watch", "false");
      WardenServer server = ReloadingSidecar.started(flags);
      ManagedChannel channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
      List<String> ids = new ArrayList<>();
      try {
        for (int i = 0; i < 150; i++) {
          ids.add(ReloadingSidecar.decideItem(channel, i % 3 == 0 ? "bob" : "alice").getDecisionId());
        }
        // The collector has a batch a moment before the sink's post returns and counts it delivered.
        String delivered = "warden_decision_log_records_total{sink=\"http\",state=\"delivered\"}";
        assertThat(ReloadingSidecar.await(java.time.Duration.ofSeconds(10), () -> {
          try {
            return ReloadingSidecar.metric(server, delivered, -1) == 150;
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        })).as("the collector's 150 records counted delivered").isTrue();
        assertThat(collector.records()).hasSize(150);
        assertThat(ReloadingSidecar.metric(server,
            "warden_decision_log_records_total{sink=\"http\",state=\"produced\"}", -1)).isEqualTo(150);
        assertThat(ReloadingSidecar.metric(server,
            "warden_decision_log_records_total{sink=\"http\",state=\"spooled\"}", -1)).isZero();
        assertThat(ReloadingSidecar.metric(server,
            "warden_decision_log_records_total{sink=\"file\",state=\"produced\"}", -1)).isEqualTo(150);
        assertThat(ReloadingSidecar.metric(server, "warden_decision_log_write_failures_total{sink=\"http\"}", -1))
            .isEqualTo(1);
        assertThat(ReloadingSidecar.metric(server, "warden_decision_log_buffered{sink=\"file\"}", -1)).isGreaterThanOrEqualTo(0);
      } finally {
        ReloadingSidecar.stop(channel, server);
      }
      List<String> fromFile = new ArrayList<>();
      for (String line : Files.readAllLines(file)) {
        fromFile.add(JSON.readTree(line).path("decisionId").asText());
      }
      List<String> fromCollector = collector.records().stream().map(r -> r.path("decisionId").asText()).toList();
      assertThat(fromFile).containsExactlyInAnyOrderElementsOf(ids);
      assertThat(fromCollector).containsExactlyInAnyOrderElementsOf(fromFile);
      assertThat(collector.headers()).allSatisfy(h -> assertThat(h.get("Authorization"))
          .containsExactly("Bearer collector-secret"));
      assertThat(collector.records().get(0).path("bundle").path("name").asText()).isEqualTo("work");
    }
  }
}
