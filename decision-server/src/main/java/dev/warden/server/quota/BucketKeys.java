package dev.warden.server.quota;

import dev.warden.policy.runtime.QuotaCharge;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The Redis key of a bucket: {@code warden:quota:} + the quota's id + {@code :} + the URL-safe
 * Base64 of the SHA-256 of the bucket's key (the value of the quota's `by`). Hashed so that no
 * principal id or address is written to Redis and every key has a bounded length; the id stays
 * readable, so that an operator can tell the quotas apart.
 */
final class BucketKeys {
  static final String PREFIX = "warden:quota:";

  private BucketKeys() {}

  static String of(QuotaCharge charge) {
    return PREFIX + charge.quota().id() + ":" + hash(charge.key());
  }

  static String hash(String key) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
