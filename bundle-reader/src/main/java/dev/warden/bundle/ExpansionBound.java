package dev.warden.bundle;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The expanded stream of an archive, refusing to grow past {@link BundleArchive#RATIO_FREE_BYTES}
 * unless it stays within {@link BundleArchive#MAX_RATIO} times the compressed bytes read so far.
 * Checked on every read, so a bomb stops at the bound, not when a file or the total is full.
 */
final class ExpansionBound extends FilterInputStream {
  private final Counting compressed;
  private final String name;
  private long expanded;

  ExpansionBound(InputStream in, Counting compressed, String name) {
    super(in);
    this.compressed = compressed;
    this.name = name;
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    grow(b < 0 ? 0 : 1);
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = super.read(b, off, len);
    grow(Math.max(n, 0));
    return n;
  }

  private void grow(int n) throws TooExpanded {
    expanded += n;
    if (expanded > BundleArchive.RATIO_FREE_BYTES && expanded > BundleArchive.MAX_RATIO * compressed.count) {
      throw new TooExpanded("`" + name + "` expands more than " + BundleArchive.MAX_RATIO
          + " times (" + BundleReader.mib(expanded)
          + " from " + compressed.count / 1024 + " KiB so far): refused as a possible archive bomb");
    }
  }

  /** Counts the compressed bytes read. */
  static final class Counting extends FilterInputStream {
    long count;

    Counting(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      count += b < 0 ? 0 : 1;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      count += Math.max(n, 0);
      return n;
    }
  }

  static final class TooExpanded extends IOException {
    TooExpanded(String message) {
      super(message);
    }
  }
}
