package dev.warden.policy.runtime;

import java.util.Objects;

/**
 * What one quota answered for one request.
 *
 * @param charge what the quota asked
 * @param admitted whether its bucket had the tokens (for a shadow quota: would have)
 * @param remaining whole tokens left in the bucket after the request; -1 when not known (a quota
 *     not asked)
 * @param retryAfterNanos when refused, how long until the request would be admitted
 *     ({@code Long.MAX_VALUE}: never, its cost is above the capacity); 0 when admitted
 * @param resetNanos how long until the bucket is full again
 * @param via where the answer came from
 */
public record QuotaResult(QuotaCharge charge, boolean admitted, long remaining, long retryAfterNanos, long resetNanos,
    Via via) {

  /** Where an answer came from. */
  public enum Via {
    /** The replica's own bucket (`scope local`). */
    LOCAL,
    /** The bucket the replicas share (`scope global`, Redis). */
    GLOBAL,
    /** The shared store did not answer; the quota admits without counting (`fallback open`). */
    FALLBACK_OPEN,
    /** The shared store did not answer; the quota refuses (`fallback closed`). */
    FALLBACK_CLOSED,
    /** The shared store did not answer; the replica's own bucket with a share of the limit answered. */
    FALLBACK_LOCAL,
    /** Not asked: another quota of the request refused first, so this one was not charged. */
    NOT_CHARGED;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public QuotaResult {
    Objects.requireNonNull(charge, "charge");
    Objects.requireNonNull(via, "via");
  }

  /** The answer of a bucket. */
  public static QuotaResult of(QuotaCharge charge, Gcra.Admission a, Via via) {
    return new QuotaResult(charge, a.admitted(), a.remaining(), a.retryAfterNanos(), a.resetNanos(), via);
  }

  /**
   * Whether this answer refuses the request: an enforced quota whose bucket lacked the tokens
   * (a shadow quota never refuses; one not charged because another refused does not either).
   */
  public boolean refuses() {
    return !admitted && !charge.quota().shadow() && via != Via.NOT_CHARGED;
  }

  /** The quota's declaration. */
  public Quota quota() {
    return charge.quota();
  }

  /**
   * The answer of a quota that was not asked, because another of the request's quotas refused
   * first: what its bucket holds is not known ({@code remaining} is -1).
   */
  public static QuotaResult notAsked(QuotaCharge charge) {
    return new QuotaResult(charge, true, -1, 0, 0, Via.NOT_CHARGED);
  }

  /** This answer, not charged: the request was refused by another quota. */
  public QuotaResult notCharged() {
    if (!admitted) {
      return this;
    }
    long back = charge.cost() * charge.quota().intervalNanos();
    return new QuotaResult(charge, true, remaining + charge.cost(), 0, Math.max(0, resetNanos - back), Via.NOT_CHARGED);
  }
}
