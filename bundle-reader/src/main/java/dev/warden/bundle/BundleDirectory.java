package dev.warden.bundle;

import dev.warden.policy.source.Bundle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads a bundle from a directory: every regular file below it, except hidden ones (a
 * Kubernetes ConfigMap mount keeps its real files behind `..data` links, which are followed).
 * Bounded by {@link BundleReader}'s limits.
 */
public final class BundleDirectory {
  private BundleDirectory() {}

  public static Bundle read(Path root) throws BundleReadException {
    if (!Files.isDirectory(root)) {
      throw new BundleReadException("`" + root + "` is not a directory");
    }
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root, BundleReader.MAX_DEPTH, FileVisitOption.FOLLOW_LINKS)) {
      List<Path> paths = walk.filter(Files::isRegularFile).filter(p -> !hidden(root.relativize(p))).toList();
      if (paths.size() > BundleReader.MAX_FILES) {
        throw new BundleReadException("`" + root + "` holds more than " + BundleReader.MAX_FILES
            + " files; is it the bundle directory?");
      }
      long total = 0;
      for (Path p : paths) {
        String rel = root.relativize(p).toString().replace('\\', '/');
        long size = Files.size(p);
        if (size > BundleReader.MAX_FILE_BYTES) {
          throw new BundleReadException("`" + rel + "` is larger than " + BundleReader.mib(BundleReader.MAX_FILE_BYTES));
        }
        total += size;
        if (total > BundleReader.MAX_TOTAL_BYTES) {
          throw new BundleReadException("`" + root + "` holds more than " + BundleReader.mib(BundleReader.MAX_TOTAL_BYTES)
              + "; is it the bundle directory?");
        }
        files.put(rel, Files.readAllBytes(p));
      }
    } catch (IOException | UncheckedIOException e) {
      throw new BundleReadException("cannot read `" + root + "`: " + e.getMessage());
    }
    return Bundle.ofBytes(files);
  }

  private static boolean hidden(Path rel) {
    for (Path part : rel) {
      if (part.toString().startsWith(".")) {
        return true;
      }
    }
    return false;
  }
}
