package dev.warden.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.server.ReadBatching;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.DeniedHttpResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The harness end to end, briefly: both servers, each in its own process, as a real run does. */
class LoadBenchmarkTest {
  private static final Path BUNDLE = Path.of("../../policies/shop");

  @Test
  void bothServersAnswerEveryCallCorrectlyUnderLoad() throws Exception {
    // C1 only in the server processes: they start sooner, and this test times nothing. The
    // smallest read batch splits most requests across reads, which must not change an answer.
    LoadBenchmark.Options options = new LoadBenchmark.Options(List.of(1, 4), Duration.ofMillis(300),
        Duration.ofMillis(500), 1_000_000, List.of(ServerKind.NOOP, ServerKind.WARDEN), 1, Placement.SEPARATE,
        List.of("-XX:TieredStopAtLevel=1"), ReadBatching.MIN_BYTES, BUNDLE, 256, 7, false);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    List<LoadBenchmark.Measurement> results =
        LoadBenchmark.run(options, new PrintStream(log, true, StandardCharsets.UTF_8));

    assertThat(results).extracting(LoadBenchmark.Measurement::server)
        .containsExactly(ServerKind.NOOP, ServerKind.WARDEN, ServerKind.NOOP, ServerKind.WARDEN);
    for (LoadBenchmark.Measurement m : results) {
      assertThat(m.warmupCalls()).isPositive();
      assertThat(m.result().calls()).isPositive();
      assertThat(m.result().errors()).isZero();
      assertThat(m.result().mismatches()).isZero();
      assertThat(m.result().checksPerSecond()).isPositive();
      assertThat(m.result().latency().getTotalCount()).isEqualTo(m.result().calls());
      // Each server has its own process, so its CPU time is told apart from the client's.
      assertThat(m.serverCpuNanos()).isNotNegative();
      assertThat(m.clientCpuNanos()).isPositive();
      assertThat(m.cpuPerCheck(m.serverCpuNanos())).matches("\\d+\\.\\d");
    }
    ByteArrayOutputStream table = new ByteArrayOutputStream();
    LoadBenchmark.report(options, results, new PrintStream(table, true, StandardCharsets.UTF_8));
    assertThat(table.toString(StandardCharsets.UTF_8))
        .contains("| 4 | 1 | warden |").contains("4 in flight: Warden/no-op throughput = ");
  }

  /**
   * `--identity token`: the claims travel in RS256 bearer tokens, one per caller, which the
   * Warden server process verifies itself (its `identity.jwt.*` settings reach it as WARDEN_*
   * variables); every answer must still be the bundle's.
   */
  @Test
  void wardenVerifiesBearerTokensUnderLoadAndAnswersAlike() throws Exception {
    LoadBenchmark.Options options = new LoadBenchmark.Options(List.of(4), Duration.ofMillis(300),
        Duration.ofMillis(500), 1_000_000, List.of(ServerKind.WARDEN), 1, Placement.SEPARATE,
        List.of("-XX:TieredStopAtLevel=1"), ReadBatching.DEFAULT_BYTES, BUNDLE, 256, 7, true);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    List<LoadBenchmark.Measurement> results =
        LoadBenchmark.run(options, new PrintStream(log, true, StandardCharsets.UTF_8));
    assertThat(log.toString(StandardCharsets.UTF_8)).contains("claims in RS256 bearer tokens Warden verifies");
    assertThat(results).singleElement().satisfies(m -> {
      assertThat(m.result().calls()).isPositive();
      assertThat(m.result().errors()).isZero();
      assertThat(m.result().mismatches()).isZero();
    });
  }

