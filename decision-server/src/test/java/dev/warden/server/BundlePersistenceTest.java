package dev.warden.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.bundle.BundleArchive;
import dev.warden.bundle.BundleDirectory;
import dev.warden.bundle.BundleKeys;
import dev.warden.bundle.BundleSignatures;
import dev.warden.proto.v1.DecideResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `reload.persist_dir` in the real server on loopback ports the OS picks: every activation is
 * persisted; a restart with the source gone serves the persisted bundle, degraded, until the
 * source reads again; a persisted bundle that is corrupt, or that no longer passes the pipeline,
 * is ignored and the start fails as it would without one.
 */
class BundlePersistenceTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  private WardenServer server;
  private ManagedChannel channel;

  private Path state() {
    return dir.resolve("state");
  }

  private void start(Path bundle, Map<String, String> more) throws Exception {
    Map<String, String> flags = ReloadingSidecar.loopbackFlags("work=" + bundle);
    flags.put("reload.poll_interval", "100ms");
    flags.put("reload.debounce", "100ms");
    flags.put("reload.persist_dir", state().toString());
    flags.putAll(more);
    flags.values().removeIf(v -> v == null);
    server = null;
    server = ReloadingSidecar.started(flags);
    channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    ReloadingSidecar.stop(channel, server);
    channel = null;
    server = null;
  }

  private DecideResponse decide(String sub) {
    return ReloadingSidecar.decideItem(channel, sub);
  }

  private HttpResponse<String> admin(String path) throws IOException, InterruptedException {
    return ReloadingSidecar.admin(server, "GET", path);
  }

  private JsonNode bundleStatus() throws IOException, InterruptedException {
    return JSON.readTree(admin("/status").body()).path("bundle");
  }

  private double metric(String series) throws IOException, InterruptedException {
    return ReloadingSidecar.metric(server, series, -1);
  }

  private static boolean await(BooleanSupplier done) throws InterruptedException {
    return ReloadingSidecar.await(WAIT, done);
  }

  private boolean serving(String revision) {
    return server.bundle().snapshot().revision().matches(ReloadingSidecar.rev(revision));
  }

  private JsonNode sidecar() throws IOException {
    return JSON.readTree(state().resolve(BundlePersistence.SIDECAR).toFile());
  }

  @Test
  void everyActivationIsPersistedAsAnArchiveWithTheActiveDigest() throws Exception {
    Path bundle = dir.resolve("bundle");
    BundleReloadTest.write(bundle, "rev-a", "alice");
    start(bundle, Map.of());

    Path archive = state().resolve(BundlePersistence.ARCHIVE);
    assertThat(archive).isRegularFile();
    String digest = bundleStatus().path("digest").asText();
    assertThat(digest).isEqualTo("sha256:" + BundleDirectory.read(bundle).digest());
    assertThat("sha256:" + BundleArchive.read(archive).digest()).isEqualTo(digest);
    assertThat(sidecar().path("revision").asText()).matches(ReloadingSidecar.rev("rev-a"));
    assertThat(sidecar().path("digest").asText()).isEqualTo(digest);
    assertThat(sidecar().path("source").asText()).isEqualTo(bundle.toString());
    assertThat(sidecar().path("activated_at").asText()).isNotEmpty();
    assertThat(bundleStatus().path("state").asText()).isEqualTo("healthy");
    assertThat(bundleStatus().path("persist").asBoolean()).isTrue();
    assertThat(metric("warden_bundle_degraded{bundle=\"work\"}")).isEqualTo(0.0);

    BundleReloadTest.write(bundle, "rev-b", "bob");
    assertThat(await(() -> serving("rev-b"))).isTrue();
    assertThat(await(() -> {
      try {
        return sidecar().path("revision").asText().matches(ReloadingSidecar.rev("rev-b"));
      } catch (IOException e) {
        return false;
      }
    })).as("rev-b persisted").isTrue();
    assertThat("sha256:" + BundleArchive.read(archive).digest()).isEqualTo(bundleStatus().path("digest").asText());
    try (Stream<Path> files = Files.list(state())) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
          .as("no temporary file is left").containsExactly(BundlePersistence.SIDECAR, BundlePersistence.ARCHIVE);
    }
  }

  @Test
  void aRestartWithTheSourceGoneServesThePersistedBundleDegradedUntilTheSourceIsBack() throws Exception {
    Path bundle = dir.resolve("bundle");
    BundleReloadTest.write(bundle, "rev-a", "alice");
    start(bundle, Map.of());
    stop();
    Path kept = dir.resolve("kept");
    Files.move(bundle, kept);

    start(bundle, Map.of());
    assertThat(serving("rev-a")).isTrue();
    DecideResponse alice = decide("alice");
    assertThat(alice.getAllowed()).isTrue();
    assertThat(alice.getRevision()).matches(ReloadingSidecar.rev("rev-a"));
    JsonNode s = bundleStatus();
    assertThat(s.path("state").asText()).isEqualTo("degraded");
    assertThat(s.path("reason").asText())
        .matches(java.util.regex.Pattern.quote("source unreachable, serving the persisted bundle from `reload.persist_dir` (revision ")
            + ReloadingSidecar.rev("rev-a") + "\\)");
    assertThat(admin("/status").body()).as("no file paths in /status").doesNotContain(dir.toString());
    assertThat(metric("warden_bundle_degraded{bundle=\"work\"}")).isEqualTo(1.0);
    assertThat(admin("/ready").statusCode()).as("a bundle is active: ready").isEqualTo(200);

    // The same bundle comes back: the source's copy activates (not "unchanged") and clears degraded.
    Files.move(kept, bundle);
    assertThat(await(() -> {
      try {
        return bundleStatus().path("state").asText().equals("healthy");
      } catch (IOException | InterruptedException e) {
        return false;
      }
    })).as("healthy again").isTrue();
    assertThat(bundleStatus().has("reason")).isFalse();
    assertThat(metric("warden_bundle_degraded{bundle=\"work\"}")).isEqualTo(0.0);
    assertThat(server.bundle().snapshot().source()).isEqualTo(bundle.toString());

    BundleReloadTest.write(bundle, "rev-b", "bob");
    assertThat(await(() -> serving("rev-b"))).isTrue();
    assertThat(decide("bob").getAllowed()).isTrue();
  }

  @Test
  void aCorruptPersistedBundleIsIgnoredAndTheStartFails() throws Exception {
    Files.createDirectories(state());
    Files.writeString(state().resolve(BundlePersistence.ARCHIVE), "not an archive");
    try (LogCapture logs = new LogCapture()) {
      assertThatThrownBy(() -> start(dir.resolve("missing"), Map.of()))
          .isInstanceOf(WardenServer.StartException.class).hasMessageContaining("does not exist");
      assertThat(logs.warnings()).anySatisfy(l -> assertThat(l).startsWith("WARN")
          .contains("the persisted bundle").contains("is ignored"));
    }
  }

  @Test
  void aSourceWithErrorsStillRefusesTheStartThoughABundleIsPersisted() throws Exception {
    Path bundle = dir.resolve("bundle");
    BundleReloadTest.write(bundle, "rev-a", "alice");
    start(bundle, Map.of());
    stop();
    BundleReloadTest.write(bundle, "rev-bad", "permit read when principal.id ==\n", "alice");
    assertThatThrownBy(() -> start(bundle, Map.of())).isInstanceOf(WardenServer.StartException.class)
        .hasMessageContaining("error(s)");
  }

  @Test
  void withoutPersistDirNothingIsWritten() throws Exception {
    Path bundle = dir.resolve("bundle");
    BundleReloadTest.write(bundle, "rev-a", "alice");
    Map<String, String> off = new HashMap<>();
    off.put("reload.persist_dir", null);
    start(bundle, off);
    BundleReloadTest.write(bundle, "rev-b", "bob");
    assertThat(await(() -> serving("rev-b"))).isTrue();
    assertThat(bundleStatus().path("state").asText()).isEqualTo("healthy");
    assertThat(bundleStatus().path("persist").asBoolean(true)).isFalse();
    try (Stream<Path> walk = Files.walk(dir)) {
      assertThat(walk.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("last-bundle")).toList()).isEmpty();
    }
    assertThat(state()).doesNotExist();
  }

  /** A persisted signed bundle keeps its `.signatures.json` and is verified again when it is served. */
  @Test
  void aPersistedSignedBundleIsVerifiedAgainAtStart() throws Exception {
    Files.createDirectories(dir.resolve("keys"));
    KeyPair ops = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    KeyPair other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Files.writeString(dir.resolve("keys/ops.pem"), BundleKeys.pem(ops.getPublic()));
    Files.writeString(dir.resolve("keys/other.pem"), BundleKeys.pem(other.getPublic()));
    Path folder = dir.resolve("src");
    BundleReloadTest.write(folder, "rev-signed", "alice");
    Path archive = dir.resolve("bundle.tar.gz");
    byte[] signatures = BundleSignatures.sign(BundleDirectory.read(folder),
        List.of(new BundleSignatures.SigningKey("ops", ops.getPrivate())));
    try (OutputStream out = Files.newOutputStream(archive)) {
      BundleArchive.write(BundleDirectory.read(folder), signatures, out);
    }
    start(archive, Map.of("reload.trusted_keys", dir.resolve("keys/ops.pem").toString()));
    stop();
    assertThat(BundleArchive.readSigned(state().resolve(BundlePersistence.ARCHIVE)).signatures()).isNotNull();
    Files.delete(archive);

    start(archive, Map.of("reload.trusted_keys", dir.resolve("keys/ops.pem").toString()));
    assertThat(serving("rev-signed")).isTrue();
    assertThat(bundleStatus().path("state").asText()).isEqualTo("degraded");
    stop();

    try (LogCapture logs = new LogCapture()) {
      assertThatThrownBy(() -> start(archive, Map.of("reload.trusted_keys", dir.resolve("keys/other.pem").toString())))
          .isInstanceOf(WardenServer.StartException.class).hasMessageContaining("does not exist");
      assertThat(logs.warnings()).anySatisfy(l -> assertThat(l).contains("is ignored").contains("bundle.signature"));
    }
  }
}
