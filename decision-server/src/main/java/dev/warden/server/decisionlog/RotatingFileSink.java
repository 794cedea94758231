package dev.warden.server.decisionlog;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Appends lines to a file and rotates it by size, and by age when a maximum age is set:
 * {@code file} is the newest, then {@code file.1},
 * {@code file.2} … {@code file.<maxFiles>}, the oldest.
 *
 * <p>Invariants:
 * <ul>
 *   <li>a line (with its newline) is never split across two files: when it would take the current
 *       file past {@code maxBytes}, the file is rotated first;
 *   <li>a file holds at most {@code maxBytes}, except a file holding a single line longer than that
 *       (such a line is written whole, alone in its file, rather than lost);
 *   <li>at most {@code maxFiles} rotated files exist (the oldest is deleted), so the total is bounded
 *       by {@code (maxFiles + 1) × maxBytes} (with the exception above, by the longest line);
 *   <li>reading {@code file.<maxFiles>} … {@code file.1}, {@code file} gives the lines in the order
 *       they were written;
 *   <li>with a maximum age, a line is never written to a non-empty file opened that long ago or
 *       longer: the file is rotated first (the age counts from when this sink opened the file, so a
 *       restart starts the count again; an empty file is never rotated).
 * </ul>
 * An existing {@code file} is appended to, its size counted. Not thread-safe: the pipeline's one
 * writer thread uses it.
 */
public final class RotatingFileSink implements LogSink {
  private static final int BUFFER_BYTES = 64 * 1024;

  private final Path file;
  private final long maxBytes;
  private final int maxFiles;
  private final long maxAgeNanos;
  private final java.util.function.LongSupplier nanoClock;
  private OutputStream out;
  private long size;
  private long openedNanos;

  /**
   * Appends lines to {@code file}; when it would pass maxBytes, renames it to file.1 (file.1 →
   * file.2 …) and starts a new one; keeps at most maxFiles rotated files (deletes the oldest), so
   * the total is bounded by (maxFiles + 1) × maxBytes. Creates the folder.
   */
  public RotatingFileSink(Path file, long maxBytes, int maxFiles) throws IOException {
    this(file, maxBytes, maxFiles, java.time.Duration.ZERO, System::nanoTime);
  }

  /**
   * As above, rotating also a non-empty file once it was opened {@code maxAge} ago (zero: by size
   * only), by {@code nanoClock} ({@link System#nanoTime} but in tests).
   */
  public RotatingFileSink(Path file, long maxBytes, int maxFiles, java.time.Duration maxAge,
      java.util.function.LongSupplier nanoClock) throws IOException {
    if (maxAge.isNegative()) {
      throw new IllegalArgumentException("decision log file age limit of " + maxAge + "; expected 0 or more");
    }
    this.maxAgeNanos = maxAge.toNanos();
    this.nanoClock = nanoClock;
    if (maxBytes < 1) {
      throw new IllegalArgumentException("decision log file size limit of " + maxBytes + " bytes; expected at least 1");
    }
    if (maxFiles < 0) {
      throw new IllegalArgumentException("decision log keeps " + maxFiles + " rotated files; expected 0 or more");
    }
    this.file = file.toAbsolutePath();
    this.maxBytes = maxBytes;
    this.maxFiles = maxFiles;
    open();
  }

  @Override
  public void write(List<byte[]> lines) throws IOException {
    for (byte[] line : lines) {
      long length = line.length + 1L;
      if (size > 0 && (size + length > maxBytes || maxAgeNanos > 0 && nanoClock.getAsLong() - openedNanos >= maxAgeNanos)) {
        rotate();
      }
      out.write(line);
      out.write('\n');
      size += length;
    }
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public String describe() {
    return "file " + file;
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  /** The path of the {@code n}th rotated file ({@code file.n}); 0 is the current file. */
  Path rotated(int n) {
    return n == 0 ? file : file.resolveSibling(file.getFileName() + "." + n);
  }

  /** Opens {@code file} to append, creating its folder (again, should someone have removed it). */
  private void open() throws IOException {
    Path folder = file.getParent();
    if (folder != null) {
      Files.createDirectories(folder);
    }
    out = new BufferedOutputStream(new FileOutputStream(file.toFile(), true), BUFFER_BYTES);
    size = Files.size(file);
    openedNanos = nanoClock.getAsLong();
  }

  private void rotate() throws IOException {
    out.close();
    if (maxFiles == 0) {
      Files.delete(file);
    } else {
      Files.deleteIfExists(rotated(maxFiles));
      for (int n = maxFiles - 1; n >= 0; n--) {
        if (Files.exists(rotated(n))) {
          Files.move(rotated(n), rotated(n + 1), StandardCopyOption.ATOMIC_MOVE);
        }
      }
    }
    open();
  }
}
