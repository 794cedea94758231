package dev.warden.bundle;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.crypto.impl.ECDSA;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.warden.policy.bundle.Stage;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Span;
import dev.warden.policy.source.Bundle;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Bundle signatures: the `.signatures.json` file of an archive holds one or more compact JWS,
 * each with its key id (`kid`) in the header, over one payload that lists the manifest's text,
 * the content digest and the SHA-256 of every file of the bundle. Signing uses the key's own
 * algorithm: `EdDSA` for Ed25519, `ES256`/`ES384`/`ES512` for EC P-256/P-384/P-521, `RS256` for
 * RSA (`PS256` verifies too).
 *
 * <p>A bundle verifies when at least one signature is valid for a trusted key with its `kid`
 * and that signature's file list equals the bundle's files exactly; a signature by a key that is
 * not trusted is ignored (an old or a new key during a rotation), but one by a trusted key that
 * does not verify, or whose file list differs, refuses the bundle. {@link #verify} is the check;
 * {@link #stage} wraps it as the `verify-signature` stage of the pipeline, for
 * `BundleCompiler.withStageAfter("load", …)`, with the signatures file
 * {@link BundleArchive#readSigned} returns beside the bundle.
 */
public final class BundleSignatures {
  /** The signatures file, at the root of the archive; hidden, so it is never part of the bundle. */
  public static final String FILE = ".signatures.json";
  /** The payload's format version, `warden_bundle` in the payload. */
  public static final int FORMAT = 1;

  /** The name of the pipeline stage {@link #stage} makes. */
  public static final String STAGE = "verify-signature";

  private BundleSignatures() {}

  /**
   * The `verify-signature` stage for one archive: its signatures file (null when it has none)
   * verified against {@code trusted} over the bundle the pipeline compiles; each problem is a
   * `bundle.signature` error at `.signatures.json`, so the run makes no program. The stage holds
   * that archive's signatures: make one per archive read.
   */
  public static Stage stage(byte[] signatures, Map<String, PublicKey> trusted) {
    byte[] copy = signatures == null ? null : signatures.clone();
    Map<String, PublicKey> keys = Map.copyOf(trusted);
    return Stage.of(STAGE, s -> true, s -> {
      Verification v = verify(s.bundle(), copy, keys);
      if (!v.verified()) {
        for (String problem : v.problems()) {
          s.diagnostics().add(Diagnostic.error("bundle.signature", Span.of(FILE), problem));
        }
      }
    });
  }

  /** A private key and the id its signatures carry. */
  public record SigningKey(String keyId, PrivateKey key) {}

  /** One signature of a signatures file as read: its key id, its algorithm, the compact JWS. */
  public record Signature(String keyId, String algorithm, String jws) {}

  /** What one signature came to against the trusted keys. */
  public enum Status { VERIFIED, UNTRUSTED_KEY, INVALID, FILES_DIFFER }

  public record Check(Signature signature, Status status, List<String> problems) {}

  /**
   * The verdict: {@code verified()} when the bundle may be used; otherwise {@code problems()}
   * says why, one human line each, naming the key or the file.
   */
  public record Verification(boolean verified, List<Check> checks, List<String> problems) {}

  /** The `sha256:…` content digest of a bundle: the same digest the default revision shows. */
  public static String contentDigest(Bundle bundle) {
    return "sha256:" + bundle.digest();
  }

  /** A file's `sha256:…` hash. */
  public static String sha256(byte[] bytes) {
    try {
      return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  /** The payload every signature of {@code bundle} signs, as a JSON object. */
  public static Map<String, Object> payload(Bundle bundle) {
    Map<String, Object> payload = new LinkedHashMap<>();
    payload.put("warden_bundle", FORMAT);
    payload.put("digest", contentDigest(bundle));
    if (bundle.has(Bundle.MANIFEST)) {
      payload.put("manifest", new String(bundle.bytes(Bundle.MANIFEST), StandardCharsets.UTF_8));
    }
    Map<String, Object> files = new TreeMap<>();
    for (String path : bundle.paths()) {
      files.put(path, sha256(bundle.bytes(path)));
    }
    payload.put("files", files);
    return payload;
  }

  /** The `.signatures.json` bytes with one signature per key, in the order given. */
  public static byte[] sign(Bundle bundle, List<SigningKey> keys) throws BundleReadException {
    Payload payload = new Payload(payload(bundle));
    List<Object> signatures = new ArrayList<>();
    for (SigningKey key : keys) {
      try {
        JWSObject jws = new JWSObject(new JWSHeader.Builder(algorithm(key.key())).keyID(key.keyId()).build(), payload);
        jws.sign(signer(key.key()));
        signatures.add(jws.serialize());
      } catch (JOSEException e) {
        throw new BundleReadException("cannot sign with key `" + key.keyId() + "`: " + e.getMessage());
      }
    }
    Map<String, Object> file = new LinkedHashMap<>();
    file.put("signatures", signatures);
    return (JSONObjectUtils.toJSONString(file) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /** The signatures of a signatures file, without verifying them. */
  public static List<Signature> read(byte[] file) throws BundleReadException {
    List<Signature> out = new ArrayList<>();
    try {
      Map<String, Object> json = JSONObjectUtils.parse(new String(file, StandardCharsets.UTF_8));
      String[] list = JSONObjectUtils.getStringArray(json, "signatures");
      if (list == null || list.length == 0) {
        throw new BundleReadException("`" + FILE + "` holds no signatures (a `signatures` list of compact JWS)");
      }
      for (int i = 0; i < list.length; i++) {
        try {
          JWSObject jws = JWSObject.parse(list[i]);
          String kid = jws.getHeader().getKeyID();
          if (kid == null || kid.isEmpty()) {
            throw new BundleReadException("`" + FILE + "`: signature " + (i + 1) + " has no key id (`kid` in its header)");
          }
          out.add(new Signature(kid, jws.getHeader().getAlgorithm().getName(), list[i]));
        } catch (ParseException e) {
          throw new BundleReadException("`" + FILE + "`: signature " + (i + 1) + " is not a compact JWS: " + e.getMessage());
        }
      }
    } catch (ParseException e) {
      throw new BundleReadException("`" + FILE + "` is not a JSON object with a `signatures` list: " + e.getMessage());
    }
    return out;
  }

  /**
   * Verifies {@code signatures} (the `.signatures.json` bytes, or null for an unsigned bundle)
   * over {@code bundle} against the trusted public keys by key id.
   */
  public static Verification verify(Bundle bundle, byte[] signatures, Map<String, PublicKey> trusted) {
    if (signatures == null) {
      return new Verification(false, List.of(), List.of("the bundle is not signed: it has no `" + FILE + "`"));
    }
    List<Signature> list;
    try {
      list = read(signatures);
    } catch (BundleReadException e) {
      return new Verification(false, List.of(), List.of(e.getMessage()));
    }
    Map<String, Object> expected = payload(bundle);
    List<Check> checks = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    boolean anyVerified = false;
    for (Signature s : list) {
      Check c = check(s, trusted.get(s.keyId()), expected);
      checks.add(c);
      anyVerified |= c.status() == Status.VERIFIED;
      if (c.status() == Status.INVALID || c.status() == Status.FILES_DIFFER) {
        problems.addAll(c.problems());
      }
    }
    if (!anyVerified && problems.isEmpty()) {
      problems.add("no signature is by a trusted key: the bundle is signed by " + quoted(list.stream().map(Signature::keyId).toList())
          + ", the trusted keys are " + (trusted.isEmpty() ? "none" : quoted(new ArrayList<>(new TreeSet<>(trusted.keySet())))));
    }
    return new Verification(anyVerified && problems.isEmpty(), List.copyOf(checks), List.copyOf(problems));
  }

  private static Check check(Signature s, PublicKey key, Map<String, Object> expected) {
    if (key == null) {
      return new Check(s, Status.UNTRUSTED_KEY, List.of("signed by `" + s.keyId() + "`, which is not a trusted key"));
    }
    Map<String, Object> signed;
    try {
      JWSObject jws = JWSObject.parse(s.jws());
      if (!jws.verify(verifier(key))) {
        return new Check(s, Status.INVALID, List.of("the signature by `" + s.keyId()
            + "` does not verify: the signed payload was changed, or another key made it"));
      }
      signed = jws.getPayload().toJSONObject();
    } catch (ParseException | JOSEException | IllegalArgumentException e) {
      // Nimbus says why in its own words (`Unsupported JWS algorithm EdDSA, must be ES256`): say
      // it in the bundle's terms, the algorithm against the kind of key.
      String kind = JdkEd25519.isEd25519(key) ? "Ed25519" : key.getAlgorithm();
      return new Check(s, Status.INVALID, List.of("the signature by `" + s.keyId() + "` is `" + s.algorithm()
          + "`, which the trusted " + kind + " key `" + s.keyId() + "` cannot verify"));
    }
    List<String> differ = differences(s.keyId(), signed, expected);
    return differ.isEmpty() ? new Check(s, Status.VERIFIED, List.of()) : new Check(s, Status.FILES_DIFFER, differ);
  }

  @SuppressWarnings("unchecked")
  private static List<String> differences(String kid, Map<String, Object> signed, Map<String, Object> expected) {
    List<String> out = new ArrayList<>();
    Object format = signed == null ? null : signed.get("warden_bundle");
    if (!(format instanceof Number n) || n.intValue() != FORMAT || !(signed.get("files") instanceof Map)) {
      out.add("the payload signed by `" + kid + "` is not a Warden bundle payload (`warden_bundle`: " + FORMAT + ", `files`)");
      return out;
    }
    Map<String, Object> signedFiles = (Map<String, Object>) signed.get("files");
    Map<String, Object> files = (Map<String, Object>) expected.get("files");
    TreeSet<String> all = new TreeSet<>(files.keySet());
    all.addAll(signedFiles.keySet());
    for (String path : all) {
      Object want = signedFiles.get(path);
      Object have = files.get(path);
      if (want == null) {
        out.add("`" + path + "` is in the bundle but not among the files signed by `" + kid + "` (a file was added)");
      } else if (have == null) {
        out.add("`" + path + "` was signed by `" + kid + "` but is not in the bundle (a file was removed)");
      } else if (!want.equals(have)) {
        out.add("`" + path + "` is not the file signed by `" + kid + "` (its sha256 is " + have + ", signed " + want + ")");
      }
    }
    return out;
  }

  private static String quoted(List<String> names) {
    return String.join(", ", names.stream().map(n -> "`" + n + "`").toList());
  }

  static JWSAlgorithm algorithm(PrivateKey key) throws JOSEException {
    if (JdkEd25519.isEd25519(key)) {
      return JWSAlgorithm.EdDSA;
    }
    if (key instanceof ECPrivateKey ec) {
      Curve curve = Curve.forECParameterSpec(ec.getParams());
      if (curve == null) {
        throw new JOSEException("the EC key is not on P-256, P-384 or P-521");
      }
      return ECDSA.resolveAlgorithm(curve);
    }
    if (key instanceof RSAPrivateKey) {
      return JWSAlgorithm.RS256;
    }
    throw new JOSEException("a `" + key.getAlgorithm() + "` key cannot sign bundles (Ed25519, EC or RSA)");
  }

  private static JWSSigner signer(PrivateKey key) throws JOSEException {
    if (JdkEd25519.isEd25519(key)) {
      return JdkEd25519.signer(key);
    }
    if (key instanceof ECPrivateKey ec) {
      return new ECDSASigner(ec);
    }
    return new RSASSASigner(key);
  }

  private static JWSVerifier verifier(PublicKey key) throws JOSEException {
    if (JdkEd25519.isEd25519(key)) {
      return JdkEd25519.verifier(key);
    }
    if (key instanceof ECPublicKey ec) {
      return new ECDSAVerifier(ec);
    }
    if (key instanceof RSAPublicKey rsa) {
      return new RSASSAVerifier(rsa);
    }
    throw new JOSEException("a `" + key.getAlgorithm() + "` key cannot verify bundles");
  }
}
