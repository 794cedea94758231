package dev.warden.server.decisionlog;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A sink for tests: records what was written and what was flushed, and can be stopped (its writes
 * block until {@link #recover}, or throw while it is stopped) or made to fail its first writes.
 */
final class RecordingSink implements LogSink {
  enum Stop { BLOCK, THROW }

  private final List<String> written = new ArrayList<>();
  private int flushedUpTo;
  private final AtomicInteger failFirst;
  private final AtomicInteger calls = new AtomicInteger();
  private volatile Stop stopped;
  private final CountDownLatch recovered = new CountDownLatch(1);
  private volatile boolean closed;

  RecordingSink() {
    this(0);
  }

  RecordingSink(int failFirst) {
    this.failFirst = new AtomicInteger(failFirst);
  }

  /** A sink whose writes block (or throw) until {@link #recover}. */
  static RecordingSink stopped(Stop how) {
    RecordingSink sink = new RecordingSink();
    sink.stopped = how;
    return sink;
  }

  void recover() {
    stopped = null;
    recovered.countDown();
  }

  @Override
  public void write(List<byte[]> lines) throws IOException {
    calls.incrementAndGet();
    if (stopped == Stop.BLOCK) {
      try {
        if (!recovered.await(10, TimeUnit.SECONDS)) {
          throw new IOException("test sink never recovered");
        }
      } catch (InterruptedException e) {
        throw new IOException("interrupted", e);
      }
    }
    if (stopped == Stop.THROW) {
      throw new IOException("test sink is stopped");
    }
    if (failFirst.getAndDecrement() > 0) {
      throw new IOException("test sink fails this write");
    }
    synchronized (this) {
      for (byte[] line : lines) {
        written.add(new String(line, StandardCharsets.UTF_8));
      }
    }
  }

  @Override
  public synchronized void flush() {
    flushedUpTo = written.size();
  }

  @Override
  public String describe() {
    return "test sink";
  }

  @Override
  public void close() {
    closed = true;
  }

  synchronized List<String> written() {
    return List.copyOf(written);
  }

  synchronized List<String> flushed() {
    return List.copyOf(written.subList(0, flushedUpTo));
  }

  int writeCalls() {
    return calls.get();
  }

  boolean closed() {
    return closed;
  }
}
