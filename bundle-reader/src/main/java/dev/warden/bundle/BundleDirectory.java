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

  /** A directory read for building an archive: the bundle, and the hidden paths left out. */
  public record Strict(Bundle bundle, List<String> skipped) {}

  /**
   * Reads a directory to build an archive from, more strictly than {@link #read}: a symbolic
   * link, or anything that is not a regular file or a folder, is refused rather than followed,
   * so that nothing from outside the directory gets into the archive. Hidden files and folders
   * are left out, as every reader skips them, and listed.
   */
  public static Strict readStrict(Path root) throws BundleReadException {
    if (!Files.isDirectory(root)) {
      throw new BundleReadException("`" + root + "` is not a directory");
    }
    List<String> skipped = new java.util.ArrayList<>();
    Map<String, byte[]> files = new TreeMap<>();
    long[] total = {0};
    // The real path: a bundle directory may itself be reached through a link (a ConfigMap
    // mount); links below it are what is refused.
    Path real;
    try {
      real = root.toRealPath();
    } catch (IOException e) {
      throw new BundleReadException("cannot read `" + root + "`: " + e.getMessage());
    }
    try {
      Files.walkFileTree(real, java.util.EnumSet.noneOf(FileVisitOption.class), BundleReader.MAX_DEPTH + 1,
          new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult preVisitDirectory(Path dir, java.nio.file.attribute.BasicFileAttributes a)
                throws IOException {
              if (!dir.equals(real) && hidden(real.relativize(dir))) {
                skipped.add(name(real, dir) + "/");
                return java.nio.file.FileVisitResult.SKIP_SUBTREE;
              }
              return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFile(Path p, java.nio.file.attribute.BasicFileAttributes a)
                throws IOException {
              String rel = name(real, p);
              if (hidden(real.relativize(p))) {
                skipped.add(rel);
                return java.nio.file.FileVisitResult.CONTINUE;
              }
              if (a.isSymbolicLink()) {
                throw new Refused("`" + rel + "` is a symbolic link; a bundle archive holds only regular files"
                    + " (copy the file it points to into the bundle)");
              }
              if (!a.isRegularFile()) {
                throw new Refused("`" + rel + "` is " + (a.isDirectory() ? "more than " + BundleReader.MAX_DEPTH
                    + " folders deep" : "not a regular file") + "; a bundle archive holds only regular files");
              }
              if (files.size() == BundleReader.MAX_FILES) {
                throw new Refused("`" + root + "` holds more than " + BundleReader.MAX_FILES + " files");
              }
              if (a.size() > BundleReader.MAX_FILE_BYTES) {
                throw new Refused("`" + rel + "` is larger than " + BundleReader.mib(BundleReader.MAX_FILE_BYTES));
              }
              total[0] += a.size();
              if (total[0] > BundleReader.MAX_TOTAL_BYTES) {
                throw new Refused("`" + root + "` holds more than " + BundleReader.mib(BundleReader.MAX_TOTAL_BYTES));
              }
              files.put(rel, Files.readAllBytes(p));
              return java.nio.file.FileVisitResult.CONTINUE;
            }
          });
    } catch (Refused e) {
      throw new BundleReadException(e.getMessage());
    } catch (IOException e) {
      throw new BundleReadException("cannot read `" + root + "`: " + e.getMessage());
    }
    return new Strict(Bundle.ofBytes(files), List.copyOf(skipped));
  }

  private static final class Refused extends IOException {
    Refused(String message) {
      super(message);
    }
  }

  private static String name(Path root, Path p) {
    return root.relativize(p).toString().replace('\\', '/');
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
