package dev.warden.server.decisionlog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.server.decisionlog.DecisionLogPipeline.Counts;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(10)
class DecisionLogPipelineTest {
  private static final Duration SOON = Duration.ofMillis(20);

  @Test
  void manyThreadsOfferingDeliverEveryLineOnceInEachThreadsOrder() throws Exception {
    int threads = 8;
    int perThread = 5_000;
    RecordingSink sink = new RecordingSink();
    DecisionLogPipeline pipeline = new DecisionLogPipeline(sink, threads * perThread, 256, SOON);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> offering = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      offering.add(pool.submit(() -> {
        start.await();
        for (int i = 0; i < perThread; i++) {
          assertThat(pipeline.offer(line(thread + ":" + i))).isTrue();
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : offering) {
      f.get(5, TimeUnit.SECONDS);
    }
    pool.shutdown();

    Counts counts = pipeline.close(Duration.ofSeconds(5));

    assertThat(counts).isEqualTo(new Counts(threads * perThread, threads * perThread, 0, 0, 0));
    Map<Integer, Integer> next = new HashMap<>();
    for (String line : sink.written()) {
      String[] parts = line.split(":");
      int thread = Integer.parseInt(parts[0]);
      int i = Integer.parseInt(parts[1]);
      assertThat(i).as("next line of thread %d", thread).isEqualTo(next.getOrDefault(thread, 0));
      next.put(thread, i + 1);
    }
    assertThat(next).hasSize(threads).allSatisfy((thread, count) -> assertThat(count).isEqualTo(perThread));
    assertThat(sink.flushed()).hasSize(threads * perThread);
    assertThat(sink.closed()).isTrue();
  }

  @ParameterizedTest
  @EnumSource(RecordingSink.Stop.class)
  void aStoppedSinkFillsTheBufferThenDropsExactlyTheRestAndRecoversWithoutDuplicates(RecordingSink.Stop how)
      throws Exception {
    int capacity = 100;
    int extra = 37;
    RecordingSink sink = RecordingSink.stopped(how);
    DecisionLogPipeline pipeline = new DecisionLogPipeline(sink, capacity, 10, SOON);
    pipeline.offer(line("first"));
    await(() -> sink.writeCalls() > 0); // the writer holds "first" in flight: still buffered
    int accepted = 1;
    for (int i = 1; i < capacity + extra; i++) {
      if (pipeline.offer(line("line " + i))) {
        accepted++;
      }
    }

    assertThat(accepted).isEqualTo(capacity);
    assertThat(pipeline.counts()).satisfies(c -> {
      assertThat(c.produced()).isEqualTo(capacity + extra);
      assertThat(c.delivered()).isZero();
      assertThat(c.dropped()).isEqualTo(extra);
      assertThat(c.buffered()).isEqualTo(capacity);
    });

    sink.recover();
    await(() -> pipeline.counts().delivered() == capacity);
    Counts counts = pipeline.close(Duration.ofSeconds(5));

    assertThat(counts.delivered()).isEqualTo(capacity);
    assertThat(counts.dropped()).isEqualTo(extra);
    assertThat(counts.buffered()).isZero();
    assertThat(counts.produced()).isEqualTo(counts.delivered() + counts.dropped() + counts.buffered());
    assertThat(sink.written()).hasSize(capacity).doesNotHaveDuplicates().startsWith("first");
    if (how == RecordingSink.Stop.THROW) {
      assertThat(counts.failedWrites()).isPositive();
    }
  }

  @Test
  void aSinkFailingItsFirstTwoWritesLosesAndRepeatsNothing() {
    RecordingSink sink = new RecordingSink(2);
    DecisionLogPipeline pipeline = new DecisionLogPipeline(sink, 1_000, 50, SOON);
    List<String> offered = IntStream.range(0, 500).mapToObj(i -> "line " + i).toList();
    offered.forEach(l -> assertThat(pipeline.offer(line(l))).isTrue());

    Counts counts = pipeline.close(Duration.ofSeconds(5));

    assertThat(counts).isEqualTo(new Counts(500, 500, 0, 0, 2));
    assertThat(sink.written()).isEqualTo(offered);
  }

  @Test
  void closeWritesAndFlushesEverythingBufferedAndLaterOffersAreDropped() {
    RecordingSink sink = new RecordingSink();
    DecisionLogPipeline pipeline = new DecisionLogPipeline(sink, 10_000, 100, Duration.ofHours(1));
    List<String> offered = IntStream.range(0, 5_000).mapToObj(i -> "line " + i).toList();
    offered.forEach(l -> pipeline.offer(line(l)));

    Counts counts = pipeline.close(Duration.ofSeconds(5));

    assertThat(counts).isEqualTo(new Counts(5_000, 5_000, 0, 0, 0));
    assertThat(sink.flushed()).isEqualTo(offered);
    assertThat(sink.closed()).isTrue();
    assertThat(pipeline.offer(line("too late"))).isFalse();
    assertThat(pipeline.counts()).isEqualTo(new Counts(5_001, 5_000, 1, 0, 0));
    assertThat(sink.written()).doesNotContain("too late");
  }

  @Test
  void aWrittenLineIsFlushedWithinFlushEvery() {
    RecordingSink sink = new RecordingSink();
    try (DecisionLogPipeline pipeline = new DecisionLogPipeline(sink, 10, 10, Duration.ofMillis(50))) {
      pipeline.offer(line("alone"));
      await(() -> sink.flushed().contains("alone"));
    }
  }

  @Test
  void closeGivesUpOnASinkThatKeepsFailingAndCountsWhatItHeldAsDropped() {
    RecordingSink sink = RecordingSink.stopped(RecordingSink.Stop.THROW);
    DecisionLogPipeline pipeline = new DecisionLogPipeline(sink, 100, 10, SOON);
    for (int i = 0; i < 30; i++) {
      pipeline.offer(line("line " + i));
    }

    long start = System.nanoTime();
    Counts counts = pipeline.close(Duration.ofMillis(300));

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    assertThat(counts.delivered()).isZero();
    assertThat(counts.dropped()).isEqualTo(30);
    assertThat(counts.buffered()).isZero();
    assertThat(counts.produced()).isEqualTo(30);
    assertThat(sink.closed()).isTrue();
  }

  private static byte[] line(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static void await(BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited 5 s for a condition").isLessThan(deadline);
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }
}
