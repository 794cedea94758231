package dev.warden.server.decisionlog;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records a sink could not take, kept on disk in a folder until it can: append-only segment files
 * ({@code 00000000000000000001.seg} …, oldest first), each in the format of {@link SpoolSegment}.
 *
 * <p>Invariants:
 * <ul>
 *   <li>the segment files together never hold more than {@code maxBytes}: an append that would pass
 *       it takes only the records that fit, and the caller counts the rest as dropped;
 *   <li>records come back ({@link #oldest}) in the order they were appended, one segment at a time,
 *       at most {@code segmentRecords} records and about {@code segmentBytes} bytes per segment;
 *   <li>a segment is deleted only by {@link #remove}, which the caller calls after the sink took
 *       the segment's records: a crash between the two delivers that segment again after a restart
 *       (at least once in that window, exactly once otherwise);
 *   <li>segments found at {@link #open} are read back whole records only: a tail cut by a crash
 *       mid-write, or damaged, fails its length or checksum and is counted ({@link #corruptTails}),
 *       never delivered in part; new records go to a new segment, never after a damaged tail;
 *   <li>one process at a time: {@link #open} locks the folder ({@code lock}) or fails.
 * </ul>
 * Appends are written through to the operating system (flushed) before {@link #append} returns, so
 * that a crash of the process, not of the machine, loses nothing spooled; there is no fsync.
 * Not thread-safe: the pipeline's one writer thread uses it.
 */
final class Spool implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(Spool.class);
  private static final String SUFFIX = ".seg";

  private final Path dir;
  private final long maxBytes;
  private final int segmentRecords;
  private final long segmentBytes;
  private final FileChannel lockChannel;
  private final FileLock lock;
  /** Sealed segments, oldest first, with how many whole records each holds. */
  private final Deque<Sealed> sealed = new ArrayDeque<>();
  private long nextSeq;
  private long bytes;
  private long records;
  private long corruptTails;
  /** Whether the last append failed (logged once per streak). */
  private boolean failing;

  /** The segment being appended to, or null. */
  private Path openPath;
  private OutputStream openOut;
  private int openRecords;
  private long openBytes;
  /** The records of the oldest segment, read once and kept until {@link #remove}. */
  private List<byte[]> oldest;

  private record Sealed(Path path, int records, long bytes) {}

  private Spool(Path dir, long maxBytes, int segmentRecords, long segmentBytes, FileChannel lockChannel,
      FileLock lock) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.segmentRecords = segmentRecords;
    this.segmentBytes = segmentBytes;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /**
   * Opens (creating) the folder, locks it and reads back the segments a previous process left.
   *
   * @param maxBytes the most bytes all segments together hold
   * @param segmentRecords the most records in one segment (one delivery)
   * @param segmentBytes a segment is sealed once it holds this many bytes (one delivery's size)
   */
  static Spool open(Path dir, long maxBytes, int segmentRecords, long segmentBytes) throws IOException {
    if (maxBytes < SpoolSegment.HEADER_BYTES + SpoolSegment.RECORD_OVERHEAD + 1) {
      throw new IllegalArgumentException("decision log spool of " + maxBytes + " bytes is too small to hold a record");
    }
    Files.createDirectories(dir);
    FileChannel channel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      channel.close();
      throw new IOException("the decision log spool `" + dir + "` is in use by another Warden process (or another"
          + " sink of this one): give each its own `decision_log.spool.dir`");
    }
    Spool spool = new Spool(dir, maxBytes, segmentRecords, segmentBytes, channel, lock);
    try {
      spool.recover();
    } catch (IOException | RuntimeException e) {
      spool.close();
      throw e;
    }
    return spool;
  }

  private void recover() throws IOException {
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      files.forEach(found::add);
    }
    found.sort(null);
    for (Path p : found) {
      long seq = seq(p);
      if (seq < 0) {
        continue;
      }
      SpoolSegment.Read read = SpoolSegment.read(Files.readAllBytes(p));
      if (read.corrupt()) {
        corruptTails++;
        log.warn("decision log spool segment `{}` ends in {} bytes that are not a whole record (a crash mid-write?);"
            + " its {} whole records are kept, the rest is skipped", p, read.corruptBytes(), read.records().size());
      }
      long size = Files.size(p);
      sealed.add(new Sealed(p, read.records().size(), size));
      records += read.records().size();
      bytes += size;
      nextSeq = Math.max(nextSeq, seq + 1);
    }
    if (nextSeq == 0) {
      nextSeq = 1;
    }
  }

  /**
   * Appends the records in order, as many as fit (all, unless the spool is full or the disk fails);
   * returns how many are on disk: the first {@code n} of {@code lines}. A write that fails (a full
   * disk) is logged once per streak; the segment it cut is sealed with the whole records it holds.
   */
  int append(List<byte[]> lines) {
    int n = 0;
    try {
      for (byte[] line : lines) {
        long size = SpoolSegment.RECORD_OVERHEAD + line.length;
        // A record longer than a segment by itself has one of its own, rather than empty ones around it.
        boolean roll = openOut != null && openRecords > 0
            && (openRecords >= segmentRecords || openBytes + size > segmentBytes);
        long needed = size + (openOut == null || roll ? SpoolSegment.HEADER_BYTES : 0);
        if (bytes + needed > maxBytes) {
          break;
        }
        if (roll) {
          seal();
        }
        if (openOut == null) {
          startSegment();
        }
        SpoolSegment.writeRecord(openOut, line);
        openRecords++;
        openBytes += size;
        bytes += size;
        records++;
        n++;
      }
      if (openOut != null) {
        openOut.flush();
      }
      if (failing) {
        failing = false;
        log.info("decision log spool `{}` can be written again", dir);
      }
      return n;
    } catch (IOException e) {
      if (!failing) {
        failing = true;
        log.warn("cannot write the decision log spool `{}` ({}); records that do not fit are dropped", dir,
            e.toString());
      }
      return n - sealCut();
    }
  }

  /**
   * After a failed write: closes the open segment and counts what it really holds; returns how many
   * records counted as appended are not whole on disk.
   */
  private int sealCut() {
    if (openOut == null) {
      return 0;
    }
    try {
      openOut.close();
    } catch (IOException ignored) {
      // what reached the file is read back below
    }
    openOut = null;
    int whole;
    long size;
    try {
      whole = SpoolSegment.read(Files.readAllBytes(openPath)).records().size();
      size = Files.size(openPath);
    } catch (IOException e) {
      whole = 0;
      size = openBytes;
    }
    int lost = Math.max(0, openRecords - whole);
    records -= lost;
    bytes += size - openBytes;
    sealed.addLast(new Sealed(openPath, whole, size));
    openPath = null;
    return lost;
  }

  /** The oldest segment's records (the open one is sealed when it is the only one); empty when none. */
  List<byte[]> oldest() throws IOException {
    if (oldest != null) {
      return oldest;
    }
    if (sealed.isEmpty() && openOut != null) {
      seal();
    }
    Sealed s = sealed.peekFirst();
    if (s == null) {
      return List.of();
    }
    oldest = SpoolSegment.read(Files.readAllBytes(s.path())).records();
    return oldest;
  }

  /** Deletes the oldest segment: its records were delivered (or refused for good). Returns how many it held. */
  int remove() throws IOException {
    Sealed s = sealed.peekFirst();
    if (s == null) {
      return 0;
    }
    Files.deleteIfExists(s.path());
    sealed.removeFirst();
    oldest = null;
    bytes -= s.bytes();
    records -= s.records();
    return s.records();
  }

  /** Whole records spooled, not yet removed. */
  long records() {
    return records;
  }

  /** Bytes the segment files hold. */
  long bytes() {
    return bytes;
  }

  /** Segments found at open whose tail was not a whole record. */
  long corruptTails() {
    return corruptTails;
  }

  Path dir() {
    return dir;
  }

  /** Closes the open segment and releases the folder; the files stay for the next process. */
  @Override
  public void close() throws IOException {
    try {
      if (openOut != null) {
        openOut.close();
        openOut = null;
      }
    } finally {
      try {
        lock.release();
      } finally {
        lockChannel.close();
      }
    }
  }

  private void startSegment() throws IOException {
    openPath = dir.resolve(String.format("%020d", nextSeq++) + SUFFIX);
    openOut = new BufferedOutputStream(Files.newOutputStream(openPath, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE), 64 * 1024);
    SpoolSegment.writeHeader(openOut);
    openRecords = 0;
    openBytes = SpoolSegment.HEADER_BYTES;
    bytes += SpoolSegment.HEADER_BYTES;
  }

  private void seal() throws IOException {
    openOut.close();
    sealed.addLast(new Sealed(openPath, openRecords, openBytes));
    openOut = null;
    openPath = null;
  }

  private static long seq(Path p) {
    String name = p.getFileName().toString();
    try {
      return Long.parseLong(name.substring(0, name.length() - SUFFIX.length()));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
