package dev.warden.server.decisionlog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.warden.server.decisionlog.DecisionLogPipeline.Counts;
import dev.warden.server.decisionlog.LoopbackCollector.Answer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP collector behind the pipeline, with and without the spool, against a real loopback
 * collector that fails, asks to be retried later, refuses, and stops.
 */
@Timeout(60)
class HttpCollectorPipelineTest {
  private static final Duration SOON = Duration.ofMillis(20);
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  @TempDir Path dir;
  private LoopbackCollector collector;

  @BeforeEach
  void start() throws IOException {
    collector = new LoopbackCollector();
  }

  @AfterEach
  void stop() {
    collector.close();
  }

  @Test
  void failedAndRetryLaterPostsAreRetriedAndEveryBatchIsDeliveredOnce() throws Exception {
    collector.thenAnswer(new Answer(500, null, 0), new Answer(503, "1", 0), new Answer(429, "0", 0),
        new Answer(408, null, 0));
    DecisionLogPipeline pipeline = new DecisionLogPipeline(sink(4096), 10_000, 64, SOON);
    List<String> ids = offer(pipeline, 0, 1_000);

    await(() -> pipeline.counts().delivered() == 1_000, Duration.ofSeconds(20));
    Counts counts = pipeline.close(Duration.ofSeconds(5));

    assertThat(ids(collector.records())).containsExactlyElementsOf(ids);
    assertThat(counts).isEqualTo(new Counts(1_000, 1_000, 0, 0, 4));
    // Each post at most max_batch_bytes of JSON array: 1,000 records of about 50 bytes need 13 at least.
    assertThat(collector.posts()).isGreaterThanOrEqualTo(13 + 4);
  }

  @Test
  void aSlowCollectorWithinTheTimeoutGetsEveryRecordOnceWhileTheBufferTakesTheRest() throws Exception {
    collector.always(new Answer(204, null, 300));
    DecisionLogPipeline pipeline = new DecisionLogPipeline(sink(4096), 10_000, 64, SOON);
    List<String> ids = offer(pipeline, 0, 400);
    Counts meanwhile = pipeline.counts();
    assertThat(meanwhile.dropped()).isZero();
    assertThat(meanwhile.produced()).isEqualTo(meanwhile.delivered() + meanwhile.buffered());

    await(() -> pipeline.counts().delivered() == 400, Duration.ofSeconds(20));
    Counts counts = pipeline.close(Duration.ofSeconds(5));

    assertThat(counts).isEqualTo(new Counts(400, 400, 0, 0, 0));
    assertThat(ids(collector.records())).containsExactlyElementsOf(ids);
  }

  @Test
  void aRefusedBatchIsDroppedAndCountedOnceNeverRetried() throws Exception {
    collector.thenAnswer(new Answer(400, null, 0));
    DecisionLogPipeline pipeline = new DecisionLogPipeline(sink(1 << 20), 1_000, 512, SOON);
    offer(pipeline, 0, 1);
    await(() -> pipeline.counts().dropped() == 1, Duration.ofSeconds(5));
    List<String> later = offer(pipeline, 1, 10);
    Counts counts = pipeline.close(Duration.ofSeconds(5));

    assertThat(counts).isEqualTo(new Counts(11, 10, 1, 0, 0, 0, 1, 0));
    assertThat(ids(collector.records())).containsExactlyElementsOf(later);
  }

  @Test
  void withTheCollectorStoppedAndNoSpoolDropsAreExact() throws Exception {
    collector.stop();
    int capacity = 100;
    DecisionLogPipeline pipeline = new DecisionLogPipeline(sink(1 << 20), capacity, 512, SOON);
    offer(pipeline, 0, 350);

    Counts stopped = pipeline.counts();
    assertThat(stopped.produced()).isEqualTo(350);
    assertThat(stopped.delivered()).isZero();
    assertThat(stopped.buffered()).isEqualTo(capacity);
    assertThat(stopped.dropped()).isEqualTo(250);

    Counts closed = pipeline.close(Duration.ofMillis(300));
    assertThat(closed.produced()).isEqualTo(closed.delivered() + closed.dropped() + closed.buffered());
    assertThat(closed).isEqualTo(new Counts(350, 0, 350, 0, closed.failedWrites()));
  }

  @Test
  void theSpoolKeepsEverythingThroughAnOutageAndThenDeliversItOnceInOrder() throws Exception {
    collector.always(new Answer(503, null, 0));
    DecisionLogPipeline pipeline = DecisionLogPipeline.spooled(sink(8192), 64, 64, SOON, SOON, dir, 64 << 20);
    List<String> ids = new ArrayList<>();
    // In steps the writer can follow: the memory buffer never fills, the spool takes everything.
    for (int step = 0; step < 40; step++) {
      ids.addAll(offer(pipeline, step * 50, 50));
      await(() -> pipeline.counts().buffered() == 0, Duration.ofSeconds(5));
    }
    Counts outage = pipeline.counts();
    assertThat(outage.spooled()).isEqualTo(2_000);
    assertThat(outage.dropped()).isZero();
    assertThat(outage.delivered()).isZero();
    assertThat(collector.records()).isEmpty();
    assertThat(segments()).isNotEmpty();

    collector.always(Answer.OK);
    await(() -> pipeline.counts().delivered() == 2_000, Duration.ofSeconds(30));
    Counts counts = pipeline.close(Duration.ofSeconds(5));

    assertThat(ids(collector.records())).containsExactlyElementsOf(ids);
    assertThat(counts.produced()).isEqualTo(2_000);
    assertThat(counts.spooled()).isZero();
    assertThat(counts.dropped()).isZero();
    assertThat(segments()).isEmpty();
  }

