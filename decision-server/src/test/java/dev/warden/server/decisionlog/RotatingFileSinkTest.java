package dev.warden.server.decisionlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RotatingFileSinkTest {
  @TempDir
  Path dir;

  @Test
  void rotatesAtMaxBytesKeepsAtMostMaxFilesAndNeverSplitsALine() throws IOException {
    long maxBytes = 200;
    int maxFiles = 3;
    Path file = dir.resolve("logs/nested/decisions.log");
    List<String> written = new ArrayList<>();
    Random random = new Random(42);
    try (RotatingFileSink sink = new RotatingFileSink(file, maxBytes, maxFiles)) {
      assertThat(sink.describe()).isEqualTo("file " + file.toAbsolutePath());
      for (int batch = 0; batch < 60; batch++) {
        List<byte[]> lines = new ArrayList<>();
        for (int i = random.nextInt(5); i >= 0; i--) {
          String line = "{\"n\":" + written.size() + ",\"pad\":\"" + "x".repeat(random.nextInt(40)) + "\"}";
          written.add(line);
          lines.add(line.getBytes(StandardCharsets.UTF_8));
        }
        sink.write(lines);
        sink.flush();
        assertFilesBounded(file, maxBytes, maxFiles);
      }
    }

    List<String> readBack = readBack(file, maxFiles);
    assertThat(readBack).isNotEmpty();
    assertThat(written).endsWith(readBack.toArray(String[]::new));
    assertThat(Files.exists(file.resolveSibling("decisions.log." + maxFiles)))
        .as("rotated often enough to delete the oldest").isTrue();
    assertThat(readBack.size()).as("lines kept").isLessThan(written.size());
  }

  @Test
  void appendsToAnExistingFileCountingItsSize() throws IOException {
    Path file = dir.resolve("decisions.log");
    try (RotatingFileSink sink = new RotatingFileSink(file, 10, 2)) {
      sink.write(List.of(bytes("aaaa")));
    }
    try (RotatingFileSink sink = new RotatingFileSink(file, 10, 2)) {
      sink.write(List.of(bytes("bbbb"), bytes("cccc")));
    }
    assertThat(Files.readString(file.resolveSibling("decisions.log.1"))).isEqualTo("aaaa\nbbbb\n");
    assertThat(Files.readString(file)).isEqualTo("cccc\n");
  }

  @Test
  void aLineLongerThanMaxBytesIsWrittenWholeAloneInItsFile() throws IOException {
    Path file = dir.resolve("decisions.log");
    try (RotatingFileSink sink = new RotatingFileSink(file, 10, 1)) {
      sink.write(List.of(bytes("short"), bytes("a line far longer than ten bytes"), bytes("next")));
    }
    assertThat(Files.readString(file.resolveSibling("decisions.log.1"))).isEqualTo("a line far longer than ten bytes\n");
    assertThat(Files.readString(file)).isEqualTo("next\n");
    assertThat(Files.exists(file.resolveSibling("decisions.log.2"))).isFalse();
  }

  @Test
  void aRemovedFolderIsCreatedAgainAtTheNextRotation() throws IOException {
    Path folder = dir.resolve("logs");
    Path file = folder.resolve("decisions.log");
    try (RotatingFileSink sink = new RotatingFileSink(file, 10, 2)) {
      sink.write(List.of(bytes("aaaa")));
      sink.flush();
      Files.delete(file);
      Files.delete(folder); // the next rotation finds nothing to rename, and no folder to start in
      sink.write(List.of(bytes("bbbbbbbb")));
      sink.flush();
    }
    assertThat(Files.readString(file)).isEqualTo("bbbbbbbb\n");
  }

  private static void assertFilesBounded(Path file, long maxBytes, int maxFiles) throws IOException {
    try (Stream<Path> files = Files.list(file.getParent())) {
      List<Path> all = files.toList();
      assertThat(all).hasSizeLessThanOrEqualTo(maxFiles + 1);
      long total = 0;
      for (Path f : all) {
        byte[] content = Files.readAllBytes(f);
        assertThat((long) content.length).as("size of %s", f).isLessThanOrEqualTo(maxBytes);
        if (content.length > 0) {
          assertThat(content[content.length - 1]).as("%s ends with a whole line", f).isEqualTo((byte) '\n');
        }
        total += content.length;
      }
      assertThat(total).isLessThanOrEqualTo((maxFiles + 1) * maxBytes);
    }
  }

  private static List<String> readBack(Path file, int maxFiles) throws IOException {
    List<String> lines = new ArrayList<>();
    for (int n = maxFiles; n >= 1; n--) {
      Path rotated = file.resolveSibling(file.getFileName() + "." + n);
      if (Files.exists(rotated)) {
        lines.addAll(Files.readAllLines(rotated));
      }
    }
    lines.addAll(Files.readAllLines(file));
    return lines;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aFileIsRotatedByAgeTooButNeverWhenEmpty() throws Exception {
    Path file = dir.resolve("age.log");
    long[] now = {0};
    try (RotatingFileSink sink = new RotatingFileSink(file, 1 << 20, 3, java.time.Duration.ofMinutes(10),
        () -> now[0])) {
      sink.write(List.of("a".getBytes(StandardCharsets.UTF_8)));
      now[0] += java.time.Duration.ofMinutes(9).toNanos();
      sink.write(List.of("b".getBytes(StandardCharsets.UTF_8)));
      now[0] += java.time.Duration.ofMinutes(1).toNanos();
      sink.write(List.of("c".getBytes(StandardCharsets.UTF_8)));
      sink.flush();
      assertThat(Files.readAllLines(sink.rotated(1))).containsExactly("a", "b");
      assertThat(Files.readAllLines(file)).containsExactly("c");
      // The new file's age counts from its opening; an empty file is never rotated.
      now[0] += java.time.Duration.ofMinutes(9).toNanos();
      sink.write(List.of("d".getBytes(StandardCharsets.UTF_8)));
      sink.flush();
      assertThat(Files.readAllLines(file)).containsExactly("c", "d");
      assertThat(Files.exists(sink.rotated(2))).isFalse();
    }
    assertThatThrownBy(() -> new RotatingFileSink(file, 10, 1, java.time.Duration.ofSeconds(-1), System::nanoTime))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
