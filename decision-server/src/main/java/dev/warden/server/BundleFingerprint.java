package dev.warden.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Iterator;
import java.util.stream.Stream;

/**
 * A cheap fingerprint of a bundle path, for the watch: every entry below it (following links,
 * hidden ones included, so that a ConfigMap's `..data` swap shows) with its size, modification
 * time and file key (device and inode on Linux). Equal fingerprints mean nothing was written,
 * added, removed or swapped in; the content digest then decides whether anything really changed.
 */
final class BundleFingerprint {
  /** Past this many entries the fingerprint stops: the reader refuses bigger bundles anyway. */
  private static final int MAX_ENTRIES = 20_000;

  private BundleFingerprint() {}

  /** The prefix of the fingerprint of a path that could not be walked (gone, unreadable). */
  static final String UNREADABLE = "!";

  /** Whether {@code fingerprint} is of a path that could be walked whole. */
  static boolean readable(String fingerprint) {
    return !fingerprint.startsWith(UNREADABLE);
  }

  static String of(Path root) {
    StringBuilder b = new StringBuilder();
    boolean unreadable = false;
    try (Stream<Path> walk = Files.walk(root, 32, FileVisitOption.FOLLOW_LINKS)) {
      int n = 0;
      for (Iterator<Path> it = walk.iterator(); it.hasNext() && n < MAX_ENTRIES; n++) {
        Path p = it.next();
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
        b.append(root.relativize(p)).append('\0').append(a.size()).append('\0')
            .append(a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS)).append('\0').append(a.fileKey()).append('\n');
      }
    } catch (IOException | UncheckedIOException | SecurityException e) {
      // Gone or unreadable mid-change: a fingerprint of its own, so the next poll sees a change again.
      b.append("unreadable: ").append(e);
      unreadable = true;
    }
    try {
      return (unreadable ? UNREADABLE : "") + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
          .digest(b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
