package dev.warden.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.policy.source.Bundle;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writing archives (deterministic bytes), reading a directory to build from, and the bomb bound. */
class BundleArchiveWriteTest {
  static final Path SHOP = Path.of("policies", "shop");

  @TempDir Path tmp;

  private static byte[] write(Bundle bundle, byte[] signatures) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BundleArchive.write(bundle, signatures, out);
    return out.toByteArray();
  }

  @Test
  void theSameBundleGivesTheSameBytesWhateverTheFileTimes() throws Exception {
    Path copy = tmp.resolve("shop");
    copyTree(SHOP, copy);
    byte[] first = write(BundleDirectory.readStrict(copy).bundle(), null);
    try (var files = Files.walk(copy)) {
      for (Path p : files.toList()) {
        Files.setLastModifiedTime(p, FileTime.fromMillis(1_700_000_000_000L));
      }
    }
    byte[] second = write(BundleDirectory.readStrict(copy).bundle(), null);
    assertThat(second).isEqualTo(first);
    Bundle back = BundleArchive.read(new ByteArrayInputStream(first), "shop.tar.gz");
    assertThat(back.digest()).isEqualTo(BundleReader.read(SHOP).digest());
    assertThat(back.paths()).contains("bundle.yaml", "data/orders.json");
  }

  @Test
  void theSignaturesFileIsReadBesideTheBundleNotInIt() throws Exception {
    Bundle shop = BundleReader.read(SHOP);
    byte[] archive = write(shop, "{\"signatures\":[]}\n".getBytes());
    BundleArchive.Signed signed = BundleArchive.readSigned(new ByteArrayInputStream(archive), "a.tar.gz");
    assertThat(signed.bundle().paths()).doesNotContain(BundleSignatures.FILE);
    assertThat(signed.bundle().digest()).isEqualTo(shop.digest());
    assertThat(new String(signed.signatures())).isEqualTo("{\"signatures\":[]}\n");
  }

  @Test
  void buildingRefusesALinkAndLeavesOutHiddenFiles() throws Exception {
    Path dir = tmp.resolve("b");
    Files.createDirectories(dir.resolve(".git"));
    Files.writeString(dir.resolve("a.warden"), "package a\n");
    Files.writeString(dir.resolve(".DS_Store"), "x");
    Files.writeString(dir.resolve(".git/config"), "x");
    BundleDirectory.Strict read = BundleDirectory.readStrict(dir);
    assertThat(read.bundle().paths()).containsExactly("a.warden");
    assertThat(read.skipped()).containsExactlyInAnyOrder(".DS_Store", ".git/");

    Files.writeString(tmp.resolve("secret"), "outside");
    Files.createSymbolicLink(dir.resolve("data.json"), tmp.resolve("secret"));
    assertThatThrownBy(() -> BundleDirectory.readStrict(dir))
        .hasMessage("`data.json` is a symbolic link; a bundle archive holds only regular files"
            + " (copy the file it points to into the bundle)");
  }

  @Test
  void aBundleDirectoryReachedThroughALinkIsBuilt() throws Exception {
    Path real = Files.createDirectories(tmp.resolve("real"));
    Files.writeString(real.resolve("a.warden"), "package a\n");
    Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
    assertThat(BundleDirectory.readStrict(link).bundle().paths()).containsExactly("a.warden");
  }

  @Test
  void aSignaturesFileLargerThanOneMibIsRefused() throws Exception {
    byte[] archive = write(BundleReader.read(SHOP), new byte[BundleArchive.MAX_SIGNATURES_BYTES + 1]);
    assertThatThrownBy(() -> BundleArchive.readSigned(new ByteArrayInputStream(archive), "s.tar.gz"))
        .hasMessage("`s.tar.gz`: `.signatures.json` is larger than 1 MiB");
  }

  @Test
  void aGzipBombIsRefusedByItsRatio() throws Exception {
    // Four files of 10 MiB of zeros: each under the 16 MiB bound, all under 128 MiB, but the
    // archive is about 40 KiB, a ratio near 1,000.
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(out))) {
      byte[] chunk = new byte[1 << 20];
      for (int i = 0; i < 4; i++) {
        TarArchiveEntry e = new TarArchiveEntry("data/zeros" + i + ".json");
        e.setSize(10L << 20);
        tar.putArchiveEntry(e);
        for (int j = 0; j < 10; j++) {
          tar.write(chunk);
        }
        tar.closeArchiveEntry();
      }
    }
    byte[] bomb = out.toByteArray();
    assertThat(bomb.length).isLessThan(200_000);
    assertThatThrownBy(() -> BundleArchive.read(new ByteArrayInputStream(bomb), "bomb.tar.gz"))
        .isInstanceOf(BundleReadException.class)
        .hasMessageStartingWith("`bomb.tar.gz` expands more than 100 times (")
        .hasMessageEndingWith("so far): refused as a possible archive bomb");
  }

  @Test
  void aSmallRepetitiveBundleIsNotABomb() throws Exception {
    // 4 MiB of zeros compresses more than 100 times but stays under the 8 MiB a bundle may
    // always expand to.
    Bundle zeros = Bundle.ofBytes(java.util.Map.of("a.warden", "package a\n".getBytes(),
        "data/z.json", new byte[4 << 20]));
    assertThat(BundleArchive.read(new ByteArrayInputStream(write(zeros, null)), "z.tar.gz").size("data/z.json"))
        .isEqualTo(4 << 20);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (var files = Files.walk(from)) {
      for (Path p : files.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
