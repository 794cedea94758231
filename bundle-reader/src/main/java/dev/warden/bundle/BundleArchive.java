package dev.warden.bundle;

import dev.warden.policy.source.Bundle;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;

/**
 * Reads a bundle from a `.tar.gz` archive, strictly: regular files and folders only (no links,
 * devices or pipes), names relative to the bundle root (no `/` at the start, no `..`, no `\`),
 * each name once, and {@link BundleReader}'s bounds on the number of files, each file's size and
 * the total, counted as the archive is read, so a compressed bomb stops at the bound. Hidden
 * files (a name part starting with `.`, such as macOS's `._x` files) are skipped, as in a
 * directory; a leading `./`, as `tar -C dir .` writes, is not part of the name. The one hidden
 * file kept is {@link BundleSignatures#FILE} at the root, returned beside the bundle by
 * {@link #readSigned}.
 *
 * <p>Against archive bombs, the expanded tar stream may grow past {@link #RATIO_FREE_BYTES} only
 * while it stays within {@link #MAX_RATIO} times the compressed bytes read so far.
 */
public final class BundleArchive {
  /** The most uncompressed bytes per compressed byte, once past {@link #RATIO_FREE_BYTES}. */
  public static final long MAX_RATIO = 100;
  /** Uncompressed bytes an archive may expand to whatever its ratio (a small bundle of repetitive data). */
  public static final long RATIO_FREE_BYTES = 8L << 20;

  /** The largest `.signatures.json`, in bytes. */
  public static final int MAX_SIGNATURES_BYTES = 1 << 20;

  /** A bundle read from an archive with its signatures file, or null for an unsigned one. */
  public record Signed(Bundle bundle, byte[] signatures) {}

  private BundleArchive() {}

  public static Bundle read(Path archive) throws BundleReadException {
    return readSigned(archive).bundle();
  }

  /** Reads an archive and its `.signatures.json`, if it has one. */
  public static Signed readSigned(Path archive) throws BundleReadException {
    try (InputStream in = Files.newInputStream(archive)) {
      return readSigned(in, archive.toString());
    } catch (IOException e) {
      throw new BundleReadException("cannot read `" + archive + "`: " + e.getMessage());
    }
  }

  /** Reads an archive from a stream; {@code name} is how messages call it. The stream is not closed. */
  public static Bundle read(InputStream archive, String name) throws BundleReadException {
    return readSigned(archive, name).bundle();
  }

