package dev.warden.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.bundle.BundleArchive;
import dev.warden.bundle.BundleReadException;
import dev.warden.bundle.BundleReader;
import dev.warden.policy.source.Bundle;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The last activated bundle, kept in `reload.persist_dir` so that a restart while the source is
 * unreachable still has something to serve: `last-bundle.tar.gz` (the bundle's files and its
 * `.signatures.json`, written by {@link BundleArchive#write}, so it is verified again when read)
 * and `last-bundle.json` (revision, digest, activated at, source) for operators.
 *
 * <p>Invariant: each file is replaced whole (a temporary file in the same directory, forced to
 * disk, then one atomic rename), so a crash leaves the old file or the new one, never half of
 * one. The archive is what is served; the JSON only describes it.
 */
final class BundlePersistence {
  static final String ARCHIVE = "last-bundle.tar.gz";
  static final String SIDECAR = "last-bundle.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;

  BundlePersistence(Path dir) {
    this.dir = dir;
  }

  Path archive() {
    return dir.resolve(ARCHIVE);
  }

  boolean exists() {
    return Files.isRegularFile(archive());
  }

  /** Reads the persisted bundle with its signatures, under the same limits as any archive. */
  BundleArchive.Signed read() throws BundleReadException {
    return BundleReader.readSigned(archive());
  }

  /**
   * When the persisted bundle was activated from its source (`last-bundle.json`), or null when
   * that file is missing or unreadable: how stale the persisted bundle is.
   */
  Instant activatedAt() {
    try {
      String at = JSON.readTree(dir.resolve(SIDECAR).toFile()).path("activated_at").asText(null);
      return at == null ? null : Instant.parse(at);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Replaces the persisted bundle with {@code bundle}, just activated from {@code source}. */
  void save(Bundle bundle, byte[] signatures, String revision, Instant activatedAt, String source)
      throws IOException {
    Files.createDirectories(dir);
    replace(archive(), out -> BundleArchive.write(bundle, signatures, out));
    Map<String, Object> about = new LinkedHashMap<>();
    about.put("revision", revision);
    about.put("digest", "sha256:" + bundle.digest());
    about.put("activated_at", activatedAt.toString());
    about.put("source", source);
    byte[] json = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(about);
    replace(dir.resolve(SIDECAR), out -> out.write(json));
  }

  private interface Writer {
    void write(OutputStream out) throws IOException;
  }

  private void replace(Path target, Writer writer) throws IOException {
    Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        OutputStream out = Channels.newOutputStream(ch);
        writer.write(out);
        out.flush();
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
