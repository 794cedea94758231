package dev.warden.bench.load;

import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One phase of closed-loop load: {@code inFlight} calls are started, and each completion
 * immediately starts the next, until the phase's time or call count runs out; then the calls in
 * flight finish and the phase ends. Every answer is checked against the request's expected
 * answer, and the latency of each call (start to completion, in nanoseconds) goes to an
 * HdrHistogram.
 *
 * <p>Completions run on the channel's transport thread (the channel uses a direct executor), so
 * the next call starts without a thread hop, as the fastest grpc-java client would do it.
 */
final class ClosedLoop {
  /** Longest wait for the calls in flight once a phase is over; a server slower than this has failed. */
  private static final Duration DRAIN_LIMIT = Duration.ofSeconds(10);

  /** Latencies above this (a minute) are clamped; nothing in a healthy run comes close. */
  private static final long HIGHEST_TRACKABLE_NANOS = TimeUnit.MINUTES.toNanos(1);

  /**
   * What one phase measured.
   *
   * @param calls completed calls, answered or failed
   * @param firstProblem the first wrong answer or error, or null
   * @param nanos from the phase's start to its last completion
   * @param latency call latencies in nanoseconds
   * @param stoppedByCount whether the call bound, not the time bound, ended the phase
   */
  record Result(long calls, long errors, long mismatches, String firstProblem, long nanos, Histogram latency,
      boolean stoppedByCount) {
    double checksPerSecond() {
      return nanos == 0 ? 0 : calls * 1e9 / nanos;
    }

    boolean clean() {
      return errors == 0 && mismatches == 0;
    }
  }

  private final AuthorizationGrpc.AuthorizationStub stub;
  private final RequestMix mix;
  private final ServerKind server;
  private final long maxCalls;
  private final long startNanos;
  private final long endNanos;
  private final Recorder recorder = new Recorder(HIGHEST_TRACKABLE_NANOS, 3);
  private final AtomicLong issued = new AtomicLong();
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong mismatches = new AtomicLong();
  private final AtomicLong lastCompletion = new AtomicLong();
  private final AtomicReference<String> firstProblem = new AtomicReference<>();
  private final AtomicInteger activeSlots;
  private final CountDownLatch done = new CountDownLatch(1);
  private volatile boolean stopping;
  private volatile boolean stoppedByCount;

  private ClosedLoop(AuthorizationGrpc.AuthorizationStub stub, RequestMix mix, ServerKind server, int inFlight,
      Duration duration, long maxCalls) {
    this.stub = stub;
    this.mix = mix;
    this.server = server;
    this.maxCalls = maxCalls;
    this.activeSlots = new AtomicInteger(inFlight);
    this.startNanos = System.nanoTime();
    this.endNanos = startNanos + duration.toNanos();
    this.lastCompletion.set(startNanos);
  }

  /**
   * Runs one phase and returns when every call has completed. The phase sends the mix in order,
   * starting at its first request, so every server receives the same sequence.
   *
   * @param server whose notion of a correct answer applies
   * @throws IllegalStateException if calls are still in flight {@link #DRAIN_LIMIT} after the phase's time
   */
  static Result run(AuthorizationGrpc.AuthorizationStub stub, RequestMix mix, ServerKind server, int inFlight,
      Duration duration, long maxCalls) throws InterruptedException {
    if (inFlight < 1 || maxCalls < 1) {
      throw new IllegalArgumentException("in-flight and the call bound must be at least 1");
    }
    ClosedLoop loop = new ClosedLoop(stub, mix, server, inFlight, duration, maxCalls);
    for (int i = 0; i < inFlight; i++) {
      loop.next();
    }
    if (!loop.done.await(duration.plus(DRAIN_LIMIT).toMillis(), TimeUnit.MILLISECONDS)) {
      loop.stopping = true;
      if (!loop.done.await(DRAIN_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(loop.activeSlots.get() + " call(s) to the " + server.label()
            + " server still in flight " + DRAIN_LIMIT.toSeconds() + " s after the phase ended");
      }
    }
    return new Result(loop.completed.get(), loop.errors.get(), loop.mismatches.get(), loop.firstProblem.get(),
        loop.lastCompletion.get() - loop.startNanos, loop.recorder.getIntervalHistogram(), loop.stoppedByCount);
  }

  /** Starts the next call in this slot, or retires the slot once the phase is over. */
  private void next() {
    long n = stopping ? maxCalls : issued.getAndIncrement();
    if (n >= maxCalls) {
      if (!stopping && n == maxCalls) {
        stoppedByCount = true;
      }
      if (activeSlots.decrementAndGet() == 0) {
        done.countDown();
      }
      return;
    }
    RequestMix.Case c = mix.get((int) (n % mix.size()));
    stub.check(c.request(), new Call(c, System.nanoTime()));
  }

  private void problem(String description) {
    firstProblem.compareAndSet(null, description);
  }

  /** One call's observer: checks the answer, records the latency and starts the next call. */
  private final class Call implements StreamObserver<CheckResponse> {
    private final RequestMix.Case expected;
    private final long started;
    private CheckResponse response;

    Call(RequestMix.Case expected, long started) {
      this.expected = expected;
      this.started = started;
    }

    @Override
    public void onNext(CheckResponse value) {
      response = value;
    }

    @Override
    public void onError(Throwable t) {
      errors.incrementAndGet();
      completed.incrementAndGet();
      problem("\"" + expected.name() + "\": call failed: " + t);
      // A failing server fails fast, and its failures could recurse through next(): stop instead.
      stopping = true;
      next();
    }

    @Override
    public void onCompleted() {
      long now = System.nanoTime();
      recorder.recordValue(Math.min(now - started, HIGHEST_TRACKABLE_NANOS));
      String mismatch = response == null ? "\"" + expected.name() + "\": no response" : server.mismatch(expected, response);
      if (mismatch != null) {
        mismatches.incrementAndGet();
        problem(mismatch);
      }
      completed.incrementAndGet();
      lastCompletion.accumulateAndGet(now, Math::max);
      if (now >= endNanos) {
        stopping = true;
      }
      next();
    }
  }
}
