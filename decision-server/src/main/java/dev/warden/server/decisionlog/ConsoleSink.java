package dev.warden.server.decisionlog;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Objects;

/**
 * Writes each line followed by a newline to a stream: standard output in production, where a
 * container runtime or a log shipper collects it.
 *
 * <p>The sink does not own the stream: {@link #close} flushes it and leaves it open, so that closing
 * the pipeline never closes {@code System.out} under the rest of the process.
 */
public final class ConsoleSink implements LogSink {
  private static final int BUFFER_BYTES = 64 * 1024;

  private final OutputStream out;
  private final String description;

  public ConsoleSink(OutputStream out) {
    Objects.requireNonNull(out, "out");
    this.description = out == System.out ? "stdout" : "console stream";
    this.out = new BufferedOutputStream(out, BUFFER_BYTES);
  }

  @Override
  public void write(List<byte[]> lines) throws IOException {
    for (byte[] line : lines) {
      out.write(line);
      out.write('\n');
    }
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public String describe() {
    return description;
  }

  /** Flushes; the stream stays open (it belongs to whoever passed it). */
  @Override
  public void close() throws IOException {
    out.flush();
  }
}
