package dev.warden.policy.runtime;

/**
 * The generic cell rate algorithm: a token bucket kept as one number, the theoretical arrival
 * time ({@code tat}) at which the bucket would be full again. Pure; times are nanoseconds on any
 * one clock (the sidecar's monotonic clock, a test's pinned one).
 *
 * <p>With capacity {@code C} and interval {@code T} (a token back every {@code T}): a request of
 * cost {@code c} at {@code now} is admitted when {@code max(tat, now) + c·T − now ≤ C·T}, and then
 * {@code tat} becomes {@code max(tat, now) + c·T}. So over any span of length {@code d} the
 * bucket admits at most {@code C + d / T} tokens, there is no window boundary to burst across,
 * and a refused request knows exactly when it would be admitted: {@code retryAfter}.
 */
public final class Gcra {
  /** A bucket that holds no state: full. */
  public static final long FULL = Long.MIN_VALUE;

  private Gcra() {}

  /**
   * The answer for one bucket.
   *
   * @param admitted whether the tokens were there
   * @param tat the bucket's state after: the new one when admitted, the old one (or {@link #FULL}) when not
   * @param remaining whole tokens left after this request
   * @param retryAfterNanos when refused: how long until the same request would be admitted
   *     ({@code Long.MAX_VALUE} when it never can: its cost is above the capacity); 0 when admitted
   * @param resetNanos how long until the bucket is full again
   */
  public record Admission(boolean admitted, long tat, long remaining, long retryAfterNanos, long resetNanos) {}

  /**
   * Tries to take {@code cost} tokens at {@code now} from a bucket in state {@code tat}
   * ({@link #FULL} for none).
   */
  public static Admission admit(long tat, long now, long intervalNanos, long capacity, long cost) {
    long base = tat == FULL || tat < now ? now : tat;
    long tolerance = intervalNanos * capacity; // Quota keeps this within 366 days
    long used = base - now; // tokens already taken, in time
    if (cost > capacity) {
      return new Admission(false, tat, remaining(tolerance - used, intervalNanos), Long.MAX_VALUE, used);
    }
    long after = used + cost * intervalNanos;
    if (after > tolerance) {
      return new Admission(false, tat, remaining(tolerance - used, intervalNanos), after - tolerance, used);
    }
    return new Admission(true, now + after, remaining(tolerance - after, intervalNanos), 0, after);
  }

  /** Whether a bucket in state {@code tat} is full at {@code now}, so that forgetting it changes nothing. */
  public static boolean full(long tat, long now) {
    return tat == FULL || tat <= now;
  }

  private static long remaining(long room, long intervalNanos) {
    return room <= 0 ? 0 : room / intervalNanos;
  }
}