  /** Reads an archive and its signatures from a stream. The stream is not closed. */
  public static Signed readSigned(InputStream archive, String name) throws BundleReadException {
    Map<String, byte[]> files = new TreeMap<>();
    byte[] signatures = null;
    long total = 0;
    int entries = 0;
    try {
      ExpansionBound.Counting compressed = new ExpansionBound.Counting(archive);
      InputStream expanded = new ExpansionBound(
          new GzipCompressorInputStream(new BufferedInputStream(compressed)), compressed, name);
      TarArchiveInputStream tar = new TarArchiveInputStream(expanded, "UTF-8");
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        if (++entries > 4 * BundleReader.MAX_FILES) {
          throw new BundleReadException("`" + name + "` holds more than " + 4 * BundleReader.MAX_FILES + " entries");
        }
        String path = path(name, e);
        if (e.isDirectory() || path.isEmpty()) {
          continue;
        }
        if (!regular(e)) {
          throw new BundleReadException("`" + name + "`: `" + path + "` is " + kind(e)
              + "; a bundle archive holds only regular files and folders");
        }
        if (path.equals(BundleSignatures.FILE)) {
          if (signatures != null) {
            throw new BundleReadException("`" + name + "` holds `" + path + "` twice");
          }
          signatures = tar.readNBytes(MAX_SIGNATURES_BYTES + 1);
          if (signatures.length > MAX_SIGNATURES_BYTES) {
            throw new BundleReadException("`" + name + "`: `" + path + "` is larger than " + BundleReader.mib(MAX_SIGNATURES_BYTES));
          }
          continue;
        }
        if (hidden(path)) {
          continue;
        }
        if (files.size() == BundleReader.MAX_FILES) {
          throw new BundleReadException("`" + name + "` holds more than " + BundleReader.MAX_FILES + " files");
        }
        if (e.getSize() > BundleReader.MAX_FILE_BYTES) {
          throw tooLarge(name, path);
        }
        byte[] bytes = tar.readNBytes((int) BundleReader.MAX_FILE_BYTES + 1);
        if (bytes.length > BundleReader.MAX_FILE_BYTES) {
          throw tooLarge(name, path);
        }
        total += bytes.length;
        if (total > BundleReader.MAX_TOTAL_BYTES) {
          throw new BundleReadException("`" + name + "` holds more than " + BundleReader.mib(BundleReader.MAX_TOTAL_BYTES)
              + " of files");
        }
        if (files.put(path, bytes) != null) {
          throw new BundleReadException("`" + name + "` holds `" + path + "` twice");
        }
      }
    } catch (ExpansionBound.TooExpanded e) {
      throw new BundleReadException(e.getMessage());
    } catch (IOException | IllegalArgumentException e) {
      // commons-compress reports a bad header as an IOException, some bad fields as an
      // IllegalArgumentException; either way the archive is not one we read.
      throw new BundleReadException("`" + name + "` is not a readable `.tar.gz` archive: " + e.getMessage());
    }
    return new Signed(Bundle.ofBytes(files), signatures);
  }

  /**
   * Writes {@code bundle} (and {@code signatures}, when not null) as a `.tar.gz` that depends on
   * nothing but the files: entries in path order, each folder before its files, mtime 0, uid and
   * gid 0 with no user or group names, mode 0644 for files and 0755 for folders, and a gzip
   * header without a time or a file name. The same bundle always gives the same bytes.
   */
  public static void write(Bundle bundle, byte[] signatures, OutputStream out) throws IOException {
    GzipParameters gzip = new GzipParameters();
    gzip.setModificationTime(0);
    gzip.setOperatingSystem(255);
    GzipCompressorOutputStream gz = new GzipCompressorOutputStream(out, gzip);
    TarArchiveOutputStream tar = new TarArchiveOutputStream(gz, "UTF-8");
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    java.util.Set<String> folders = new java.util.HashSet<>();
    if (signatures != null) {
      entry(tar, BundleSignatures.FILE, signatures);
    }
    for (String path : bundle.paths()) {
      int slash = -1;
      while ((slash = path.indexOf('/', slash + 1)) > 0) {
        String folder = path.substring(0, slash + 1);
        if (folders.add(folder)) {
          TarArchiveEntry dir = fixed(new TarArchiveEntry(folder), 0755);
          tar.putArchiveEntry(dir);
          tar.closeArchiveEntry();
        }
      }
      entry(tar, path, bundle.bytes(path));
    }
    tar.finish();
    gz.finish();
    gz.flush();
  }

  private static void entry(TarArchiveOutputStream tar, String path, byte[] bytes) throws IOException {
    TarArchiveEntry e = fixed(new TarArchiveEntry(path), 0644);
    e.setSize(bytes.length);
    tar.putArchiveEntry(e);
    tar.write(bytes);
    tar.closeArchiveEntry();
  }

  private static TarArchiveEntry fixed(TarArchiveEntry e, int mode) {
    e.setModTime(0);
    e.setIds(0, 0);
    e.setNames("", "");
    e.setMode((e.isDirectory() ? 040000 : 0100000) | mode);
    return e;
  }

  /** The entry's name as a bundle path, checked: relative, inside the bundle, no odd characters. */
  private static String path(String archive, TarArchiveEntry e) throws BundleReadException {
    String raw = e.getName();
    String p = raw;
    while (p.startsWith("./")) {
      p = p.substring(2);
    }
    if (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    if (p.isEmpty() || p.equals(".")) {
      return "";
    }
    String why = null;
    if (p.startsWith("/") || p.matches("^[A-Za-z]:.*")) {
      why = "is an absolute path";
    } else if (p.indexOf('\\') >= 0 || p.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      why = "has a backslash or a control character in its name";
    } else {
      String[] parts = p.split("/", -1);
      for (String part : parts) {
        if (part.equals("..")) {
          why = "leaves the bundle (`..`)";
        } else if (part.isEmpty() || part.equals(".")) {
          why = "has an empty or `.` part in its name";
        }
        if (why != null) {
          break;
        }
      }
      if (why == null && parts.length > BundleReader.MAX_DEPTH) {
        why = "is more than " + BundleReader.MAX_DEPTH + " folders deep";
      }
    }
    if (why != null) {
      throw new BundleReadException("`" + archive + "`: entry `" + raw + "` " + why);
    }
    return p;
  }

  /** Plain file types only: commons-compress's isFile() also says yes to devices and pipes. */
  private static boolean regular(TarArchiveEntry e) {
    byte flag = e.getLinkFlag();
    return (flag == TarConstants.LF_NORMAL || flag == TarConstants.LF_OLDNORM || flag == TarConstants.LF_CONTIG)
        && !e.isSparse();
  }

  private static boolean hidden(String path) {
    for (String part : path.split("/")) {
      if (part.startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  private static String kind(TarArchiveEntry e) {
    if (e.isSymbolicLink()) {
      return "a symbolic link (to `" + e.getLinkName() + "`)";
    }
    if (e.isLink()) {
      return "a hard link (to `" + e.getLinkName() + "`)";
    }
    if (e.isCharacterDevice() || e.isBlockDevice()) {
      return "a device";
    }
    if (e.isFIFO()) {
      return "a named pipe";
    }
    return "not a regular file";
  }

  private static BundleReadException tooLarge(String archive, String path) {
    return new BundleReadException("`" + archive + "`: `" + path + "` is larger than "
        + BundleReader.mib(BundleReader.MAX_FILE_BYTES));
  }
}
