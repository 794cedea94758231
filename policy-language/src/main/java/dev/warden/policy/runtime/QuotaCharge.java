package dev.warden.policy.runtime;

import java.util.Objects;

/**
 * What one quota asks of one allowed request: {@code cost} tokens from the bucket of
 * {@code key}.
 *
 * @param quota the declaration
 * @param key the value of its `by` expression, as text (the bucket within the quota)
 * @param cost tokens to take, 0 or more (a request of cost 0 is counted, never refused)
 */
public record QuotaCharge(Quota quota, String key, long cost) {
  public QuotaCharge {
    Objects.requireNonNull(quota, "quota");
    Objects.requireNonNull(key, "key");
    if (cost < 0) {
      throw new IllegalArgumentException("quota `" + quota.id() + "`: cost " + cost + " is negative");
    }
  }

  /**
   * The bucket's name in a store: the quota's id, a `|` (never in an id) and the key, so that two
   * quotas never share a bucket.
   */
  public String bucket() {
    return quota.id() + "|" + key;
  }
}
