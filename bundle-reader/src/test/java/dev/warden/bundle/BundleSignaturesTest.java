package dev.warden.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.bundle.BundleSignatures.SigningKey;
import dev.warden.bundle.BundleSignatures.Status;
import dev.warden.bundle.BundleSignatures.Verification;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.source.Bundle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Signing and verifying bundles: every algorithm, several keys, and every way to be refused. */
class BundleSignaturesTest {
  static final Bundle BUNDLE = Bundle.of(Map.of("bundle.yaml", "revision: r1\n", "a.warden", "package a\n",
      "data/d.json", "{}"));

  @TempDir Path tmp;

  static KeyPair keys(String algorithm) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm.equals("P-256") ? "EC" : algorithm);
    if (algorithm.equals("P-256")) {
      g.initialize(new ECGenParameterSpec("secp256r1"));
    } else if (algorithm.equals("RSA")) {
      g.initialize(2048);
    }
    return g.generateKeyPair();
  }

  private static Bundle with(Bundle b, String path, String text) {
    Map<String, byte[]> files = new TreeMap<>();
    b.paths().forEach(p -> files.put(p, b.bytes(p)));
    if (text == null) {
      files.remove(path);
    } else {
      files.put(path, text.getBytes(StandardCharsets.UTF_8));
    }
    return Bundle.ofBytes(files);
  }

  @ParameterizedTest
  @ValueSource(strings = {"Ed25519", "P-256", "RSA"})
  void eachAlgorithmSignsAndVerifiesThroughPemFiles(String algorithm) throws Exception {
    KeyPair k = keys(algorithm);
    Path priv = Files.writeString(tmp.resolve("k.pem"), BundleKeys.pem(k.getPrivate()));
    Path pub = Files.writeString(tmp.resolve("k.pub.pem"), BundleKeys.pem(k.getPublic()));
    byte[] sigs = BundleSignatures.sign(BUNDLE, List.of(new SigningKey("k1", BundleKeys.readPrivate(priv))));
    assertThat(BundleSignatures.read(sigs)).singleElement().satisfies(s -> {
      assertThat(s.keyId()).isEqualTo("k1");
      assertThat(s.algorithm()).isEqualTo(Map.of("Ed25519", "EdDSA", "P-256", "ES256", "RSA", "RS256").get(algorithm));
    });
    Verification v = BundleSignatures.verify(BUNDLE, sigs, Map.of("k1", BundleKeys.readPublic(pub)));
    assertThat(v.problems()).isEmpty();
    assertThat(v.verified()).isTrue();
  }

  @Test
  void twoSignaturesVerifyWithEitherKeyAlone() throws Exception {
    KeyPair old = keys("Ed25519");
    KeyPair next = keys("P-256");
    byte[] sigs = BundleSignatures.sign(BUNDLE, List.of(new SigningKey("old", old.getPrivate()),
        new SigningKey("next", next.getPrivate())));
    Verification byOld = BundleSignatures.verify(BUNDLE, sigs, Map.of("old", old.getPublic()));
    assertThat(byOld.verified()).isTrue();
    assertThat(byOld.checks()).extracting(c -> c.status()).containsExactly(Status.VERIFIED, Status.UNTRUSTED_KEY);
    assertThat(BundleSignatures.verify(BUNDLE, sigs, Map.of("next", next.getPublic())).verified()).isTrue();
    assertThat(BundleSignatures.verify(BUNDLE, sigs, Map.of("old", old.getPublic(), "next", next.getPublic()))
        .checks()).extracting(c -> c.status()).containsExactly(Status.VERIFIED, Status.VERIFIED);
  }

  @Test
  void anUnsignedBundleIsRefused() {
    Verification v = BundleSignatures.verify(BUNDLE, null, Map.of());
    assertThat(v.verified()).isFalse();
    assertThat(v.problems()).containsExactly("the bundle is not signed: it has no `.signatures.json`");
  }

  @Test
  void aChangedAddedOrRemovedFileIsRefusedByName() throws Exception {
    KeyPair k = keys("Ed25519");
    byte[] sigs = BundleSignatures.sign(BUNDLE, List.of(new SigningKey("k", k.getPrivate())));
    Map<String, PublicKey> trusted = Map.of("k", k.getPublic());

    Verification changed = BundleSignatures.verify(with(BUNDLE, "a.warden", "package b\n"), sigs, trusted);
    assertThat(changed.verified()).isFalse();
    assertThat(changed.problems()).singleElement().asString()
        .startsWith("`a.warden` is not the file signed by `k` (its sha256 is sha256:");

    assertThat(BundleSignatures.verify(with(BUNDLE, "data/extra.json", "1"), sigs, trusted).problems())
        .containsExactly("`data/extra.json` is in the bundle but not among the files signed by `k` (a file was added)");
    assertThat(BundleSignatures.verify(with(BUNDLE, "data/d.json", null), sigs, trusted).problems())
        .containsExactly("`data/d.json` was signed by `k` but is not in the bundle (a file was removed)");
  }

  @Test
  void aWrongKeyOrAnUnknownKeyIdIsRefused() throws Exception {
    KeyPair k = keys("Ed25519");
    KeyPair other = keys("Ed25519");
    byte[] sigs = BundleSignatures.sign(BUNDLE, List.of(new SigningKey("k", k.getPrivate())));

    Verification wrong = BundleSignatures.verify(BUNDLE, sigs, Map.of("k", other.getPublic()));
    assertThat(wrong.verified()).isFalse();
    assertThat(wrong.problems()).containsExactly(
        "the signature by `k` does not verify: the signed payload was changed, or another key made it");

    Verification unknown = BundleSignatures.verify(BUNDLE, sigs, Map.of("j", k.getPublic()));
    assertThat(unknown.verified()).isFalse();
    assertThat(unknown.problems()).containsExactly(
        "no signature is by a trusted key: the bundle is signed by `k`, the trusted keys are `j`");

    Verification otherFamily = BundleSignatures.verify(BUNDLE, sigs, Map.of("k", keys("P-256").getPublic()));
    assertThat(otherFamily.verified()).isFalse();
    assertThat(otherFamily.problems()).containsExactly("the signature by `k` is `EdDSA`, which the trusted EC key `k` cannot verify");
  }

  @Test
  void aSignatureByATrustedKeyThatFailsRefusesEvenBesideAGoodOne() throws Exception {
    KeyPair k = keys("Ed25519");
    KeyPair j = keys("Ed25519");
    byte[] sigs = BundleSignatures.sign(BUNDLE, List.of(new SigningKey("k", k.getPrivate()),
        new SigningKey("j", keys("Ed25519").getPrivate())));
    Verification v = BundleSignatures.verify(BUNDLE, sigs, Map.of("k", k.getPublic(), "j", j.getPublic()));
    assertThat(v.verified()).isFalse();
    assertThat(v.problems()).singleElement().asString().startsWith("the signature by `j` does not verify");
  }

  @Test
  void badFilesAndKeysSayWhatIsWrong() throws Exception {
    assertThatThrownBy(() -> BundleSignatures.read("not json".getBytes()))
        .hasMessageStartingWith("`.signatures.json` is not a JSON object with a `signatures` list");
    assertThatThrownBy(() -> BundleSignatures.read("{\"signatures\":[\"x.y\"]}".getBytes()))
        .hasMessageStartingWith("`.signatures.json`: signature 1 is not a compact JWS");
    KeyPair k = keys("Ed25519");
    Path priv = Files.writeString(tmp.resolve("k.pem"), BundleKeys.pem(k.getPrivate()));
    assertThatThrownBy(() -> BundleKeys.readPublic(priv)).hasMessage("`" + priv
        + "` is not a PEM `public key` file (`-----BEGIN PUBLIC KEY-----`); it holds a private key: give its public"
        + " key (`openssl pkey -in KEY -pubout`)");
  }

  @Test
  void theVerifySignatureStageRunsAfterLoadAndRefusesABundleThatDoesNotVerify() throws Exception {
    Bundle shop = BundleReader.read(Path.of("policies", "shop"));
    KeyPair k = keys("Ed25519");
    byte[] sigs = BundleSignatures.sign(shop, List.of(new SigningKey("k", k.getPrivate())));
    BundleCompiler good = BundleCompiler.standard().withStageAfter(BundleCompiler.LOAD,
        BundleSignatures.stage(sigs, Map.of("k", k.getPublic())));
    assertThat(good.stageNames()).startsWith("load", "verify-signature", "parse");
    assertThat(good.compile(shop).ok()).isTrue();

    CompileResult bad = BundleCompiler.standard().withStageAfter(BundleCompiler.LOAD,
        BundleSignatures.stage(null, Map.of("k", k.getPublic()))).compile(shop);
    assertThat(bad.ok()).isFalse();
    assertThat(bad.errors()).singleElement().satisfies(d -> {
      assertThat(d.code()).isEqualTo("bundle.signature");
      assertThat(d.message()).isEqualTo("the bundle is not signed: it has no `.signatures.json`");
    });
  }
}
