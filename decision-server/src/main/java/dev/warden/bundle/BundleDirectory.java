package dev.warden.bundle;

import dev.warden.policy.source.Bundle;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads a bundle from a directory: every regular file below it, except hidden ones (a
 * Kubernetes ConfigMap mount keeps its real files behind `..data` links, which are followed).
 * Bounded, so that a wrong path such as `/` fails fast with a clear message.
 */
public final class BundleDirectory {
  /** The most files a bundle directory may hold. */
  public static final int MAX_FILES = 10_000;
  /** The largest single file, in bytes. */
  public static final long MAX_FILE_BYTES = 16L << 20;

  private BundleDirectory() {}

  /** Thrown when a directory cannot be read as a bundle; the message is for people. */
  public static final class BundleReadException extends Exception {
    private static final long serialVersionUID = 1L;

    public BundleReadException(String message) {
      super(message);
    }
  }

  public static Bundle read(Path root) throws BundleReadException {
    if (!Files.isDirectory(root)) {
      throw new BundleReadException("`" + root + "` is not a directory");
    }
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root, 16, java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
      List<Path> paths = walk.filter(Files::isRegularFile).filter(p -> !hidden(root.relativize(p))).toList();
      if (paths.size() > MAX_FILES) {
        throw new BundleReadException("`" + root + "` holds more than " + MAX_FILES + " files; is it the bundle directory?");
      }
      for (Path p : paths) {
        String rel = root.relativize(p).toString().replace('\\', '/');
        if (Files.size(p) > MAX_FILE_BYTES) {
          throw new BundleReadException("`" + rel + "` is larger than " + (MAX_FILE_BYTES >> 20) + " MiB");
        }
        files.put(rel, decode(rel, Files.readAllBytes(p)));
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new BundleReadException("cannot read `" + root + "`: " + e.getMessage());
    }
    return Bundle.of(files);
  }

  private static boolean hidden(Path rel) {
    for (Path part : rel) {
      if (part.toString().startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  private static String decode(String name, byte[] bytes) throws BundleReadException {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new BundleReadException("`" + name + "` is not UTF-8 text");
    }
  }
}
