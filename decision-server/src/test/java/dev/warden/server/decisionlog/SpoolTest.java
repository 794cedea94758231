package dev.warden.server.decisionlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spool's segment format and folder: only whole records come back, in order, bounded, once. */
class SpoolTest {
  @TempDir Path dir;

  /** Random records, the segment cut at a random offset (a crash mid-write): a prefix of whole records comes back. */
  @Property(tries = 300)
  void aSegmentCutAnywhereGivesBackExactlyTheWholeRecordsBeforeTheCut(
      @ForAll @Size(max = 30) List<@Size(max = 200) List<@IntRange(min = 0, max = 255) Integer>> records,
      @ForAll @IntRange(min = 0, max = 100_000) int cutAt, @ForAll boolean flipAByte) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SpoolSegment.writeHeader(out);
    List<byte[]> written = new ArrayList<>();
    List<Integer> ends = new ArrayList<>();
    for (List<Integer> r : records) {
      byte[] b = new byte[r.size()];
      for (int i = 0; i < b.length; i++) {
        b[i] = (byte) (int) r.get(i);
      }
      SpoolSegment.writeRecord(out, b);
      written.add(b);
      ends.add(out.size());
    }
    byte[] whole = out.toByteArray();
    int cut = Math.min(cutAt, whole.length);
    byte[] bytes = Arrays.copyOf(whole, cut);
    int damagedAt = Integer.MAX_VALUE;
    if (flipAByte && cut > SpoolSegment.HEADER_BYTES) {
      damagedAt = SpoolSegment.HEADER_BYTES + cutAt % (cut - SpoolSegment.HEADER_BYTES);
      bytes[damagedAt] ^= 0x5a;
    }

    SpoolSegment.Read read = SpoolSegment.read(bytes);

    int expected = 0;
    while (expected < ends.size() && ends.get(expected) <= cut && ends.get(expected) <= damagedAt) {
      expected++;
    }
    assertThat(read.records().size()).isEqualTo(cut < SpoolSegment.HEADER_BYTES ? 0 : expected);
    for (int i = 0; i < read.records().size(); i++) {
      assertThat(read.records().get(i)).isEqualTo(written.get(i));
    }
    int kept = read.records().isEmpty() ? (cut < SpoolSegment.HEADER_BYTES ? 0 : SpoolSegment.HEADER_BYTES)
        : ends.get(read.records().size() - 1);
    assertThat(read.corruptBytes()).isEqualTo(cut - kept);
  }

  @Test
  void aSpoolReopenedAfterACrashMidWriteKeepsItsWholeRecordsInOrderAndCountsTheCutTail() throws IOException {
    Spool spool = Spool.open(dir, 1 << 20, 10, 1 << 20);
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      lines.add("{\"decisionId\":\"d-" + i + "\"}");
    }
    assertThat(spool.append(bytes(lines))).isEqualTo(25);
    spool.close();
    Path last = segments().get(segments().size() - 1);
    long size = Files.size(last);
    try (var ch = java.nio.channels.FileChannel.open(last, java.nio.file.StandardOpenOption.WRITE)) {
      ch.truncate(size - 3); // the last record loses its end
    }

    Spool reopened = Spool.open(dir, 1 << 20, 10, 1 << 20);
    assertThat(reopened.records()).isEqualTo(24);
    assertThat(reopened.corruptTails()).isEqualTo(1);
    assertThat(reopened.append(bytes(List.of("{\"decisionId\":\"new\"}")))).isEqualTo(1);
    List<String> back = new ArrayList<>();
    while (!reopened.oldest().isEmpty()) {
      reopened.oldest().forEach(b -> back.add(new String(b, StandardCharsets.UTF_8)));
      reopened.remove();
    }
    List<String> expected = new ArrayList<>(lines.subList(0, 24));
    expected.add("{\"decisionId\":\"new\"}");
    assertThat(back).containsExactlyElementsOf(expected);
    assertThat(reopened.records()).isZero();
    assertThat(reopened.bytes()).isZero();
    assertThat(segments()).isEmpty();
    reopened.close();
  }

  @Test
  void oneProcessAtATimeAndTheBoundHolds() throws IOException {
    Spool spool = Spool.open(dir, 1_000, 4, 1 << 20);
    assertThatThrownBy(() -> Spool.open(dir, 1_000, 4, 1 << 20)).isInstanceOf(IOException.class)
        .hasMessageContaining("in use by another Warden process");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      lines.add("x".repeat(40));
    }
    int taken = spool.append(bytes(lines));
    assertThat(taken).isBetween(1, 99);
    assertThat(spool.bytes()).isLessThanOrEqualTo(1_000).isEqualTo(totalBytes());
    assertThat(spool.append(bytes(List.of("x".repeat(40))))).isZero();
    spool.close();
  }

  private static List<byte[]> bytes(List<String> lines) {
    return lines.stream().map(l -> l.getBytes(StandardCharsets.UTF_8)).toList();
  }

  private List<Path> segments() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".seg")).sorted().toList();
    }
  }

  private long totalBytes() throws IOException {
    long t = 0;
    for (Path p : segments()) {
      t += Files.size(p);
    }
    return t;
  }
}
