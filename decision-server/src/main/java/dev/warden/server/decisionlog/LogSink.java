package dev.warden.server.decisionlog;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * Where encoded decision records go: one call per batch, on the pipeline's one writer thread.
 *
 * <p>A sink is used by one thread at a time ({@link DecisionLogPipeline}'s writer), so it needs no
 * locking of its own. When {@link #write} throws, the pipeline retries the same batch later; a sink
 * that had written part of the batch before failing therefore repeats that part (at least once).
 * A sink that can make a batch all-or-nothing should; one that sends a batch as one message bounds
 * its size with {@link #maxBatchBytes}, and the pipeline never hands it more (but for a single
 * record larger than that, which comes alone).
 *
 * <p>Besides a plain IOException (retried with the pipeline's backoff), a write may throw
 * {@link RetryLater} (retried, not sooner than the receiver asked) or {@link Refused} (the receiver
 * will never take this batch: it is counted dropped, never retried).
 */
public interface LogSink extends Closeable {
  /** Writes every line (each one JSON object, no newline at its end); throws IOException when it could not. */
  void write(List<byte[]> lines) throws IOException;

  /** Makes what was written durable/visible (flush the stream, fsync is NOT required). */
  void flush() throws IOException;

  /** Where the lines go, for logs: "stdout", "file /var/log/warden/decisions.log". */
  String describe();

  /**
   * The most bytes one batch may hold, counting each record and one byte for each separator: the
   * pipeline gathers batches (and spool segments) under it. Unbounded unless a sink says so.
   */
  default long maxBatchBytes() {
    return Long.MAX_VALUE;
  }

  /** The receiver asked to be tried again later (an HTTP 429 or 503 with `Retry-After`). */
  final class RetryLater extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Duration after;

    public RetryLater(String message, Duration after) {
      super(message);
      this.after = after;
    }

    /** How long the receiver asked to wait; the pipeline bounds it. */
    public Duration after() {
      return after;
    }
  }

  /**
   * The receiver refuses this batch for good (an HTTP 400 or 413): sending it again would be
   * refused again, so its records are counted dropped, never retried.
   */
  final class Refused extends IOException {
    private static final long serialVersionUID = 1L;

    public Refused(String message) {
      super(message);
    }
  }
}
