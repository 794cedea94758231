package dev.warden.server.decisionlog;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * Where encoded decision records go: one call per batch, on the pipeline's one writer thread.
 *
 * <p>A sink is used by one thread at a time ({@link DecisionLogPipeline}'s writer), so it needs no
 * locking of its own. When {@link #write} throws, the pipeline retries the same batch later; a sink
 * that had written part of the batch before failing therefore repeats that part (at least once).
 * A sink that can make a batch all-or-nothing should.
 */
public interface LogSink extends Closeable {
  /** Writes every line (each one JSON object, no newline at its end); throws IOException when it could not. */
  void write(List<byte[]> lines) throws IOException;

  /** Makes what was written durable/visible (flush the stream, fsync is NOT required). */
  void flush() throws IOException;

  /** Where the lines go, for logs: "stdout", "file /var/log/warden/decisions.log". */
  String describe();
}
