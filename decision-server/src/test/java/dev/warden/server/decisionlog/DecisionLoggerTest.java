package dev.warden.server.decisionlog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Outcome;
import dev.warden.proto.v1.LoggedBundle;
import dev.warden.server.authz.DecisionRecord;
import dev.warden.server.decisionlog.DecisionLogPipeline.Counts;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Several sinks: one encoding per record, the same bytes to each, and a stopped sink holds up no other. */
@Timeout(20)
class DecisionLoggerTest {
  private static final RecordEncoder ENCODER = new RecordEncoder(Masking.defaults("x-api-key", ValueHasher.random()),
      revision -> new RecordEncoder.KnownBundle(LoggedBundle.newBuilder().setName("shop").setRevision(revision).build(),
          PolicyRedactions.NONE), Instant.parse("2026-12-01T10:00:00Z"), 0);

  /** Keeps the very arrays it is handed. */
  private static final class Keeping implements LogSink {
    final List<byte[]> lines = new ArrayList<>();

    @Override
    public synchronized void write(List<byte[]> batch) {
      lines.addAll(batch);
    }

    @Override
    public void flush() {}

    @Override
    public String describe() {
      return "keeping";
    }

    @Override
    public void close() {}

    synchronized List<byte[]> lines() {
      return List.copyOf(lines);
    }
  }

  @Test
  void everySinkGetsTheSameBytesOnceAndAStoppedSinkDropsOnlyItsOwn() throws IOException {
    Keeping file = new Keeping();
    Keeping other = new Keeping();
    RecordingSink collector = RecordingSink.stopped(RecordingSink.Stop.BLOCK);
    Map<String, DecisionLogPipeline> pipelines = new LinkedHashMap<>();
    pipelines.put("file", new DecisionLogPipeline(file, 1_000, 64, Duration.ofMillis(20)));
    pipelines.put("stdout", new DecisionLogPipeline(other, 1_000, 64, Duration.ofMillis(20)));
    pipelines.put("http", new DecisionLogPipeline(collector, 50, 64, Duration.ofMillis(20)));
    DecisionLogger logger = new DecisionLogger(ENCODER, pipelines, 0.0);

    for (int i = 0; i < 300; i++) {
      logger.offer(denied("d-" + i));
    }
    await(() -> file.lines().size() == 300 && other.lines().size() == 300);
    Counts held = pipelines.get("http").counts();
    assertThat(held.buffered()).isEqualTo(50);
    assertThat(held.dropped()).isEqualTo(250);

    collector.recover();
    Map<String, Counts> closed = logger.close(Duration.ofSeconds(5));

    assertThat(closed.keySet()).containsExactly("file", "stdout", "http");
    assertThat(closed.get("file")).isEqualTo(new Counts(300, 300, 0, 0, 0));
    assertThat(closed.get("http")).isEqualTo(new Counts(300, 50, 250, 0, 0));
    for (int i = 0; i < 300; i++) {
      assertThat(other.lines().get(i)).as("record %d: one encoding, the same array for each sink")
          .isSameAs(file.lines().get(i));
      assertThat(new String(file.lines().get(i), java.nio.charset.StandardCharsets.UTF_8)).contains("\"d-" + i + "\"");
    }
    assertThat(collector.written()).hasSize(50);
    assertThat(logger.sampledOut()).isZero();
  }

  private static DecisionRecord denied(String id) {
    return new DecisionRecord(id, DecisionRecord.Api.DECIDE,
        Decision.refused(Outcome.ERROR, 503, "no policy is loaded", "no bundle is active", null),
        DecisionRecord.Cause.NO_POLICY, null, 0, 10_000, false, null);
  }

  private static void await(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited 10 s for a condition").isLessThan(deadline);
      try {
        TimeUnit.MILLISECONDS.sleep(5);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }
}