  @Test
  void theSpoolSurvivesARestartAndTheNextPipelineDeliversItOnce() throws Exception {
    collector.always(new Answer(500, null, 0));
    DecisionLogPipeline first = DecisionLogPipeline.spooled(sink(8192), 64, 64, SOON, SOON, dir, 64 << 20);
    List<String> ids = new ArrayList<>();
    for (int step = 0; step < 10; step++) {
      ids.addAll(offer(first, step * 50, 50));
      await(() -> first.counts().buffered() == 0, Duration.ofSeconds(5));
    }
    Counts before = first.close(Duration.ofSeconds(5));
    assertThat(before).isEqualTo(new Counts(500, 0, 0, 0, before.failedWrites(), 500, 0, 0));

    collector.always(Answer.OK);
    DecisionLogPipeline second = DecisionLogPipeline.spooled(sink(8192), 64, 64, SOON, SOON, dir, 64 << 20);
    assertThat(second.counts().produced()).as("what the spool held counts as produced").isEqualTo(500);
    List<String> after = offer(second, 500, 20);
    await(() -> second.counts().delivered() == 520, Duration.ofSeconds(20));
    Counts counts = second.close(Duration.ofSeconds(5));

    List<String> expected = new ArrayList<>(ids);
    expected.addAll(after);
    assertThat(ids(collector.records())).containsExactlyElementsOf(expected);
    assertThat(counts).isEqualTo(new Counts(520, 520, 0, 0, 0, 0, 0, 0));
    assertThat(segments()).isEmpty();
  }

  @Test
  void aFullSpoolDropsAndCountsWhatDoesNotFitAndNeverPassesItsBound() throws Exception {
    collector.always(new Answer(503, null, 0));
    long maxBytes = 10_000;
    DecisionLogPipeline pipeline = DecisionLogPipeline.spooled(sink(2048), 64, 16, SOON, SOON, dir, maxBytes);
    for (int step = 0; step < 20; step++) {
      offer(pipeline, step * 40, 40);
      await(() -> pipeline.counts().buffered() == 0, Duration.ofSeconds(5));
      assertThat(spoolBytes()).isLessThanOrEqualTo(maxBytes);
    }
    Counts counts = pipeline.close(Duration.ofSeconds(5));

    assertThat(counts.produced()).isEqualTo(800);
    assertThat(counts.delivered()).isZero();
    assertThat(counts.buffered()).isZero();
    assertThat(counts.spooled()).isPositive().isLessThan(800);
    assertThat(counts.dropped()).isEqualTo(800 - counts.spooled());
    // Each record is about 45 bytes + 8 on disk, a segment 8 more: the spool is close to full.
    assertThat(counts.spooled() * 53).isGreaterThan(maxBytes * 8 / 10);
    assertThat(spoolBytes()).isLessThanOrEqualTo(maxBytes);
  }

  @Test
  void aCleanShutdownDeliversEverythingBufferedAndSpooled() throws Exception {
    collector.thenAnswer(new Answer(503, null, 0));
    DecisionLogPipeline pipeline = DecisionLogPipeline.spooled(sink(1 << 20), 10_000, 512, SOON, SOON, dir, 64 << 20);
    List<String> ids = offer(pipeline, 0, 3_000);
    Counts counts = pipeline.close(Duration.ofSeconds(10));

    assertThat(counts).isEqualTo(new Counts(3_000, 3_000, 0, 0, 1, 0, 0, 0));
    assertThat(ids(collector.records())).containsExactlyElementsOf(ids);
    assertThat(segments()).isEmpty();
  }

  private HttpCollectorSink sink(long maxBatchBytes) throws IOException {
    return new HttpCollectorSink(collector.url(), maxBatchBytes, TIMEOUT, null);
  }

  private static List<String> offer(DecisionLogPipeline pipeline, int from, int n) {
    List<String> ids = new ArrayList<>();
    IntStream.range(from, from + n).forEach(i -> {
      String id = "d-" + i;
      pipeline.offer(("{\"decisionId\":\"" + id + "\",\"outcome\":\"allow\"}").getBytes(StandardCharsets.UTF_8));
      ids.add(id);
    });
    return ids;
  }

  private static List<String> ids(List<JsonNode> records) {
    return records.stream().map(r -> r.path("decisionId").asText()).toList();
  }

  private List<Path> segments() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".seg")).toList();
    }
  }

  private long spoolBytes() throws IOException {
    long total = 0;
    for (Path p : segments()) {
      total += Files.size(p);
    }
    return total;
  }

  private static void await(BooleanSupplier condition, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited %s for a condition", within).isLessThan(deadline);
      try {
        TimeUnit.MILLISECONDS.sleep(5);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }
}
