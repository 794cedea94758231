package dev.warden.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.bundle.BundleArchive;
import dev.warden.bundle.BundleDirectory;
import dev.warden.bundle.BundleKeys;
import dev.warden.bundle.BundleReader;
import dev.warden.bundle.BundleSignatures;
import dev.warden.proto.v1.DecideResponse;
import dev.warden.policy.source.Bundle;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed bundles in the real server on loopback ports the OS picks: with `reload.trusted_keys`,
 * a bundle activates only when its signatures verify, at start and on every check; a refused one
 * leaves the last good revision serving, with the failure in `/status` and `/metrics`.
 */
class SignedBundleReloadTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private WardenServer server;
  private ManagedChannel channel;

  /** An Ed25519 key pair whose public key is written to {@code keys/NAME.pub.pem}. */
  private KeyPair key(String name) throws Exception {
    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Files.createDirectories(dir.resolve("keys"));
    Files.writeString(dir.resolve("keys").resolve(name + ".pub.pem"), BundleKeys.pem(pair.getPublic()));
    return pair;
  }

  private Path pub(String name) {
    return dir.resolve("keys").resolve(name + ".pub.pem");
  }

  private static byte[] sign(Bundle bundle, Object... idsAndKeys) throws Exception {
    List<BundleSignatures.SigningKey> keys = new ArrayList<>();
    for (int i = 0; i < idsAndKeys.length; i += 2) {
      keys.add(new BundleSignatures.SigningKey((String) idsAndKeys[i], ((KeyPair) idsAndKeys[i + 1]).getPrivate()));
    }
    return BundleSignatures.sign(bundle, keys);
  }

  /** Writes {@code folder} as an archive with {@code signatures} (or none), swapped in for {@code archive}. */
  private void archive(Path folder, byte[] signatures, Path archive) throws IOException, Exception {
    Path next = dir.resolve("next.tar.gz");
    try (OutputStream out = Files.newOutputStream(next)) {
      BundleArchive.write(BundleDirectory.read(folder), signatures, out);
    }
    Files.move(next, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private void start(Path bundle, String... trustedKeys) throws Exception {
    start(bundle, false, trustedKeys);
  }

  private void start(Path bundle, boolean watch, String... trustedKeys) throws Exception {
    Map<String, String> flags = ReloadingSidecar.loopbackFlags("work=" + bundle);
    flags.put("reload.watch", Boolean.toString(watch));
    flags.put("reload.poll_interval", "100ms");
    flags.put("reload.debounce", "100ms");
    flags.put("reload.trusted_keys", String.join(",", trustedKeys));
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

  private HttpResponse<String> admin(String method, String path) throws IOException, InterruptedException {
    return ReloadingSidecar.admin(server, method, path);
  }

  /** `POST /bundles/reload`: a check now, answered when it is done. */
  private JsonNode reload() throws IOException, InterruptedException {
    HttpResponse<String> r = admin("POST", "/bundles/reload");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private double metric(String series) throws IOException, InterruptedException {
    return ReloadingSidecar.metric(server, series, 0);
  }

  /** A check that refuses the bundle at `verify-signature`, saying {@code why}, while {@code revision} serves on. */
  private void assertRefused(double failures, String why, String revision, String reader) throws Exception {
    JsonNode outcome = reload();
    assertThat(outcome.path("result").asText()).as(outcome.toString()).isEqualTo("failed");
    assertThat(outcome.path("stage").asText()).isEqualTo("verify-signature");
    assertThat(outcome.path("diagnostics").asText()).contains("bundle.signature").contains(".signatures.json")
        .contains(why);
    assertThat(server.bundle().snapshot().revision()).matches(ReloadingSidecar.rev(revision));
    DecideResponse answer = decide(reader);
    assertThat(answer.getAllowed()).isTrue();
    assertThat(answer.getRevision()).matches(ReloadingSidecar.rev(revision));
    JsonNode s = JSON.readTree(admin("GET", "/status").body());
    assertThat(s.path("ready").asBoolean()).isTrue();
    assertThat(s.path("last_error").asText()).startsWith("verify-signature: ");
    assertThat(s.path("bundle").path("last_failure").path("stage").asText()).isEqualTo("verify-signature");
    assertThat(metric("warden_bundle_reloads_total{bundle=\"work\",result=\"failed\",stage=\"verify-signature\"}")).isEqualTo(failures);
  }

  @Test
  void aSignedArchiveServesAndTamperedUnsignedOrForeignOnesAreRefused() throws Exception {
    KeyPair ops = key("ops");
    KeyPair other = key("other");
    Path a = dir.resolve("a");
    BundleReloadTest.write(a, "rev-a", "alice");
    Path archive = dir.resolve("bundle.tar.gz");
    byte[] signedA = sign(BundleDirectory.read(a), "ops", ops);
    archive(a, signedA, archive);
    start(archive, "ops=" + pub("ops"));
    assertThat(decide("alice").getRevision()).matches(ReloadingSidecar.rev("rev-a"));
    JsonNode status = JSON.readTree(admin("GET", "/status").body());
    assertThat(status.path("bundle").path("trusted_keys").toString()).isEqualTo("[\"ops\"]");

    Path b = dir.resolve("b");
    BundleReloadTest.write(b, "rev-b", "bob");
    // rev-a's signatures over rev-b's files: every changed file is named.
    archive(b, signedA, archive);
    assertRefused(1, "`work.warden` is not the file signed by `ops`", "rev-a", "alice");

    archive(b, null, archive);
    assertRefused(2, "the bundle is not signed", "rev-a", "alice");

    archive(b, sign(BundleDirectory.read(b), "other", other), archive);
    assertRefused(3, "no signature is by a trusted key", "rev-a", "alice");

    // A key id the sidecar trusts, made by another key: the signature does not verify.
    archive(b, sign(BundleDirectory.read(b), "ops", other), archive);
    assertRefused(4, "does not verify", "rev-a", "alice");

    Files.writeString(a.resolve("extra.json"), "{}\n");
    archive(a, signedA, archive);
    assertRefused(5, "`extra.json` is in the bundle but not among the files signed by `ops` (a file was added)",
        "rev-a", "alice");
    Files.delete(a.resolve("extra.json"));

    archive(b, sign(BundleDirectory.read(b), "ops", ops), archive);
    JsonNode ok = reload();
    assertThat(ok.path("result").asText()).as(ok.toString()).isEqualTo("ok");
    assertThat(decide("bob").getRevision()).matches(ReloadingSidecar.rev("rev-b"));
    assertThat(JSON.readTree(admin("GET", "/status").body()).path("last_error").isNull()).isTrue();
  }

  /**
   * A directory bundle carries `.signatures.json` at its root, outside the bundle and its digest.
   * Rotation: with the old and the new key trusted, a bundle signed by either or both activates.
   */
  @Test
  void aDirectoryBundleVerifiesAcrossAKeyRotation() throws Exception {
    KeyPair old = key("ops-2026");
    KeyPair next = key("ops-2027");
    Path bundle = dir.resolve("bundle");
    BundleReloadTest.write(bundle, "rev-a", "alice");
    Path sig = bundle.resolve(BundleSignatures.FILE);
    Files.write(sig, sign(BundleDirectory.read(bundle), "ops-2026", old));
    assertThat(BundleReader.read(bundle).paths()).doesNotContain(BundleSignatures.FILE);
    // Key ids from the file names: keys/ops-2026.pub.pem is `ops-2026`.
    start(bundle, pub("ops-2026").toString(), pub("ops-2027").toString());
    assertThat(decide("alice").getRevision()).matches(ReloadingSidecar.rev("rev-a"));

    BundleReloadTest.write(bundle, "rev-b", "bob");
    Files.write(sig, sign(BundleDirectory.read(bundle), "ops-2026", old, "ops-2027", next));
    assertThat(reload().path("result").asText()).isEqualTo("ok");
    assertThat(decide("bob").getRevision()).matches(ReloadingSidecar.rev("rev-b"));

    BundleReloadTest.write(bundle, "rev-c", "carol");
    Files.write(sig, sign(BundleDirectory.read(bundle), "ops-2027", next));
    assertThat(reload().path("result").asText()).isEqualTo("ok");
    assertThat(decide("carol").getRevision()).matches(ReloadingSidecar.rev("rev-c"));

    // A file changed after signing.
    BundleReloadTest.write(bundle, "rev-d", "dave");
    assertRefused(1, "is not the file signed by `ops-2027`", "rev-c", "carol");
    Files.delete(sig);
    assertRefused(2, "the bundle is not signed", "rev-c", "carol");
  }

  /** The watch goes through the same check: an unsigned archive swapped in is refused, and says so in the log. */
  @Test
  void theWatchRefusesAnUnsignedArchiveAndLogsIt() throws Exception {
    KeyPair ops = key("ops");
    Path a = dir.resolve("a");
    BundleReloadTest.write(a, "rev-a", "alice");
    Path archive = dir.resolve("bundle.tar.gz");
    archive(a, sign(BundleDirectory.read(a), "ops", ops), archive);
    try (LogCapture logs = new LogCapture()) {
      start(archive, true, "ops=" + pub("ops"));
      Path b = dir.resolve("b");
      BundleReloadTest.write(b, "rev-b", "bob");
      archive(b, null, archive);
      long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (System.nanoTime() < end && metric(
          "warden_bundle_reloads_total{bundle=\"work\",result=\"failed\",stage=\"verify-signature\"}") < 1) {
        Thread.sleep(20);
      }
      assertThat(metric("warden_bundle_reloads_total{bundle=\"work\",result=\"failed\",stage=\"verify-signature\"}")).isEqualTo(1.0);
      assertThat(decide("alice").getRevision()).matches(ReloadingSidecar.rev("rev-a"));
      assertThat(logs.warnings()).anySatisfy(l -> assertThat(l).contains("not activated (watch): verify-signature failed")
          .contains("the bundle is not signed").contains("still serving revision rev-a@sha256:"));
    }
  }

  @Test
  void withoutTrustedKeysSignaturesAreNotChecked() throws Exception {
    Path bundle = dir.resolve("bundle");
    BundleReloadTest.write(bundle, "rev-a", "alice");
    Files.writeString(bundle.resolve(BundleSignatures.FILE), "not even JSON");
    start(bundle);
    assertThat(decide("alice").getRevision()).matches(ReloadingSidecar.rev("rev-a"));
    assertThat(JSON.readTree(admin("GET", "/status").body()).path("bundle").path("trusted_keys").toString())
        .isEqualTo("[]");
  }

  @Test
  void anUnsignedBundleDoesNotStart() throws Exception {
    key("ops");
    Path bundle = dir.resolve("bundle");
    BundleReloadTest.write(bundle, "rev-a", "alice");
    try {
      start(bundle, pub("ops").toString());
      throw new AssertionError("started with an unsigned bundle");
    } catch (WardenServer.StartException e) {
      assertThat(e.diagnostics()).isNotNull();
      assertThat(e.diagnostics().render()).contains("bundle.signature").contains("the bundle is not signed");
    }
  }
}
