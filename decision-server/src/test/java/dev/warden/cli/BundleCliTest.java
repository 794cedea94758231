package dev.warden.cli;

import static dev.warden.cli.CliTest.EXAMPLE;
import static dev.warden.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.bundle.BundleArchive;
import dev.warden.bundle.BundleKeys;
import dev.warden.cli.CliTest.Run;
import dev.warden.policy.source.Bundle;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `warden bundle build | verify | inspect` on the example bundle, signed and tampered with. */
class BundleCliTest {
  @TempDir Path tmp;
  Path ops;
  Path ci;

  @BeforeEach
  void keys() throws Exception {
    ops = keyPair("ops-2026", KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(new ECGenParameterSpec("secp256r1"));
    ci = keyPair("ci-2027", ec.generateKeyPair());
  }

  /** Writes NAME.pem and NAME.pub.pem; returns the private one. */
  private Path keyPair(String name, KeyPair k) throws IOException {
    Files.writeString(tmp.resolve(name + ".pub.pem"), BundleKeys.pem(k.getPublic()));
    return Files.writeString(tmp.resolve(name + ".pem"), BundleKeys.pem(k.getPrivate()));
  }

  private String pub(Path key) {
    return key.toString().replace(".pem", ".pub.pem");
  }

  private Path signedByBoth() {
    Path out = tmp.resolve("shop.tar.gz");
    Run r = run("bundle", "build", EXAMPLE.toString(), "-o", out.toString(),
        "--signing-key", ops.toString(), "--signing-key", ci.toString(), "--key-id", "ci-2027");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("built " + out + ": 14 files, sha256:")
        .containsPattern("revision shop-2026\\.11\\.1@sha256:[0-9a-f]{12}, signed by `ops-2026`, `ci-2027`");
    return out;
  }

  @Test
  void buildInspectVerifyRoundTrip() throws Exception {
    Path archive = signedByBoth();
    Run inspect = run("bundle", "inspect", archive.toString(), "--key", pub(ops));
    assertThat(inspect.exit()).as(inspect.err()).isZero();
    assertThat(inspect.out()).contains("revision: shop-2026.11.1", "digest:   sha256:", "  revision: shop-2026.11.1",
        "files: 14,", "routes: 14", "orders.read         GET     /orders/{orderId:uuid}", "signatures: 2",
        "  ops-2026  EdDSA  verified", "  ci-2027   ES256  untrusted key", "verified: yes");
    assertThat(inspect.out()).containsPattern("(?m)^  bundle\\.yaml +121  sha256:[0-9a-f]{64}$");

    Run json = run("bundle", "inspect", archive.toString(), "--format", "json");
    assertThat(json.exit()).isZero();
    JsonNode report = new ObjectMapper().readTree(json.out());
    assertThat(report.get("digest").asText()).matches("sha256:[0-9a-f]{64}");
    assertThat(report.get("files")).hasSize(14);
    assertThat(report.get("routes")).hasSize(14);
    assertThat(report.get("signatures").get(1).get("algorithm").asText()).isEqualTo("ES256");
    assertThat(report.get("signatures").get(1).get("status").asText()).isEqualTo("not checked");

    Run dir = run("bundle", "inspect", EXAMPLE.toString(), "--format", "json");
    assertThat(new ObjectMapper().readTree(dir.out()).get("digest")).isEqualTo(report.get("digest"));
  }

  @Test
  void twoSignaturesVerifyWithEitherKeyAlone() {
    Path archive = signedByBoth();
    Run byOps = run("bundle", "verify", archive.toString(), "--key", pub(ops));
    assertThat(byOps.exit()).as(byOps.err()).isZero();
    assertThat(byOps.out()).contains("signed by `ops-2026` (EdDSA)");
    Run byCi = run("bundle", "verify", archive.toString(), "--key", "ci-2027=" + pub(ci));
    assertThat(byCi.exit()).as(byCi.err()).isZero();
    assertThat(byCi.out()).contains("signed by `ci-2027` (ES256)");
    Run both = run("bundle", "verify", "--key", pub(ops), "--key", pub(ci), archive.toString());
    assertThat(both.exit()).as(both.err()).isZero();
    assertThat(both.out()).contains("signed by `ops-2026` (EdDSA), `ci-2027` (ES256)");
  }

  @Test
  void theSameInputGivesTheSameBytes() throws Exception {
    Path a = tmp.resolve("a.tar.gz");
    Path b = tmp.resolve("b.tar.gz");
    assertThat(run("bundle", "build", EXAMPLE.toString(), "-o", a.toString(), "--signing-key", ops.toString()).exit()).isZero();
    assertThat(run("bundle", "build", EXAMPLE.toString(), "-o", b.toString(), "--signing-key", ops.toString()).exit()).isZero();
    assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
  }

  @Test
  void anUnsignedBundleIsRefused() {
    Path out = tmp.resolve("u.tar.gz");
    assertThat(run("bundle", "build", EXAMPLE.toString(), "-o", out.toString()).out()).contains(", unsigned");
    Run r = run("bundle", "verify", out.toString(), "--key", pub(ops));
    assertThat(r.exit()).isEqualTo(BundleCommand.VERIFY_FAILED);
    assertThat(r.err()).contains("the bundle is not signed: it has no `.signatures.json`", "is not verified");
  }

  /** The signed archive rewritten with its signatures but a changed bundle. */
  private Path tampered(Consumer<Map<String, byte[]>> change) throws Exception {
    BundleArchive.Signed signed = BundleArchive.readSigned(signedByBoth());
    Map<String, byte[]> files = new TreeMap<>();
    signed.bundle().paths().forEach(p -> files.put(p, signed.bundle().bytes(p)));
    change.accept(files);
    Path out = tmp.resolve("tampered.tar.gz");
    try (OutputStream o = Files.newOutputStream(out)) {
      BundleArchive.write(Bundle.ofBytes(files), signed.signatures(), o);
    }
    return out;
  }

  @Test
  void aTamperedAddedOrRemovedFileIsRefusedByName() throws Exception {
    Path changed = tampered(f -> f.put("roles.warden", "package roles\n".getBytes(StandardCharsets.UTF_8)));
    Run r = run("bundle", "verify", changed.toString(), "--key", pub(ops));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("`roles.warden` is not the file signed by `ops-2026`");

    Path added = tampered(f -> f.put("data/extra.json", "{}".getBytes(StandardCharsets.UTF_8)));
    assertThat(run("bundle", "verify", added.toString(), "--key", pub(ops)).err())
        .contains("`data/extra.json` is in the bundle but not among the files signed by `ops-2026` (a file was added)");

    Path removed = tampered(f -> f.remove("data/orders.json"));
    Run gone = run("bundle", "inspect", removed.toString(), "--key", pub(ci));
    assertThat(gone.exit()).isEqualTo(1);
    assertThat(gone.out()).contains("ci-2027   ES256  files differ",
        "`data/orders.json` was signed by `ci-2027` but is not in the bundle (a file was removed)", "verified: no");
  }

  @Test
  void aWrongKeyOrAnUnknownKeyIdIsRefused() throws Exception {
    KeyPair other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Path wrong = Files.writeString(tmp.resolve("wrong.pub.pem"), BundleKeys.pem(other.getPublic()));
    Path archive = signedByBoth();
    Run r = run("bundle", "verify", archive.toString(), "--key", "ops-2026=" + wrong);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("the signature by `ops-2026` does not verify");

    Run unknown = run("bundle", "verify", archive.toString(), "--key", wrong.toString());
    assertThat(unknown.exit()).isEqualTo(1);
    assertThat(unknown.err()).contains("no signature is by a trusted key: the bundle is signed by `ops-2026`,"
        + " `ci-2027`, the trusted keys are `wrong`");
  }

  @Test
  void aBundleWithErrorsIsNotBuilt() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("bad"));
    Files.writeString(dir.resolve("bad.warden"), "package bad\nrole a extends b { allow * }\n");
    Path out = tmp.resolve("bad.tar.gz");
    Run r = run("bundle", "build", dir.toString(), "-o", out.toString());
    assertThat(r.exit()).isEqualTo(WardenCli.POLICY_ERRORS);
    assertThat(r.err()).contains("bad.warden:2:", "has 1 error(s)");
    assertThat(out).doesNotExist();
  }

  @Test
  void usageErrorsExitTwo() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("linked"));
    Files.writeString(dir.resolve("a.warden"), "package a\n");
    Files.createSymbolicLink(dir.resolve("b.warden"), Path.of("/etc/hostname"));
    Run link = run("bundle", "build", dir.toString(), "-o", tmp.resolve("l.tar.gz").toString());
    assertThat(link.exit()).isEqualTo(WardenCli.USAGE);
    assertThat(link.err()).contains("error: `b.warden` is a symbolic link");

    Run missing = run("bundle", "verify", tmp.resolve("none.tar.gz").toString(), "--key", pub(ops));
    assertThat(missing.exit()).isEqualTo(WardenCli.USAGE);
    assertThat(missing.err()).contains("does not exist");
    assertThat(run("bundle", "verify", "x.tar.gz").exit()).isEqualTo(WardenCli.USAGE);
  }

  @Test
  void anArchiveBombIsRefusedAsUnreadable() throws Exception {
    Path bomb = tmp.resolve("bomb.tar.gz");
    try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(
        new org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream(Files.newOutputStream(bomb)))) {
      var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("data/zeros.json");
      e.setSize(12L << 20);
      tar.putArchiveEntry(e);
      tar.write(new byte[12 << 20]);
      tar.closeArchiveEntry();
    }
    for (String command : new String[] {"inspect", "verify"}) {
      Run r = command.equals("verify") ? run("bundle", "verify", bomb.toString(), "--key", pub(ops))
          : run("bundle", "inspect", bomb.toString());
      assertThat(r.exit()).as(command).isEqualTo(WardenCli.USAGE);
      assertThat(r.err()).as(command).contains("expands more than 100 times", "refused as a possible archive bomb");
    }
  }
}
