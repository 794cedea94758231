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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sidecar with `--decision-log FILE` on loopback: one masked record per answered call, with
 * the bundle's name, revision and digest, and none lost at a clean shutdown.
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
}
