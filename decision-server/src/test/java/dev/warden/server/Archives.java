package dev.warden.server;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Writes a bundle folder as a `.tar.gz`, for tests of archive bundles. */
final class Archives {
  private Archives() {}

  static void tarGz(Path folder, Path archive) throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(folder)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    try (OutputStream out = Files.newOutputStream(archive);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(out))) {
      for (Path f : files) {
        TarArchiveEntry e = new TarArchiveEntry(folder.relativize(f).toString());
        e.setSize(Files.size(f));
        tar.putArchiveEntry(e);
        tar.write(Files.readAllBytes(f));
        tar.closeArchiveEntry();
      }
    }
  }
}
