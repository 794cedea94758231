package dev.warden.bundle;

import dev.warden.policy.source.Bundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a bundle from where it is kept: a directory ({@link BundleDirectory}) or a `.tar.gz`
 * archive ({@link BundleArchive}). Files are kept as bytes; decoding them, and saying where one
 * is not UTF-8, is the load stage's job. The door the CLI, the sidecar and embedders share:
 *
 * <pre>{@code
 * PolicyEngine shop = PolicyEngine.compile(BundleReader.read(Path.of("policies/shop"))).engine();
 * }</pre>
 *
 * <p>Both readers share the same bounds, so that a wrong path such as `/` or a hostile archive
 * fails fast with a clear message.
 */
public final class BundleReader {
  /** The most files a bundle may hold. */
  public static final int MAX_FILES = 10_000;
  /** The largest single file, in bytes. */
  public static final long MAX_FILE_BYTES = 16L << 20;
  /** The most bytes all files together may hold. */
  public static final long MAX_TOTAL_BYTES = 128L << 20;
  /** The most path segments of a file below the bundle root (`a/b/c.warden` has 3). */
  public static final int MAX_DEPTH = 16;

  private BundleReader() {}

  /** Reads the directory or `.tar.gz` / `.tgz` archive at {@code path}. */
  public static Bundle read(Path path) throws BundleReadException {
    if (Files.isDirectory(path)) {
      return BundleDirectory.read(path);
    }
    if (Files.isRegularFile(path) && isArchive(path)) {
      return BundleArchive.read(path);
    }
    throw new BundleReadException("`" + path + "` is not a directory or a `.tar.gz` archive"
        + (Files.exists(path) ? "" : ": it does not exist"));
  }

  /**
   * Reads a bundle with its signatures: an archive's `.signatures.json` ({@link
   * BundleArchive#readSigned}), or a directory's `.signatures.json` file at its root (hidden, so
   * not part of the bundle nor of its digest); null signatures when there is none.
   */
  public static BundleArchive.Signed readSigned(Path path) throws BundleReadException {
    if (Files.isDirectory(path)) {
      Bundle bundle = BundleDirectory.read(path);
      Path sig = path.resolve(BundleSignatures.FILE);
      try {
        if (!Files.isRegularFile(sig)) {
          return new BundleArchive.Signed(bundle, null);
        }
        if (Files.size(sig) > BundleArchive.MAX_SIGNATURES_BYTES) {
          throw new BundleReadException("`" + sig + "` is larger than " + mib(BundleArchive.MAX_SIGNATURES_BYTES));
        }
        return new BundleArchive.Signed(bundle, Files.readAllBytes(sig));
      } catch (IOException e) {
        throw new BundleReadException("cannot read `" + sig + "`: " + e.getMessage());
      }
    }
    if (Files.isRegularFile(path) && isArchive(path)) {
      return BundleArchive.readSigned(path);
    }
    throw new BundleReadException("`" + path + "` is not a directory or a `.tar.gz` archive"
        + (Files.exists(path) ? "" : ": it does not exist"));
  }

  static boolean isArchive(Path path) {
    String name = path.getFileName() == null ? "" : path.getFileName().toString();
    return name.endsWith(".tar.gz") || name.endsWith(".tgz");
  }

  static String mib(long bytes) {
    return (bytes >> 20) + " MiB";
  }
}
