package dev.warden.server.decisionlog;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The `hash` action of `redact log`: a value as `hmac:` and the base64url (no padding) of its
 * HMAC-SHA256 under a key of at least 32 bytes. Keyed, so that a reader of the log cannot hash
 * guesses of a low-entropy value (an e-mail address, a card's digits) and compare; equal values
 * hash equally under one key, so records still correlate.
 *
 * <p>The key is `decision_log.hash_key_file`'s content, or, without one, 32 random bytes drawn at
 * start: hashes then correlate within one run of the process only. Thread-safe: each thread has
 * its own {@link Mac}, so hashing on the request path takes no lock.
 */
public final class ValueHasher {
  /** What a hashed value starts with. */
  public static final String PREFIX = "hmac:";
  /** The shortest key accepted: HMAC-SHA256's block of security. */
  public static final int MIN_KEY_BYTES = 32;
  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec key;
  private final boolean random;
  private final ThreadLocal<Mac> macs;

  private ValueHasher(byte[] key, boolean random) {
    this.key = new SecretKeySpec(key, ALGORITHM);
    this.random = random;
    this.macs = ThreadLocal.withInitial(this::newMac);
    newMac();
  }

  /** A hasher with a key drawn now: its hashes mean something within this process only. */
  public static ValueHasher random() {
    byte[] k = new byte[MIN_KEY_BYTES];
    new SecureRandom().nextBytes(k);
    return new ValueHasher(k, true);
  }

  /**
   * A hasher keyed with the bytes of {@code file}, without its trailing line ends (a key written
   * by `echo` or a Kubernetes secret often has one).
   *
   * @throws IOException when the file cannot be read
   * @throws IllegalArgumentException when the key is shorter than {@link #MIN_KEY_BYTES}
   */
  public static ValueHasher fromFile(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    int end = bytes.length;
    while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r')) {
      end--;
    }
    if (end < MIN_KEY_BYTES) {
      throw new IllegalArgumentException("it holds " + end + " bytes; a key needs at least " + MIN_KEY_BYTES
          + " (make one with `head -c 32 /dev/urandom | base64 > FILE`)");
    }
    byte[] k = Arrays.copyOf(bytes, end);
    Arrays.fill(bytes, (byte) 0);
    return new ValueHasher(k, false);
  }

  /** Whether the key was drawn at start rather than read from a file. */
  public boolean randomKey() {
    return random;
  }

  /** {@code value} as `hmac:` and 43 base64url characters. */
  public String hash(String value) {
    byte[] mac = macs.get().doFinal(value.getBytes(StandardCharsets.UTF_8));
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(mac);
  }

  private Mac newMac() {
    try {
      Mac m = Mac.getInstance(ALGORITHM);
      m.init(key);
      return m;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java runtime has " + ALGORITHM, e);
    }
  }
}
