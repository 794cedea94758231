package dev.warden.server.authz;

import dev.warden.server.admin.ServerMetrics;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Where decisions run, for the {@link Authorizer}. A call's decision first runs where the call
 * arrived, on the transport thread, with at most {@link #FIRST_TRY_STEPS} steps: nearly every
 * decision fits, and pays no thread hop. The few that need more are decided again on a small
 * pool of their own ({@code heavy}), so that a heavy decision never holds up the other calls of
 * a connection, which share its transport thread. Deciding is pure, so the second run decides
 * as the first would have. Every decision has its call's deadline, time in the queue included.
 */
public final class Deciding {
  /** Steps of the first try, on the transport thread: a tenth of the default budget. */
  public static final int FIRST_TRY_STEPS = 1_000;
  /** Steps of a decision made whole: the bundle's budget bounds it. */
  static final int WHOLE = Integer.MAX_VALUE;

  private final Executor heavy;
  private final long deadlineNanos;
  private final ServerMetrics metrics;

  /**
   * @param heavy the pool for heavy decisions, or null to decide every call whole where it
   *     arrives (when calls already run on a pool of their own)
   * @param deadlineNanos how long one call's decision may take, from its arrival
   */
  public Deciding(Executor heavy, long deadlineNanos, ServerMetrics metrics) {
    this.heavy = heavy;
    this.deadlineNanos = deadlineNanos;
    this.metrics = metrics;
  }

  /** How long one call's decision may take, from its arrival. */
  long deadlineNanos() {
    return deadlineNanos;
  }

  /** The steps of the try where the call arrived: the first try's, or the whole budget without a heavy pool. */
  int firstTrySteps() {
    return heavy == null ? WHOLE : FIRST_TRY_STEPS;
  }

  /**
   * Hands a heavy decision to the heavy pool: false when its queue is full, and the call is to be
   * refused at once (fail closed). {@code decide} must not throw.
   *
   * @throws IllegalStateException without a heavy pool, where every first try has the whole
   *     budget and no decision can need more
   */
  boolean offload(Runnable decide) {
    if (heavy == null) {
      throw new IllegalStateException("no decision with the whole budget");
    }
    try {
      heavy.execute(decide);
    } catch (RejectedExecutionException e) {
      return false;
    }
    metrics.heavyDecision();
    return true;
  }
}
