package dev.warden.policy.runtime;

import java.util.Objects;

/**
 * A compiled `quota` declaration: a token bucket per key, refilled at {@code limit} per
 * {@code period}, holding at most {@code burst} tokens (the bucket's capacity; {@code limit} when
 * the policy names none). Immutable.
 *
 * <p>The bucket is kept as GCRA keeps it ({@link Gcra}): one number per key, the time at which it
 * would be full again. A request of cost {@code c} takes {@code c} tokens; each token comes back
 * after {@link #intervalNanos()}, which is {@code period / limit} rounded up to the nanosecond,
 * so the rate is never above the declared one.
 *
 * @param id the quota's qualified name, `PACKAGE.NAME` (the bucket's name, the metrics' label, the
 *     id a decision lists)
 * @param name the quota's own name, as the `RateLimit` headers show it
 * @param ref the declaration, as a decision lists it (kind `quota`)
 * @param limit tokens per period, at least 1
 * @param periodNanos the period, at least a millisecond
 * @param burst the bucket's capacity, at least 1
 * @param global whether replicas share the bucket (`scope global`, in Redis)
 * @param fallback what a global quota does while Redis cannot answer
 * @param fallbackShare with {@link Fallback#LOCAL}: the part of {@code limit} and {@code burst} a
 *     replica's own bucket admits meanwhile, more than 0 and at most 1
 * @param shadow counted and reported, never enforced
 */
public record Quota(String id, String name, RuleRef ref, long limit, long periodNanos, long burst, boolean global,
    Fallback fallback, double fallbackShare, boolean shadow) {

  /** What a global quota does while its shared store cannot answer in time. */
  public enum Fallback {
    /** Admit without counting. */
    OPEN,
    /** Refuse (429), as if the quota were spent. */
    CLOSED,
    /** Count in the replica's own bucket, with {@code fallbackShare} of the limit. */
    LOCAL;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** The longest a bucket may take to fill: 366 days, so that times stay far inside a long. */
  public static final long MAX_FILL_NANOS = 366L * 24 * 3600 * 1_000_000_000L;

  public Quota {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(ref, "ref");
    Objects.requireNonNull(fallback, "fallback");
    if (limit < 1 || burst < 1 || periodNanos < 1_000_000L) {
      throw new IllegalArgumentException("quota `" + id + "`: limit, burst and period must be positive");
    }
    if (fill(limit, periodNanos, burst) > MAX_FILL_NANOS) {
      throw new IllegalArgumentException("quota `" + id + "`: its bucket would take more than 366 days to fill");
    }
    if (!(fallbackShare > 0 && fallbackShare <= 1)) {
      throw new IllegalArgumentException("quota `" + id + "`: fallback share " + fallbackShare + " is not in (0, 1]");
    }
  }

  /** How long one token takes to come back: {@code period / limit}, rounded up. */
  public long intervalNanos() {
    return interval(limit, periodNanos);
  }

  /** How long an empty bucket takes to fill: {@code burst × interval}; at most {@link #MAX_FILL_NANOS}. */
  public long fillNanos() {
    return fill(limit, periodNanos, burst);
  }

  /** The period in whole seconds, rounded up, as the `w` of `RateLimit-Policy` states it. */
  public long windowSeconds() {
    return Math.max(1, ceilDiv(periodNanos, 1_000_000_000L));
  }

  /** The quota a replica enforces alone while the shared store is down ({@link Fallback#LOCAL}). */
  public Quota fallbackLocal() {
    long l = Math.max(1, (long) Math.floor(limit * fallbackShare));
    long b = Math.max(1, (long) Math.floor(burst * fallbackShare));
    return new Quota(id, name, ref, l, periodNanos, b, false, Fallback.CLOSED, 1.0, shadow);
  }

  /** Whether a bucket of {@code limit} per {@code periodNanos} and capacity {@code burst} fills within 366 days. */
  public static boolean fits(long limit, long periodNanos, long burst) {
    return limit >= 1 && burst >= 1 && periodNanos >= 1 && fill(limit, periodNanos, burst) <= MAX_FILL_NANOS;
  }

  private static long interval(long limit, long periodNanos) {
    return ceilDiv(periodNanos, limit);
  }

  private static long fill(long limit, long periodNanos, long burst) {
    long i = interval(limit, periodNanos);
    return Math.multiplyHigh(i, burst) != 0 || i * burst < 0 ? Long.MAX_VALUE : i * burst;
  }

  static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }
}
