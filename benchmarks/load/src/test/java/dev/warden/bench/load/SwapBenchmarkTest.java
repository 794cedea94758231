package dev.warden.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The swap benchmark end to end, briefly: a real sidecar process, open-loop Checks, real swaps. */
class SwapBenchmarkTest {
  private static final Path BUNDLE = Path.of("../../policies/shop");

  @Test
  void swapsUnderOpenLoopLoadAnswerEveryCheckAndShowBothRevisions() throws Exception {
    // C1 only in the sidecar: it starts sooner, and this test times nothing.
    SwapBenchmark.Options options = new SwapBenchmark.Options(100, 21, 2, Duration.ofSeconds(1), Duration.ZERO,
        Duration.ofSeconds(60), Duration.ofSeconds(1), 4, List.of("-XX:TieredStopAtLevel=1"), BUNDLE, 256, 7);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    List<SwapBenchmark.Phase> phases = SwapBenchmark.run(options, new PrintStream(log, true, StandardCharsets.UTF_8));

    assertThat(phases).extracting(p -> p.round() + " " + p.name())
        .containsExactly("1 baseline", "1 swaps", "2 baseline", "2 swaps");
    long[] byRevision = new long[3];
    for (SwapBenchmark.Phase p : phases) {
      OpenLoop.Result r = p.load();
      assertThat(r.sent()).isPositive();
      assertThat(r.answered()).isEqualTo(r.sent());
      assertThat(r.failed()).isZero();
      assertThat(r.mismatches()).isZero();
      assertThat(r.latency().getTotalCount()).isEqualTo(r.answered());
      assertThat(p.serverCpuNanos()).isPositive();
      assertThat(p.clientCpuNanos()).isPositive();
      if (java.nio.file.Files.isReadable(Path.of("/proc/stat"))) {
        assertThat(p.machineCpuNanos()).isPositive();
        assertThat(p.othersShare()).matches("\\d+%");
      }
      for (int i = 0; i < 3; i++) {
        byRevision[i] += r.revisions()[i];
      }
      if (p.name().equals("swaps")) {
        // 21 swaps shared out over 2 rounds: 11, then 10.
        int share = p.round() == 1 ? 11 : 10;
        assertThat(p.swaps().done()).isEqualTo(share);
        assertThat(p.swaps().latency().getTotalCount()).isEqualTo(share);
      } else {
        assertThat(p.swaps()).isNull();
        // Without swaps only one revision answers: the one active.
        assertThat(r.revisions()[1] == 0 || r.revisions()[2] == 0).isTrue();
      }
    }
    // Round 1's baseline runs after the 4 warm-up swaps (revision 1 again), round 2's after 15: revision 2.
    assertThat(phases.get(0).load().revisions()[1]).isPositive();
    assertThat(phases.get(2).load().revisions()[2]).isPositive();
    assertThat(byRevision[1]).isPositive();
    assertThat(byRevision[2]).isPositive();

    ByteArrayOutputStream table = new ByteArrayOutputStream();
    SwapBenchmark.report(options, phases, new PrintStream(table, true, StandardCharsets.UTF_8));
    assertThat(table.toString(StandardCharsets.UTF_8)).contains("| 2 | swaps |").contains("p99 swaps/baseline by round = ")
        .contains("median");
    assertThat(SwapBenchmark.ratios(phases)).hasSize(2).allSatisfy(r -> assertThat(r).isPositive());
  }

  @Test
  void parsesTheCommandLine() {
    SwapBenchmark.Options o = SwapBenchmark.parse(new String[] {"--rate", "600", "--swaps=1000", "--rounds", "3",
        "--baseline", "30s", "--swap-interval", "50ms", "--warmup-swaps", "0", "--server-jvm-args", "-Xmx512m -Xlog:gc"});
    assertThat(o.rate()).isEqualTo(600);
    assertThat(o.swaps()).isEqualTo(1000);
    assertThat(o.rounds()).isEqualTo(3);
    assertThat(o.baseline()).isEqualTo(Duration.ofSeconds(30));
    assertThat(o.swapInterval()).isEqualTo(Duration.ofMillis(50));
    assertThat(o.warmupSwaps()).isZero();
    assertThat(o.serverJvmArgs()).containsExactly("-Xmx512m", "-Xlog:gc");
    assertThat(SwapBenchmark.parse(new String[] {}).swapInterval()).isEqualTo(Duration.ZERO);
    assertThat(SwapBenchmark.parse(new String[] {"--help"})).isNull();
    assertThatThrownBy(() -> SwapBenchmark.parse(new String[] {"--swaps", "2", "--rounds", "3"}))
        .hasMessageContaining("every round swaps");
    assertThatThrownBy(() -> SwapBenchmark.parse(new String[] {"--rate", "fast"})).hasMessageContaining("found `fast`");
  }
}