  @Test
  void theIdentityOptionIsMetadataOrToken() {
    assertThat(LoadBenchmark.parse(new String[] {"--identity", "token"}).bearerTokens()).isTrue();
    assertThat(LoadBenchmark.parse(new String[] {}).bearerTokens()).isFalse();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> LoadBenchmark.parse(new String[] {"--identity", "jwt"}))
        .hasMessageContaining("`--identity` must be metadata or token");
  }

  @Test
  void theCallBoundEndsAPhaseBeforeItsTime() throws Exception {
    LoadBenchmark.Options options = new LoadBenchmark.Options(List.of(2), Duration.ofSeconds(30),
        Duration.ofSeconds(30), 50, List.of(ServerKind.NOOP), 1, Placement.SAME, List.of(), 0, BUNDLE, 64, 7, false);
    List<LoadBenchmark.Measurement> results = LoadBenchmark.run(options, new PrintStream(new ByteArrayOutputStream(),
        true, StandardCharsets.UTF_8));

    assertThat(results).singleElement().satisfies(m -> {
      assertThat(m.result().calls()).isEqualTo(50);
      assertThat(m.result().stoppedByCount()).isTrue();
      // A server in the client's process has no CPU time of its own.
      assertThat(m.serverCpuNanos()).isEqualTo(-1);
      assertThat(m.cpuPerCheck(m.serverCpuNanos())).isEqualTo("n/a");
    });
  }

  @Test
  void aWrongAnswerFromWardenIsAMismatch() {
    RequestMix mix = RequestMix.generate(64, 7);
    RequestMix.Case denied = null;
    for (int i = 0; i < mix.size() && denied == null; i++) {
      if (mix.get(i).status() == 404) {
        denied = mix.get(i);
      }
    }
    assertThat(denied).isNotNull();
    CheckResponse answer404 = CheckResponse.newBuilder().setDeniedResponse(DeniedHttpResponse.newBuilder()
        .setStatus(HttpStatus.newBuilder().setCode(StatusCode.NotFound))).build();
    CheckResponse answer403 = CheckResponse.newBuilder().setDeniedResponse(DeniedHttpResponse.newBuilder()
        .setStatus(HttpStatus.newBuilder().setCode(StatusCode.Forbidden))).build();

    assertThat(ServerKind.WARDEN.mismatch(denied, answer404)).isNull();
    assertThat(ServerKind.WARDEN.mismatch(denied, answer403)).contains("expected deny 404, Warden answered deny 403");
    assertThat(ServerKind.NOOP.mismatch(denied, answer404)).isNotNull();
  }

  @Test
  void theMixIsTheSameForTheSameSeedAndCoversEveryAnswer() {
    RequestMix a = RequestMix.generate(512, 42);
    RequestMix b = RequestMix.generate(512, 42);
    for (int i = 0; i < a.size(); i++) {
      assertThat(a.get(i).request()).isEqualTo(b.get(i).request());
    }
    assertThat(a.answers()).containsOnlyKeys("allow", "deny 401", "deny 403", "deny 404", "deny 410");
  }

  @Test
  void roundsAlternateTheServersAndReportTheMedianRatio() throws Exception {
    LoadBenchmark.Options options = new LoadBenchmark.Options(List.of(2), Duration.ofMillis(100),
        Duration.ofMillis(200), 2_000, List.of(ServerKind.NOOP, ServerKind.WARDEN), 3, Placement.SAME, List.of(),
        ReadBatching.DEFAULT_BYTES, BUNDLE, 64, 7, false);
    List<LoadBenchmark.Measurement> results = LoadBenchmark.run(options, new PrintStream(new ByteArrayOutputStream(),
        true, StandardCharsets.UTF_8));

    assertThat(results).extracting(m -> m.round() + " " + m.server().label())
        .containsExactly("1 noop", "1 warden", "2 noop", "2 warden", "3 noop", "3 warden");
    List<Double> ratios = LoadBenchmark.ratios(results, 2, 3);
    assertThat(ratios).hasSize(3).allSatisfy(r -> assertThat(r).isPositive());
    ByteArrayOutputStream table = new ByteArrayOutputStream();
    LoadBenchmark.report(options, results, new PrintStream(table, true, StandardCharsets.UTF_8));
    assertThat(table.toString(StandardCharsets.UTF_8)).contains("| 2 | 3 | warden |")
        .contains(String.format("median %.1f%%", 100 * LoadBenchmark.median(ratios)));
  }

  @Test
  void theMedianOfRatiosIsTheMiddleOneOrTheMeanOfTheTwoMiddleOnes() {
    assertThat(LoadBenchmark.median(List.of(0.9, 0.7, 0.8))).isEqualTo(0.8);
    assertThat(LoadBenchmark.median(List.of(0.9, 0.7, 0.8, 0.6))).isCloseTo(0.75, org.assertj.core.data.Offset.offset(1e-12));
  }

  @Test
  void parsesTheCommandLine() {
    LoadBenchmark.Options o = LoadBenchmark.parse(new String[] {"--in-flight", "64,1", "--warmup=500ms",
        "--measure", "2m", "--servers", "warden", "--rounds", "5", "--process", "same", "--server-jvm-args", "-Xmx1g -XX:+UseG1GC"});

    assertThat(o.inFlight()).containsExactly(64, 1);
    assertThat(o.warmup()).isEqualTo(Duration.ofMillis(500));
    assertThat(o.measure()).isEqualTo(Duration.ofMinutes(2));
    assertThat(o.servers()).containsExactly(ServerKind.WARDEN);
    assertThat(o.rounds()).isEqualTo(5);
    assertThat(o.placement()).isEqualTo(Placement.SAME);
    assertThat(o.serverJvmArgs()).containsExactly("-Xmx1g", "-XX:+UseG1GC");
    assertThat(o.readBatchBytes()).isEqualTo(ReadBatching.DEFAULT_BYTES);
    assertThat(LoadBenchmark.parse(new String[] {"--read-batch", "0"}).readBatchBytes()).isZero();
    assertThat(LoadBenchmark.parse(new String[] {"--read-batch=8192"}).readBatchBytes()).isEqualTo(8192);
    assertThat(LoadBenchmark.parse(new String[] {"--help"})).isNull();
  }

  @Test
  void refusesAReadBatchWardenWouldRefuse() {
    assertThatThrownBy(() -> LoadBenchmark.parse(new String[] {"--read-batch", "100"}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("`--read-batch` must be 0 (Netty's adaptive reads) or 1024 to 1048576 bytes, found `100`");
    assertThatThrownBy(() -> LoadBenchmark.parse(new String[] {"--read-batch", "lots"}))
        .hasMessageContaining("found `lots`");
  }
}
