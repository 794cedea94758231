package dev.warden.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.bundle.BundleArchive;
import dev.warden.bundle.BundleDirectory;
import dev.warden.server.oci.OciReference;
import dev.warden.server.oci.OciRegistry;
import dev.warden.server.oci.RealRegistry;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sidecar polling a real OCI registry (Debian's docker-registry on loopback): a bundle pushed
 * to the tag it follows activates; while the tag is unchanged a poll is a `HEAD` and downloads
 * no layer; a tag moved to a bundle that does not compile leaves the last good one serving.
 */
class OciSourceReloadTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path registryDir;
  static RealRegistry registry;
  @TempDir Path dir;
  private WardenServer server;
  private ManagedChannel channel;

  @BeforeAll
  static void startRegistry() throws Exception {
    registry = RealRegistry.start(registryDir);
  }

  @BeforeEach
  void running() {
    RealRegistry.assumeRunning(registry);
  }

  @AfterAll
  static void stopRegistry() throws Exception {
    if (registry != null) {
      registry.close();
    }
  }

  @AfterEach
  void stop() throws InterruptedException {
    ReloadingSidecar.stop(channel, server);
  }

  private String reference(String repo) {
    return "oci://" + registry.host() + "/" + repo + ":live";
  }

  private String push(String repo, String label, String rules, String reader) throws Exception {
    Path folder = dir.resolve("src-" + label);
    BundleReloadTest.write(folder, label, rules, reader);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BundleArchive.write(BundleDirectory.read(folder), null, out);
    return new OciRegistry(OciReference.parse(reference(repo)), true, null).push(out.toByteArray(), label + ".tar.gz");
  }

  private String push(String repo, String label, String reader) throws Exception {
    return push(repo, label, "permit read when principal.id == \"" + reader + "\"\n", reader);
  }

  private void start(String repo) throws Exception {
    Map<String, String> flags = ReloadingSidecar.loopbackFlags(reference(repo));
    flags.put("reload.remote.plain_http", "true");
    flags.put("reload.remote.interval", "100ms");
    flags.put("reload.remote.jitter", "0");
    server = ReloadingSidecar.started(flags);
    channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
  }

  private JsonNode bundleStatus() throws Exception {
    return JSON.readTree(ReloadingSidecar.admin(server, "GET", "/status").body()).path("bundle");
  }

  private boolean serving(String label) {
    return server.bundle().snapshot().revision().matches(ReloadingSidecar.rev(label));
  }

  @Test
  void aBundlePushedToTheTagActivatesAndAnUnchangedTagDownloadsNothing() throws Exception {
    push("team/work", "rev-a", "alice");
    start("team/work");
    assertThat(ReloadingSidecar.decideItem(channel, "alice").getRevision()).matches(ReloadingSidecar.rev("rev-a"));
    assertThat(bundleStatus().path("source").asText()).isEqualTo("oci");

    long blobs = registry.awaitRequests("GET", "/v2/team/work/blobs/", 1);
    long heads = registry.requests("HEAD", "/v2/team/work/manifests/live");
    assertThat(ReloadingSidecar.await(Duration.ofSeconds(20), () -> {
      try {
        return registry.requests("HEAD", "/v2/team/work/manifests/live") >= heads + 3;
      } catch (java.io.IOException e) {
        return false;
      }
    })).isTrue();
    assertThat(registry.requests("GET", "/v2/team/work/blobs/")).as("no layer downloaded while unchanged")
        .isEqualTo(blobs);
    assertThat(bundleStatus().path("last_check").path("stage").asText()).isEqualTo("source");

    push("team/work", "rev-b", "bob");
    assertThat(ReloadingSidecar.await(Duration.ofSeconds(20), () -> serving("rev-b"))).isTrue();
    assertThat(ReloadingSidecar.decideItem(channel, "bob").getAllowed()).isTrue();
  }

  @Test
  void aTagMovedToABrokenBundleLeavesTheLastGoodOneServing() throws Exception {
    push("team/broken", "rev-a", "alice");
    start("team/broken");
    push("team/broken", "rev-bad", "permit read when principal.id ==\n", "alice");
    assertThat(ReloadingSidecar.await(Duration.ofSeconds(20), () -> {
      try {
        return bundleStatus().path("last_failure").path("stage").asText().equals("parse");
      } catch (Exception e) {
        return false;
      }
    })).isTrue();
    assertThat(serving("rev-a")).isTrue();
    assertThat(ReloadingSidecar.decideItem(channel, "alice").getAllowed()).isTrue();
  }
}
