package dev.warden.server.authz;

import dev.warden.policy.runtime.Deadline;
import dev.warden.policy.runtime.Decision;
import dev.warden.server.admin.ServerMetrics;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Where decisions run. A call's decision first runs where the call arrived, on the transport
 * thread, with at most {@link #FIRST_TRY_STEPS} steps: nearly every decision fits, and pays no
 * thread hop. The few that need more are decided again on a small pool of their own
 * ({@code heavy}), so that a heavy decision never holds up the other calls of a connection,
 * which share its transport thread. Deciding is pure, so the second run decides as the first
 * would have. Every decision has its call's deadline, time in the queue included.
 */
public final class Deciding {
  /** Steps of the first try, on the transport thread: a tenth of the default budget. */
  public static final int FIRST_TRY_STEPS = 1_000;

  private final Executor heavy;
  private final long deadlineNanos;
  private final ServerMetrics metrics;

  /** One way to decide a call, with a step limit (Integer.MAX_VALUE: the whole budget). */
  @FunctionalInterface
  public interface Attempt {
    /** The decision, or null when {@code steps} were not enough. */
    Decision run(int steps, Deadline deadline);
  }

  /** What becomes of a call's decision; called once, on whichever thread decided. */
  public interface Outcome {
    void decided(Decision d);

    /** The heavy pool's queue is full: the call is denied, as on any internal failure. */
    void overloaded();

    void failed(RuntimeException e);
  }

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

  /** Decides, or hands the decision to the heavy pool; {@code outcome} hears of it either way. */
  public void decide(Attempt attempt, long arrivedNanos, Outcome outcome) {
    long end = arrivedNanos + deadlineNanos;
    Deadline deadline = () -> System.nanoTime() - end > 0;
    if (heavy == null) {
      outcome.decided(attempt.run(Integer.MAX_VALUE, deadline));
      return;
    }
    Decision first = attempt.run(FIRST_TRY_STEPS, deadline);
    if (first != null) {
      outcome.decided(first);
      return;
    }
    try {
      heavy.execute(() -> {
        try {
          outcome.decided(attempt.run(Integer.MAX_VALUE, deadline));
        } catch (RuntimeException e) {
          outcome.failed(e);
        }
      });
      metrics.heavyDecision();
    } catch (RejectedExecutionException e) {
      metrics.overloaded();
      outcome.overloaded();
    }
  }
}
