package dev.warden.bundle;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.KeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads the keys that sign and verify bundles from PEM files: a private key as PKCS#8
 * (`-----BEGIN PRIVATE KEY-----`, what `openssl genpkey` writes) and a public key as X.509
 * SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`, `openssl pkey -pubout`). Ed25519, EC
 * (P-256, P-384, P-521) and RSA keys; the JDK decodes them, nothing here is cryptography.
 */
public final class BundleKeys {
  private static final List<String> ALGORITHMS = List.of("Ed25519", "EC", "RSA");

  private BundleKeys() {}

  public static PrivateKey readPrivate(Path pem) throws BundleReadException {
    return decode(pem, "PRIVATE KEY", PKCS8EncodedKeySpec::new, (f, spec) -> f.generatePrivate(spec));
  }

  public static PublicKey readPublic(Path pem) throws BundleReadException {
    return decode(pem, "PUBLIC KEY", X509EncodedKeySpec::new, (f, spec) -> f.generatePublic(spec));
  }

  /**
   * One trusted key as `warden bundle verify --key` and the sidecar's `reload.trusted_keys` take
   * it: `ID=FILE`, or `FILE` alone, whose key id is then {@link #keyId} of the file.
   *
   * @param id the key id given, or null
   */
  public record TrustedKey(String id, String file) {
    /** Parses `ID=FILE` or `FILE`; an `=` after a `/` is part of the file name. */
    public static TrustedKey parse(String spec) {
      int eq = spec.indexOf('=');
      return eq > 0 && spec.lastIndexOf('/', eq) < 0
          ? new TrustedKey(spec.substring(0, eq), spec.substring(eq + 1)) : new TrustedKey(null, spec);
    }

    @Override
    public String toString() {
      return id == null ? file : id + "=" + file;
    }
  }

  /** Reads trusted public keys from `[ID=]FILE` values, by key id; two keys with one id are refused. */
  public static Map<String, PublicKey> trusted(Iterable<String> specs) throws BundleReadException {
    Map<String, PublicKey> out = new LinkedHashMap<>();
    for (String spec : specs) {
      TrustedKey k = TrustedKey.parse(spec);
      Path file = Path.of(k.file());
      String id = k.id() == null ? keyId(file) : k.id();
      if (out.put(id, readPublic(file)) != null) {
        throw new BundleReadException("two trusted keys have the id `" + id + "`; give one as `ID=FILE`");
      }
    }
    return out;
  }

  /** The key id a key file has when none is given: its name without `.pem`, `.key` and `.pub`. */
  public static String keyId(Path file) {
    String name = file.getFileName().toString();
    for (String ext : new String[] {".pem", ".key", ".pub"}) {
      if (name.endsWith(ext) && name.length() > ext.length()) {
        name = name.substring(0, name.length() - ext.length());
      }
    }
    return name;
  }

  /** The PEM text of a public key (tests, and tools that derive one from a private key). */
  public static String pem(PublicKey key) {
    return pem("PUBLIC KEY", key.getEncoded());
  }

  public static String pem(PrivateKey key) {
    return pem("PRIVATE KEY", key.getEncoded());
  }

  private static String pem(String label, byte[] der) {
    return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(der) + "\n-----END " + label + "-----\n";
  }

  private interface Generate<K> {
    K apply(KeyFactory factory, KeySpec spec) throws GeneralSecurityException;
  }

  private static <K> K decode(Path pem, String label, Function<byte[], KeySpec> spec, Generate<K> generate)
      throws BundleReadException {
    String text;
    try {
      text = Files.readString(pem, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new BundleReadException("cannot read the key `" + pem + "`: " + e.getMessage());
    }
    String begin = "-----BEGIN " + label + "-----";
    String end = "-----END " + label + "-----";
    int from = text.indexOf(begin);
    int to = text.indexOf(end);
    if (from < 0 || to < from) {
      String hint = label.equals("PUBLIC KEY") && text.contains("PRIVATE KEY")
          ? "; it holds a private key: give its public key (`openssl pkey -in KEY -pubout`)"
          : text.contains("BEGIN RSA PRIVATE KEY") || text.contains("BEGIN EC PRIVATE KEY")
              ? "; convert it to PKCS#8 with `openssl pkcs8 -topk8 -nocrypt -in KEY`" : "";
      throw new BundleReadException("`" + pem + "` is not a PEM `" + label.toLowerCase() + "` file (`" + begin + "`)" + hint);
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
    } catch (IllegalArgumentException e) {
      throw new BundleReadException("`" + pem + "`: the key is not valid base64: " + e.getMessage());
    }
    for (String algorithm : ALGORITHMS) {
      try {
        return generate.apply(KeyFactory.getInstance(algorithm), spec.apply(der));
      } catch (GeneralSecurityException | ClassCastException e) {
        // not a key of this algorithm; try the next
      }
    }
    throw new BundleReadException("`" + pem + "` is not an Ed25519, EC or RSA " + label.toLowerCase());
  }
}
