package dev.warden.server.decisionlog;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bounded, asynchronous pipeline: the request path only offers; one daemon thread
 * {@code warden-decision-log} writes batches to a {@link LogSink}.
 *
 * <p>Invariants:
 * <ul>
 *   <li>{@link #offer} never blocks: it reserves a place among {@code capacity} with one CAS, or
 *       counts a drop and returns false;
 *   <li>{@code buffered} counts every accepted record not yet written, in the queue or in the batch
 *       being written (in flight), so {@code buffered <= capacity} at every instant and a sink that
 *       stops makes exactly the records past {@code capacity} drop;
 *   <li>{@code produced = delivered + dropped + buffered} whenever no offer is half-way (exactly
 *       after {@link #close}, and while the sink is stopped and nobody offers); every record is in
 *       exactly one of the last three;
 *   <li>a batch that fails to write stays buffered and is retried, with a backoff from 100 ms
 *       doubling to 5 s, until it is written; it is counted delivered once, when a write returns;
 *   <li>a written line waits at most about {@code flushEvery} for {@link LogSink#flush};
 *   <li>records are written in the order they entered the queue: per offering thread, the order it
 *       offered them.
 * </ul>
 * Drops are logged once when they start (WARN) and once when they stop (INFO), never per record:
 * they stop when the buffer is back to half full and nothing was dropped for 5 s.
 *
 * <p>A batch the sink {@linkplain LogSink.Refused refuses} is counted dropped (and {@code refused})
 * at once, never retried; a {@linkplain LogSink.RetryLater retry-later} waits at least what the
 * receiver asked, at most {@link #MAX_RETRY_AFTER}.
 *
 * <p>With a {@link Spool} ({@link #spooled}), a batch the sink fails to take is not held and
 * retried in memory: it is appended to the spool, and so is every later batch while the spool holds
 * anything (order is kept); the writer delivers the spool's oldest segment when the backoff allows
 * and deletes it once the sink took it. Then {@code produced = delivered + dropped + buffered +
 * spooled}, records the spool has no room for are dropped, and the records a previous process left
 * in the spool count as produced (and spooled) when the pipeline starts.
 */
public final class DecisionLogPipeline implements AutoCloseable {
  /**
   * What happened to the records offered so far; {@code produced = delivered + dropped + buffered +
   * spooled} when quiescent. {@code refused} is the part of {@code dropped} the sink refused;
   * {@code corruptTails} the spool segments found at start whose end was not a whole record.
   */
  public record Counts(long produced, long delivered, long dropped, long buffered, long failedWrites, long spooled,
      long refused, long corruptTails) {
    /** Counts without a spool and without refusals. */
    public Counts(long produced, long delivered, long dropped, long buffered, long failedWrites) {
      this(produced, delivered, dropped, buffered, failedWrites, 0, 0, 0);
    }
  }

  public static final String THREAD_NAME = "warden-decision-log";
  static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
  /** The longest `Retry-After` honoured: a receiver asking for more is tried again after this. */
  static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(60);
  /** How long without a drop before drops count as stopped (and INFO says so). */
  static final Duration DEFAULT_QUIET = Duration.ofSeconds(5);
  private static final Duration IDLE_TICK = Duration.ofSeconds(1);
  private static final Duration CLOSING_TICK = Duration.ofMillis(10);
  private static final Duration ABANDON_GRACE = Duration.ofMillis(200);
  /** Wakes the writer when closing; never counted, never written. */
  private static final byte[] WAKE = new byte[0];

  private static final Logger log = LoggerFactory.getLogger(DecisionLogPipeline.class);

  private final LogSink sink;
  private final int capacity;
  private final int maxBatch;
  private final long flushEveryNanos;
  /** How long the writer waits, after a first record, for more to write with it. */
  static final Duration LINGER = Duration.ofMillis(5);
  private final long quietNanos;
  private final BlockingQueue<byte[]> queue;
  private final Thread writer;

  private final LongAdder produced = new LongAdder();
  private final LongAdder delivered = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private final AtomicLong buffered = new AtomicLong();
  private final LongAdder failedWrites = new LongAdder();
  private final LongAdder refused = new LongAdder();
  /** Records in the spool; moved from buffered (spill) and to delivered or dropped (delivery), by the writer. */
  private final AtomicLong spooled = new AtomicLong();
  /** Null: no spool, a failing batch is retried in memory. */
  private final Spool spool;
  private final long spoolCorruptTails;

  private final AtomicBoolean dropping = new AtomicBoolean();
  private final AtomicLong droppedBeforeEpisode = new AtomicLong();
  private final AtomicBoolean warnedClosed = new AtomicBoolean();
  private volatile long lastDropNanos;
  private volatile boolean closed;
  /** Set when close timed out: the writer counts what is left as dropped and closes the sink. */
  private volatile boolean abandoned;
  /** Writer thread only: whether the last flush failed. */
  private boolean flushFailing;
  /** Writer thread only, with a spool: the sink's failure streak and when to try it next. */
  private boolean sinkFailing;
  private long backoffNanos = FIRST_BACKOFF.toNanos();
  private long retryAt;
  /** Writer thread only: whether the sink refused the last batch, and whether the spool was full. */
  private boolean refusing;
  private long refusedBeforeStreak;
  private boolean spoolFull;

  /**
   * Starts the writer thread.
   *
   * @param capacity how many records may wait (queued or being written) before offers drop
   * @param maxBatch the most lines handed to one {@link LogSink#write}
   * @param flushEvery how long a written line may wait for {@link LogSink#flush}
   */
  public DecisionLogPipeline(LogSink sink, int capacity, int maxBatch, Duration flushEvery) {
    this(sink, capacity, maxBatch, flushEvery, DEFAULT_QUIET);
  }

  /** As above, drops counting as stopped after {@code quiet} without one (tests shorten it). */
  DecisionLogPipeline(LogSink sink, int capacity, int maxBatch, Duration flushEvery, Duration quiet) {
    this(sink, capacity, maxBatch, flushEvery, quiet, null);
  }

  /**
   * A pipeline that spills what the sink cannot take to a spool in {@code dir} of at most
   * {@code maxBytes}, and delivers what a previous process left there first.
   *
   * @throws java.io.IOException when the folder cannot be created, read or locked
   */
  public static DecisionLogPipeline spooled(LogSink sink, int capacity, int maxBatch, Duration flushEvery,
      java.nio.file.Path dir, long maxBytes) throws java.io.IOException {
    return spooled(sink, capacity, maxBatch, flushEvery, DEFAULT_QUIET, dir, maxBytes);
  }

  static DecisionLogPipeline spooled(LogSink sink, int capacity, int maxBatch, Duration flushEvery, Duration quiet,
      java.nio.file.Path dir, long maxBytes) throws java.io.IOException {
    long segmentBytes = Math.min(sink.maxBatchBytes(), 8L << 20);
    Spool spool = Spool.open(dir, maxBytes, maxBatch, segmentBytes);
    try {
      return new DecisionLogPipeline(sink, capacity, maxBatch, flushEvery, quiet, spool);
    } catch (RuntimeException e) {
      spool.close();
      throw e;
    }
  }

  private DecisionLogPipeline(LogSink sink, int capacity, int maxBatch, Duration flushEvery, Duration quiet,
      Spool spool) {
    this.quietNanos = quiet.toNanos();
    this.sink = Objects.requireNonNull(sink, "sink");
    if (capacity < 1) {
      throw new IllegalArgumentException("decision log buffer of " + capacity + " records; expected at least 1");
    }
    if (maxBatch < 1) {
      throw new IllegalArgumentException("decision log batch of " + maxBatch + " records; expected at least 1");
    }
    if (flushEvery.isNegative() || flushEvery.isZero()) {
      throw new IllegalArgumentException("decision log flush interval of " + flushEvery + "; expected more than 0");
    }
    this.capacity = capacity;
    this.maxBatch = maxBatch;
    this.flushEveryNanos = flushEvery.toNanos();
    this.queue = new ArrayBlockingQueue<>(capacity + 1); // + 1: room for WAKE
    this.spool = spool;
    this.retryAt = System.nanoTime();
    this.spoolCorruptTails = spool == null ? 0 : spool.corruptTails();
    if (spool != null && spool.records() > 0) {
      // Records a previous process spooled: produced there, delivered from here.
      produced.add(spool.records());
      spooled.set(spool.records());
      log.info("decision log spool `{}` holds {} records from before; delivering them to {} first", spool.dir(),
          spool.records(), sink.describe());
    }
    this.writer = new Thread(this::run, THREAD_NAME);
    writer.setDaemon(true);
    writer.start();
  }

  /**
   * Never blocks; returns false (and counts a drop) when the buffer is full or the pipeline is
   * closed.
   */
  public boolean offer(byte[] line) {
    Objects.requireNonNull(line, "line");
    produced.increment();
    if (!reserve()) {
      dropped.increment();
      startDropping();
      return false;
    }
    // Reserve first, then look at closed: the writer, once it has seen closed, waits for
    // buffered == 0, so a record reserved before it looks is either backed out here or written.
    if (closed) {
      buffered.decrementAndGet();
      dropped.increment();
      if (warnedClosed.compareAndSet(false, true)) {
        log.warn("decision log to {} is closed; records offered from now on are dropped", sink.describe());
      }
      return false;
    }
    if (!queue.offer(line)) { // cannot happen: the queue has room for every reservation
      buffered.decrementAndGet();
      dropped.increment();
      return false;
    }
    return true;
  }

  /** The counts now; exact ({@code produced = delivered + dropped + buffered}) when quiescent. */
  public Counts counts() {
    // Read buffered before delivered: a batch moves from buffered to delivered by adding to
    // delivered first, so a concurrent read errs towards counting it twice, never not at all.
    // Likewise spooled before delivered and dropped, buffered before spooled.
    long b = buffered.get();
    long s = spooled.get();
    long d = delivered.sum();
    long x = dropped.sum();
    long p = produced.sum();
    return new Counts(p, d, x, b, failedWrites.sum(), s, refused.sum(), spoolCorruptTails);
  }

  /**
   * Stops accepting, writes everything buffered, flushes and closes the sink, within
   * {@code timeout}; returns the counts after. A clean shutdown loses nothing.
   *
   * <p>The counts returned are exact unless offers race the close: such an offer takes a place
   * for an instant before it sees the pipeline closed and counts a drop, so {@code buffered} may be
   * momentarily one per racing thread too high. Nothing offered after this returns is written.
   *
   * <p>When the sink is still failing at the deadline the writer gives up: what it still holds is
   * counted as dropped and an ERROR says how much. A sink blocked in a write cannot be stopped; its
   * batch stays counted as buffered.
   */
  public Counts close(Duration timeout) {
    beginClose();
    if (!join(timeout)) {
      abandoned = true;
      LockSupport.unpark(writer);
      if (!join(ABANDON_GRACE)) {
        log.error("decision log to {} did not stop within {}: its writer is stuck in the sink with {} records"
            + " not written; they are lost when the process exits", sink.describe(), timeout, buffered.get());
      }
    }
    return counts();
  }

  /**
   * Stops accepting and lets the writer write out what is buffered, without waiting for it: so that
   * several pipelines drain side by side before each is {@linkplain #close(Duration) closed}.
   */
  public void beginClose() {
    closed = true;
    queue.offer(WAKE);
  }

  /** {@code close(Duration.ofSeconds(10))}. */
  @Override
  public void close() {
    close(Duration.ofSeconds(10));
  }

  /** Takes one place in the buffer, or returns false when it is full. */
  private boolean reserve() {
    long b;
    do {
      b = buffered.get();
      if (b >= capacity) {
        return false;
      }
    } while (!buffered.compareAndSet(b, b + 1));
    return true;
  }

  private void startDropping() {
    lastDropNanos = System.nanoTime();
    if (!closed && !dropping.get() && dropping.compareAndSet(false, true)) {
      droppedBeforeEpisode.set(dropped.sum() - 1);
      log.warn("decision log buffer of {} records is full ({} not keeping up); dropping records until it drains",
          capacity, sink.describe());
    }
  }

  /**
   * Drops stop when the buffer is back to half full and nothing was dropped for {@code quiet}, so
   * that a buffer hovering at full logs once, not once per burst. The writer looks, on every turn.
   */
  private void stopDroppingIfDrained() {
    if (dropping.get() && buffered.get() <= capacity / 2 && System.nanoTime() - lastDropNanos >= quietNanos
        && dropping.compareAndSet(true, false)) {
      log.info("decision log to {} is keeping up again; {} records were dropped", sink.describe(),
          dropped.sum() - droppedBeforeEpisode.get());
    }
  }

  // ---- the writer thread ----

  private void run() {
    List<byte[]> batch = new ArrayList<>(maxBatch);
    long flushDeadline = 0; // when dirty: by when the written lines must be flushed
    boolean dirty = false;
    try {
      while (true) {
        if (abandoned) {
          abandon(batch);
          break;
        }
        if (closed && buffered.get() == 0) {
          break;
        }
        stopDroppingIfDrained();
        long wait = dirty ? Math.max(0, flushDeadline - System.nanoTime()) : IDLE_TICK.toNanos();
        if (closed) {
          wait = Math.min(wait, CLOSING_TICK.toNanos()); // an offer may be backing out: look again soon
        }
        if (dropping.get()) {
          wait = Math.min(wait, quietNanos); // to say soon after the quiet period that drops stopped
        }
        boolean spoolDue = spool != null && spooled.get() > 0;
        if (spoolDue) {
          wait = Math.min(wait, Math.max(0, retryAt - System.nanoTime()));
        }
        boolean wrote = take(batch, wait) && write(batch);
        if (spoolDue && System.nanoTime() - retryAt >= 0 && !abandoned) {
          wrote |= deliverSpooled();
        }
        if (wrote && !dirty) {
          dirty = true;
          flushDeadline = System.nanoTime() + flushEveryNanos;
        }
        if (dirty && (System.nanoTime() - flushDeadline >= 0 || (closed && !flushFailing))) {
          if (flush()) {
            dirty = false;
          } else {
            flushDeadline = System.nanoTime() + Math.max(flushEveryNanos, FIRST_BACKOFF.toNanos());
          }
        }
      }
      // Closing: deliver what the spool holds while the sink takes it; what is left stays for the next start.
      while (spool != null && !abandoned && spooled.get() > 0 && deliverSpooled()) {
        dirty = true;
      }
      if (dirty && !abandoned) {
        flush();
      }
    } catch (InterruptedException e) {
      log.error("decision log writer to {} was interrupted; {} records not written", sink.describe(), buffered.get());
    } catch (Error e) {
      log.error("decision log writer to {} stopped on {}; {} records not written, later ones are dropped",
          sink.describe(), e, buffered.get());
      throw e;
    } finally {
      closeSink();
    }
  }

  /** Fills {@code batch} (empty) with up to maxBatch lines, waiting up to {@code nanos} for the first. */
  private boolean take(List<byte[]> batch, long nanos) throws InterruptedException {
    byte[] first = queue.poll(nanos, TimeUnit.NANOSECONDS);
    if (first == null) {
      return false;
    }
    if (first != WAKE) {
      batch.add(first);
      if (!closed && queue.size() < maxBatch) {
        // Let a batch gather: one wake-up and one write per LINGER rather than per record, and an
        // offer that finds the writer lingering (not waiting on the queue) wakes nobody.
        LockSupport.parkNanos(LINGER.toNanos());
      }
    }
    long limit = sink.maxBatchBytes();
    if (limit == Long.MAX_VALUE) {
      queue.drainTo(batch, maxBatch - batch.size());
    } else {
      // The only taker: what peek shows, poll takes.
      long size = batch.isEmpty() ? 0 : batch.get(0).length + 1L;
      for (byte[] next; batch.size() < maxBatch && (next = queue.peek()) != null; ) {
        if (next != WAKE && !batch.isEmpty() && size + next.length + 1 > limit) {
          break;
        }
        queue.poll();
        if (next != WAKE) {
          batch.add(next);
          size += next.length + 1L;
        }
      }
    }
    batch.removeIf(line -> line == WAKE);
    return !batch.isEmpty();
  }

  /**
   * Writes the batch: straight to the sink, retrying with backoff (no spool), or, with a spool, to
   * the sink only when the spool is empty and else to the spool. True when the sink took it.
   */
  private boolean write(List<byte[]> batch) {
    if (spool == null) {
      return writeRetrying(batch);
    }
    if (spooled.get() == 0 && System.nanoTime() - retryAt >= 0) {
      try {
        sink.write(batch);
        delivered.add(batch.size());
        buffered.addAndGet(-batch.size());
        batch.clear();
        sinkWorks();
        return true;
      } catch (LogSink.Refused e) {
        refuse(batch.size(), e);
        buffered.addAndGet(-batch.size());
        batch.clear();
        return false;
      } catch (Exception e) {
        sinkFails(e);
      }
    }
    spill(batch);
    return false;
  }

  /** Appends the batch to the spool; what does not fit is dropped and counted. */
  private void spill(List<byte[]> batch) {
    int n = spool.append(batch);
    spooled.addAndGet(n);
    int lost = batch.size() - n;
    if (lost > 0) {
      dropped.add(lost);
      lastDropNanos = System.nanoTime();
      if (!spoolFull) {
        spoolFull = true;
        log.warn("decision log spool `{}` is full ({} records, {} bytes) while {} does not take records;"
            + " dropping records until it drains", spool.dir(), spool.records(), spool.bytes(), sink.describe());
      }
    } else if (spoolFull && !batch.isEmpty()) {
      spoolFull = false;
      log.info("decision log spool `{}` has room again", spool.dir());
    }
    buffered.addAndGet(-batch.size());
    batch.clear();
  }

  /** Delivers the spool's oldest segment; true when the sink took records. */
  private boolean deliverSpooled() {
    List<byte[]> records;
    try {
      records = spool.oldest();
    } catch (Exception e) {
      sinkFails(new java.io.IOException("cannot read the spool `" + spool.dir() + "`: " + e, e));
      return false;
    }
    try {
      if (!records.isEmpty()) {
        sink.write(records);
      }
      delivered.add(records.size());
      removeOldest(records.size());
      sinkWorks();
      return !records.isEmpty();
    } catch (LogSink.Refused e) {
      refuse(records.size(), e);
      removeOldest(records.size());
      return false;
    } catch (Exception e) {
      sinkFails(e);
      return false;
    }
  }

  /** Deletes the delivered segment; its records were already counted delivered or dropped. */
  private void removeOldest(int records) {
    try {
      spool.remove();
    } catch (Exception e) {
      log.error("decision log spool could not delete a delivered segment in `{}` ({}); it would be delivered again"
          + " after a restart", spool.dir(), e.toString());
    }
    spooled.addAndGet(-records);
  }

  private void sinkWorks() {
    refusedStreakEnds();
    backoffNanos = FIRST_BACKOFF.toNanos();
    if (sinkFailing) {
      sinkFailing = false;
      log.info("decision log to {} works again; the spool holds {} records", sink.describe(), spooled.get());
    }
  }

  private void sinkFails(Exception e) {
    failedWrites.increment();
    if (!sinkFailing) {
      sinkFailing = true;
      log.warn("decision log cannot write to {} ({}); spooling to `{}` and retrying", sink.describe(), e.toString(),
          spool.dir());
    }
    retryAt = System.nanoTime() + retryDelay(e, backoffNanos);
    backoffNanos = Math.min(backoffNanos * 2, MAX_BACKOFF.toNanos());
  }

  /** The backoff, or what the receiver asked for when that is longer, up to {@link #MAX_RETRY_AFTER}. */
  static long retryDelay(Exception e, long backoff) {
    if (e instanceof LogSink.RetryLater r && r.after() != null) {
      return Math.max(backoff, Math.min(r.after().toNanos(), MAX_RETRY_AFTER.toNanos()));
    }
    return backoff;
  }

  /** Counts a refused batch as dropped; logs once per streak of refusals. */
  private void refuse(int records, LogSink.Refused e) {
    dropped.add(records);
    refused.add(records);
    if (!refusing) {
      refusing = true;
      refusedBeforeStreak = refused.sum() - records;
      log.warn("decision log: {} refuses records ({}); refused batches are dropped, not retried", sink.describe(),
          e.getMessage());
    }
  }

  private void refusedStreakEnds() {
    if (refusing) {
      refusing = false;
      log.info("decision log: {} accepts records again; {} were refused", sink.describe(),
          refused.sum() - refusedBeforeStreak);
    }
  }

  /** Writes the batch, retrying with backoff; false when it was refused or the pipeline was abandoned meanwhile. */
  private boolean writeRetrying(List<byte[]> batch) {
    long backoff = FIRST_BACKOFF.toNanos();
    int failures = 0;
    while (true) {
      long delay;
      try {
        sink.write(batch);
        delivered.add(batch.size());
        buffered.addAndGet(-batch.size());
        if (failures > 0) {
          log.info("decision log to {} works again after {} failed writes", sink.describe(), failures);
        }
        refusedStreakEnds();
        batch.clear();
        return true;
      } catch (LogSink.Refused e) {
        refuse(batch.size(), e);
        buffered.addAndGet(-batch.size());
        batch.clear();
        return false;
      } catch (Exception e) {
        failedWrites.increment();
        failures++;
        if (failures == 1) {
          log.warn("decision log cannot write to {} ({}); retrying; records held: {}", sink.describe(), e.toString(),
              buffered.get());
        }
        delay = retryDelay(e, backoff);
      }
      if (!pause(delay)) {
        return false;
      }
      backoff = Math.min(backoff * 2, MAX_BACKOFF.toNanos());
    }
  }

  /** Flushes the sink; a failure is counted, logged once per streak, and tried again later. */
  private boolean flush() {
    try {
      sink.flush();
      if (flushFailing) {
        flushFailing = false;
        log.info("decision log flushes {} again", sink.describe());
      }
      return true;
    } catch (Exception e) {
      failedWrites.increment();
      if (!flushFailing) {
        flushFailing = true;
        log.warn("decision log cannot flush {} ({}); trying again", sink.describe(), e.toString());
      }
      return false;
    }
  }

  /** Sleeps {@code nanos} unless abandoned; false when abandoned. */
  private boolean pause(long nanos) {
    long until = System.nanoTime() + nanos;
    long left;
    while (!abandoned && (left = until - System.nanoTime()) > 0) {
      LockSupport.parkNanos(this, left);
    }
    return !abandoned;
  }

  /**
   * Spools what the writer still holds, or with no spool (or no room) counts it as dropped, so that
   * the counts stay whole after a timed-out close.
   */
  private void abandon(List<byte[]> batch) {
    queue.drainTo(batch);
    batch.removeIf(line -> line == WAKE);
    if (spool != null && !batch.isEmpty()) {
      long before = dropped.sum();
      int held = batch.size();
      spill(batch);
      log.warn("decision log to {} gave up at close: {} records were spooled for the next start, {} dropped",
          sink.describe(), held - (dropped.sum() - before), dropped.sum() - before);
    }
    long lost = batch.size();
    batch.clear();
    if (lost > 0) {
      dropped.add(lost);
      buffered.addAndGet(-lost);
      log.error("decision log to {} gave up at close: {} records could not be written and are dropped",
          sink.describe(), lost);
    }
  }

  private void closeSink() {
    try {
      sink.close();
    } catch (Exception e) {
      log.warn("decision log could not close {} ({})", sink.describe(), e.toString());
    }
    if (spool != null) {
      try {
        spool.close();
      } catch (Exception e) {
        log.warn("decision log could not close its spool `{}` ({})", spool.dir(), e.toString());
      }
    }
  }

  private boolean join(Duration timeout) {
    try {
      writer.join(Math.max(1, timeout.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !writer.isAlive();
  }
}
