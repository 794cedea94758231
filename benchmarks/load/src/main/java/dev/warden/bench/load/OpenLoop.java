package dev.warden.bench.load;

import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One phase of open-loop load: Checks are sent at a fixed rate, on a schedule fixed at the
 * phase's start (call i is due at start + i/rate), whatever the server's answers do; a late
 * sender catches up at once. Each call's latency runs from its <em>scheduled</em> send time to
 * its answer, so a stall of the server (or of this client) counts against every call that should
 * have gone out during it: no coordinated omission.
 *
 * <p>Every answer is checked by an {@link Answers}; calls have a deadline, the number in flight
 * is bounded, and the phase ends at its time limit or when {@code stop} says so, whichever comes
 * first, then waits (bounded) for the calls in flight.
 */
final class OpenLoop {
  /** Each call's deadline: an answer later than this is a failed call. */
  static final Duration CALL_DEADLINE = Duration.ofSeconds(10);
  /** Longest wait for the calls in flight once sending has stopped. */
  private static final Duration DRAIN_LIMIT = Duration.ofSeconds(15);
  private static final long HIGHEST_TRACKABLE_NANOS = TimeUnit.MINUTES.toNanos(1);

  /** What an answer must be: null when right, else what is wrong; and which bundle revision it shows. */
  interface Answers {
    String mismatch(RequestMix.Case expected, CheckResponse actual);

    /** 0: the answer does not tell; 1 or 2: the revision whose answer it is. */
    int revision(CheckResponse actual);
  }

  /**
   * What one phase measured.
   *
   * @param sent calls started
   * @param answered calls answered (right or wrong)
   * @param failed calls that ended in a gRPC error (deadline included) or were never answered
   * @param firstProblem the first failure or wrong answer, or null
   * @param nanos from the phase's start to its last answer
   * @param latency answered calls' latencies from their scheduled send time, in nanoseconds
   * @param revisions answers by revision: index 1 and 2, index 0 for answers that do not tell
   * @param maxSendLagNanos how late the sender was, at worst, behind its schedule
   */
  record Result(long sent, long answered, long failed, long mismatches, String firstProblem, long nanos,
      Histogram latency, long[] revisions, long maxSendLagNanos) {
    double checksPerSecond() {
      return nanos == 0 ? 0 : answered * 1e9 / nanos;
    }

    boolean clean() {
      return failed == 0 && mismatches == 0 && answered == sent;
    }

    double millis(double percentile) {
      return latency.getValueAtPercentile(percentile) / 1e6;
    }
  }

  private final Recorder recorder = new Recorder(HIGHEST_TRACKABLE_NANOS, 3);
  private final AtomicLong outstanding = new AtomicLong();
  private final AtomicLong answered = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong mismatches = new AtomicLong();
  private final AtomicLong[] revisions = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
  private final AtomicLong lastAnswer = new AtomicLong();
  private final AtomicReference<String> firstProblem = new AtomicReference<>();
  private final Answers answers;

  private OpenLoop(Answers answers) {
    this.answers = answers;
  }

  /**
   * Runs one phase at {@code rate} Checks/s for at most {@code limit}, or until {@code stop} is
   * true, sending the mix in order from {@code sequence} (which moves on, so that the next phase
   * continues the sequence), with at most {@code maxInFlight} calls unanswered.
   */
  static Result run(AuthorizationGrpc.AuthorizationStub stub, RequestMix mix, AtomicLong sequence, double rate,
      Duration limit, BooleanSupplier stop, int maxInFlight, Answers answers) throws InterruptedException {
    if (rate <= 0 || maxInFlight < 1) {
      throw new IllegalArgumentException("the rate and the in-flight bound must be positive");
    }
    OpenLoop loop = new OpenLoop(answers);
    double period = 1e9 / rate;
    long start = System.nanoTime();
    long end = start + limit.toNanos();
    loop.lastAnswer.set(start);
    long sent = 0;
    long maxLag = 0;
    while (!stop.getAsBoolean() && !Thread.currentThread().isInterrupted()) {
      long due = start + (long) (sent * period);
      if (due >= end) {
        break;
      }
      for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
        LockSupport.parkNanos(wait);
      }
      maxLag = Math.max(maxLag, System.nanoTime() - due);
      if (loop.outstanding.get() >= maxInFlight) {
        loop.problem(maxInFlight + " calls unanswered at once: the server has stalled");
        break;
      }
      RequestMix.Case c = mix.get((int) (sequence.getAndIncrement() % mix.size()));
      loop.outstanding.incrementAndGet();
      sent++;
      stub.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS).check(c.request(), loop.new Call(c, due));
    }
    long drainEnd = System.nanoTime() + DRAIN_LIMIT.toNanos();
    while (loop.outstanding.get() > 0 && System.nanoTime() < drainEnd) {
      Thread.sleep(1);
    }
    long unanswered = loop.outstanding.get();
    if (unanswered > 0) {
      loop.problem(unanswered + " call(s) unanswered " + DRAIN_LIMIT.toSeconds() + " s after sending stopped");
    }
    long[] byRevision = {loop.revisions[0].get(), loop.revisions[1].get(), loop.revisions[2].get()};
    return new Result(sent, loop.answered.get(), loop.failed.get() + unanswered, loop.mismatches.get(),
        loop.firstProblem.get(), loop.lastAnswer.get() - start, loop.recorder.getIntervalHistogram(), byRevision, maxLag);
  }

  private void problem(String description) {
    firstProblem.compareAndSet(null, description);
  }

  /** One call: checks the answer and records its latency from the scheduled send time. */
  private final class Call implements StreamObserver<CheckResponse> {
    private final RequestMix.Case expected;
    private final long due;
    private CheckResponse response;

    Call(RequestMix.Case expected, long due) {
      this.expected = expected;
      this.due = due;
    }

    @Override
    public void onNext(CheckResponse value) {
      response = value;
    }

    @Override
    public void onError(Throwable t) {
      failed.incrementAndGet();
      problem("\"" + expected.name() + "\": call failed: " + t);
      outstanding.decrementAndGet();
    }

    @Override
    public void onCompleted() {
      long now = System.nanoTime();
      recorder.recordValue(Math.min(Math.max(0, now - due), HIGHEST_TRACKABLE_NANOS));
      String mismatch = response == null ? "\"" + expected.name() + "\": no response" : answers.mismatch(expected, response);
      if (mismatch != null) {
        mismatches.incrementAndGet();
        problem(mismatch);
      } else {
        revisions[answers.revision(response)].incrementAndGet();
      }
      answered.incrementAndGet();
      lastAnswer.accumulateAndGet(now, Math::max);
      outstanding.decrementAndGet();
    }
  }
}
