package dev.warden.server.decisionlog;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Whatever the limits and the lines, rotation keeps files bounded, lines whole and their order. */
class RotatingFileSinkPropertiesTest {
  @Property(tries = 60)
  void filesStayBoundedAndReadBackInOrder(@ForAll @IntRange(min = 1, max = 300) int maxBytes,
      @ForAll @IntRange(min = 0, max = 4) int maxFiles,
      @ForAll @Size(max = 40) List<@Size(max = 8) List<@IntRange(min = 0, max = 120) Integer>> batches)
      throws IOException {
    Path dir = Files.createTempDirectory("rotating-sink");
    try {
      Path file = dir.resolve("decisions.log");
      List<String> written = new ArrayList<>();
      try (RotatingFileSink sink = new RotatingFileSink(file, maxBytes, maxFiles)) {
        for (List<Integer> batch : batches) {
          List<byte[]> lines = new ArrayList<>();
          for (int length : batch) {
            String line = (written.size() + "#" + "x".repeat(length));
            written.add(line);
            lines.add(line.getBytes(StandardCharsets.UTF_8));
          }
          sink.write(lines);
        }
      }

      List<Path> files;
      try (Stream<Path> listed = Files.list(dir)) {
        files = listed.toList();
      }
      assertThat(files).hasSizeLessThanOrEqualTo(maxFiles + 1);
      List<String> readBack = new ArrayList<>();
      for (int n = maxFiles; n >= 0; n--) {
        Path f = n == 0 ? file : dir.resolve("decisions.log." + n);
        if (!Files.exists(f)) {
          continue;
        }
        byte[] content = Files.readAllBytes(f);
        List<String> lines = Files.readAllLines(f);
        assertThat(content.length <= maxBytes || lines.size() == 1)
            .as("%s holds %d bytes in %d lines, limit %d", f.getFileName(), content.length, lines.size(), maxBytes)
            .isTrue();
        if (content.length > 0) {
          assertThat(content[content.length - 1]).isEqualTo((byte) '\n');
        }
        readBack.addAll(lines);
      }
      assertThat(written).endsWith(readBack.toArray(String[]::new));
      if (!written.isEmpty()) {
        assertThat(readBack).as("the newest line is kept").endsWith(written.get(written.size() - 1));
      }
    } finally {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
