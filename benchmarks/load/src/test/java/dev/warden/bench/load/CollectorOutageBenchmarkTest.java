package dev.warden.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The collector-outage benchmark, briefly: a real sidecar whose collector is down, open-loop Checks, the spool. */
class CollectorOutageBenchmarkTest {
  private static final Path BUNDLE = Path.of("../../policies/shop");
  @TempDir Path dir;

  @Test
  void aShortOutageSpoolsEveryRecordAndSamplesTheHeap() throws Exception {
    CollectorOutageBenchmark.Options options = new CollectorOutageBenchmark.Options(50, Duration.ofSeconds(4),
        Duration.ofSeconds(2), true, 64L << 20, 1024, List.of("-XX:TieredStopAtLevel=1"), BUNDLE, 256, 7, true, Duration.ofSeconds(1));
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
    List<CollectorOutageBenchmark.Sample> samples = CollectorOutageBenchmark.run(options, out);
    CollectorOutageBenchmark.report(options, samples, out);

    assertThat(samples).hasSizeBetween(2, 3);
    CollectorOutageBenchmark.Sample end = samples.get(samples.size() - 1);
    assertThat(end.load().mismatches()).isZero();
    assertThat(end.state("delivered")).isZero();
    assertThat(end.state("dropped")).isZero();
    assertThat(end.state("produced")).isPositive();
    assertThat(end.state("spooled") + end.buffered()).isEqualTo(end.state("produced"));
    assertThat(end.spoolBytes()).isPositive();
    assertThat(log.toString(StandardCharsets.UTF_8)).contains("sums, up to records in flight at the scrape");
  }

  @Test
  void theGcLogGivesTheLargestHeapAfterACollectionSinceTheLastRead() throws Exception {
    Path gc = dir.resolve("gc.log");
    Files.writeString(gc, String.join("\n",
        "[0.010s][info][gc] Using G1",
        "[1.234s][info][gc] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 24M->6M(256M) 3.210ms",
        "[2.500s][info][gc] GC(1) Pause Young (Normal) (G1 Evacuation Pause) 30M->9M(256M) 2.000ms",
        "[3.000s][info][gc] GC(2) Pause Young (Allocation Failure) 40M->7M(128M) 1.000ms", ""));
    assertThat(CollectorOutageBenchmark.heapAfterGc(gc, 0)).containsExactly(9, 128, 3, 4);
    assertThat(CollectorOutageBenchmark.heapAfterGc(gc, 3)).containsExactly(7, 128, 1, 4);
    assertThat(CollectorOutageBenchmark.heapAfterGc(gc, 4)).containsExactly(-1, -1, 0, 4);
  }

  @Test
  void optionsAreReadWithHumanErrors() {
    CollectorOutageBenchmark.Options o = CollectorOutageBenchmark.parse(new String[] {"--rate", "300", "--duration=2m",
        "--spool", "off"});
    assertThat(o.rate()).isEqualTo(300);
    assertThat(o.duration()).isEqualTo(Duration.ofMinutes(2));
    assertThat(o.spool()).isFalse();
    assertThat(CollectorOutageBenchmark.parse(new String[] {"--help"})).isNull();
    assertThatThrownBy(() -> CollectorOutageBenchmark.parse(new String[] {"--spool", "maybe"}))
        .hasMessageContaining("`--spool` must be on or off");
    assertThatThrownBy(() -> CollectorOutageBenchmark.parse(new String[] {"--bogus", "1"}))
        .hasMessageContaining("unknown option `--bogus`");
  }
}
