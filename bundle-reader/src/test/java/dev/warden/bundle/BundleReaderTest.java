package dev.warden.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.policy.source.Bundle;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading bundles from directories and `.tar.gz` archives, and the archive's strict rules. */
class BundleReaderTest {
  static final Path SHOP = Path.of("policies", "shop");

  @TempDir Path tmp;

  /** A tar.gz of entries: (name, content) pairs; a content of null makes the entry by {@code kind}. */
  private static byte[] tarGz(Entry... entries) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(out))) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      for (Entry e : entries) {
        // preserveAbsolutePath: write names as given, `/` and drive letters included.
        TarArchiveEntry t = new TarArchiveEntry(e.name, e.kind, true);
        if (e.kind == TarConstants.LF_SYMLINK || e.kind == TarConstants.LF_LINK) {
          t.setLinkName("/etc/passwd");
        }
        byte[] data = e.data == null ? new byte[0] : e.data;
        t.setSize(e.kind == TarConstants.LF_NORMAL ? data.length : 0);
        tar.putArchiveEntry(t);
        if (e.kind == TarConstants.LF_NORMAL) {
          tar.write(data);
        }
        tar.closeArchiveEntry();
      }
    }
    return out.toByteArray();
  }

  record Entry(String name, byte[] data, byte kind) {}

  private static Entry file(String name, String text) {
    return new Entry(name, text.getBytes(StandardCharsets.UTF_8), TarConstants.LF_NORMAL);
  }

  private static Bundle read(byte[] archive) throws BundleReadException {
    return BundleArchive.read(new ByteArrayInputStream(archive), "b.tar.gz");
  }

  @Test
  void readsTheExampleDirectoryAsBytes() throws Exception {
    Bundle b = BundleReader.read(SHOP);
    assertThat(b.paths()).contains("orders.warden", "bundle.yaml", "data/orders.json");
    assertThat(b.bytes("orders.warden")).isEqualTo(Files.readAllBytes(SHOP.resolve("orders.warden")));
  }

  @Test
  void readsAnArchiveTheWayItReadsTheDirectory() throws Exception {
    Bundle dir = BundleReader.read(SHOP);
    Entry[] entries = dir.paths().stream()
        .map(p -> new Entry("./" + p, dir.bytes(p), TarConstants.LF_NORMAL)).toArray(Entry[]::new);
    Path archive = tmp.resolve("shop.tar.gz");
    Files.write(archive, tarGz(entries));
    Bundle fromArchive = BundleReader.read(archive);
    assertThat(fromArchive.paths()).isEqualTo(dir.paths());
    assertThat(fromArchive.digest()).isEqualTo(dir.digest());
  }

  @Test
  void foldersLeadingDotSlashAndHiddenFilesAreNotFiles() throws Exception {
    Bundle b = read(tarGz(new Entry("./", null, TarConstants.LF_DIR), new Entry("./data/", null, TarConstants.LF_DIR),
        file("./data/x.json", "{}"), file("p.warden", "package p\n"), file("._p.warden", "junk"),
        file(".git/config", "[core]")));
    assertThat(b.paths()).containsExactly("data/x.json", "p.warden");
  }

  @Test
  void refusesNamesThatLeaveTheBundle() {
    for (String bad : new String[] {"../p.warden", "a/../../p.warden", "/etc/p.warden", "C:/p.warden", "a\\b.warden",
        "a//b.warden"}) {
      assertThatThrownBy(() -> read(tarGz(file(bad, "x")))).as(bad)
          .isInstanceOf(BundleReadException.class).hasMessageStartingWith("`b.tar.gz`: entry `" + bad + "` ");
    }
    assertThatThrownBy(() -> read(tarGz(file("../p.warden", "x")))).hasMessage("`b.tar.gz`: entry `../p.warden` leaves the bundle (`..`)");
    assertThatThrownBy(() -> read(tarGz(file("a/".repeat(16) + "p.warden", "x")))).hasMessageContaining("more than 16 folders deep");
  }

  @Test
  void refusesLinksDevicesAndPipes() {
    assertThatThrownBy(() -> read(tarGz(new Entry("p.warden", null, TarConstants.LF_SYMLINK))))
        .hasMessage("`b.tar.gz`: `p.warden` is a symbolic link (to `/etc/passwd`); a bundle archive holds only regular files and folders");
    assertThatThrownBy(() -> read(tarGz(new Entry("p.warden", null, TarConstants.LF_LINK))))
        .hasMessageContaining("`p.warden` is a hard link");
    assertThatThrownBy(() -> read(tarGz(new Entry("tty", null, TarConstants.LF_CHR)))).hasMessageContaining("`tty` is a device");
    assertThatThrownBy(() -> read(tarGz(new Entry("fifo", null, TarConstants.LF_FIFO)))).hasMessageContaining("`fifo` is a named pipe");
  }

  @Test
  void refusesTheSameNameTwice() {
    assertThatThrownBy(() -> read(tarGz(file("p.warden", "a"), file("./p.warden", "b"))))
        .hasMessage("`b.tar.gz` holds `p.warden` twice");
  }

  @Test
  void boundsFilesSizesAndTheTotalAsItReads() throws Exception {
    byte[] big = new byte[(int) BundleReader.MAX_FILE_BYTES + 1];
    assertThatThrownBy(() -> read(tarGz(new Entry("data/big.json", big, TarConstants.LF_NORMAL))))
        .hasMessage("`b.tar.gz`: `data/big.json` is larger than 16 MiB");
    byte[] large = new byte[(int) BundleReader.MAX_FILE_BYTES];
    Entry[] bomb = new Entry[(int) (BundleReader.MAX_TOTAL_BYTES / BundleReader.MAX_FILE_BYTES) + 1];
    Arrays.setAll(bomb, i -> new Entry("data/d" + i + ".json", large, TarConstants.LF_NORMAL));
    byte[] compressed = tarGz(bomb);
    assertThat(compressed.length).as("a small archive that expands past the total").isLessThan(1 << 20);
    // Zeros compress about 1,000 times: the ratio bound stops this one at 8 MiB, long before the
    // 128 MiB total, which stays the bound for incompressible files.
    assertThatThrownBy(() -> read(compressed)).hasMessageStartingWith("`b.tar.gz` expands more than 100 times (8 MiB");
    Entry[] many = new Entry[BundleReader.MAX_FILES + 1];
    Arrays.setAll(many, i -> file("f" + i + ".txt", ""));
    assertThatThrownBy(() -> read(tarGz(many))).hasMessage("`b.tar.gz` holds more than 10000 files");
  }

  @Test
  void refusesWhatIsNotATarGz() throws Exception {
    assertThatThrownBy(() -> read("package p\n".getBytes(StandardCharsets.UTF_8)))
        .hasMessageStartingWith("`b.tar.gz` is not a readable `.tar.gz` archive: ");
    Path notArchive = Files.writeString(tmp.resolve("p.warden"), "package p\n");
    assertThatThrownBy(() -> BundleReader.read(notArchive))
        .hasMessage("`" + notArchive + "` is not a directory or a `.tar.gz` archive");
    assertThatThrownBy(() -> BundleReader.read(tmp.resolve("gone")))
        .hasMessage("`" + tmp.resolve("gone") + "` is not a directory or a `.tar.gz` archive: it does not exist");
  }

  @Test
  void keepsBytesThatAreNotUtf8ForTheLoadStageToReport() throws Exception {
    Files.write(tmp.resolve("p.warden"), "// caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
    assertThat(BundleReader.read(tmp).bytes("p.warden")).contains((byte) 0xE9);
  }
}
