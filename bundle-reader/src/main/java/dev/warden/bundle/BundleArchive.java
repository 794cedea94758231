package dev.warden.bundle;

import dev.warden.policy.source.Bundle;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Reads a bundle from a `.tar.gz` archive, strictly: regular files and folders only (no links,
 * devices or pipes), names relative to the bundle root (no `/` at the start, no `..`, no `\`),
 * each name once, and {@link BundleReader}'s bounds on the number of files, each file's size and
 * the total, counted as the archive is read, so a compressed bomb stops at the bound. Hidden
 * files (a name part starting with `.`, such as macOS's `._x` files) are skipped, as in a
 * directory; a leading `./`, as `tar -C dir .` writes, is not part of the name.
 */
public final class BundleArchive {
  private BundleArchive() {}

  public static Bundle read(Path archive) throws BundleReadException {
    try (InputStream in = Files.newInputStream(archive)) {
      return read(in, archive.toString());
    } catch (IOException e) {
      throw new BundleReadException("cannot read `" + archive + "`: " + e.getMessage());
    }
  }

  /** Reads an archive from a stream; {@code name} is how messages call it. The stream is not closed. */
  public static Bundle read(InputStream archive, String name) throws BundleReadException {
    Map<String, byte[]> files = new TreeMap<>();
    long total = 0;
    int entries = 0;
    try {
      GzipCompressorInputStream gz = new GzipCompressorInputStream(new BufferedInputStream(archive));
      TarArchiveInputStream tar = new TarArchiveInputStream(gz, "UTF-8");
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
    } catch (IOException | IllegalArgumentException e) {
      // commons-compress reports a bad header as an IOException, some bad fields as an
      // IllegalArgumentException; either way the archive is not one we read.
      throw new BundleReadException("`" + name + "` is not a readable `.tar.gz` archive: " + e.getMessage());
    }
    return Bundle.ofBytes(files);
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
