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
