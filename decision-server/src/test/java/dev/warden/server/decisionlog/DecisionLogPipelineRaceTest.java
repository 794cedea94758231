package dev.warden.server.decisionlog;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.warden.server.decisionlog.DecisionLogPipeline.Counts;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** Counting under contention: a small buffer that drops, offers racing close, and what gets logged. */
@Timeout(10)
class DecisionLogPipelineRaceTest {
  @Test
  void aSmallBufferUnderContentionCountsEveryRecordExactlyOnce() throws Exception {
    RecordingSink sink = new RecordingSink();
    DecisionLogPipeline pipeline = new DecisionLogPipeline(sink, 64, 8, Duration.ofMillis(5));
    LongAdder accepted = new LongAdder();
    Logger logger = (Logger) LoggerFactory.getLogger(DecisionLogPipeline.class);
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    logger.addAppender(events);
    run(8, 20_000, (thread, i) -> {
      if (pipeline.offer(line(thread + ":" + i))) {
        accepted.increment();
      }
    });

    Counts counts = pipeline.close(Duration.ofSeconds(5));
    logger.detachAppender(events);

    assertThat(snapshot(events).stream().filter(e -> e.getFormattedMessage().contains("is full")))
        .as("one WARN for one stretch of drops").hasSizeLessThanOrEqualTo(1);
    assertThat(counts.produced()).isEqualTo(8 * 20_000);
    assertThat(counts.buffered()).isZero();
    assertThat(counts.delivered()).isEqualTo(accepted.sum());
    assertThat(counts.produced()).isEqualTo(counts.delivered() + counts.dropped());
    assertThat(sink.written()).hasSize((int) accepted.sum()).doesNotHaveDuplicates();
  }

  @Test
  void everyOfferAcceptedWhileClosingIsWritten() throws Exception {
    RecordingSink sink = new RecordingSink();
    DecisionLogPipeline pipeline = new DecisionLogPipeline(sink, 100_000, 64, Duration.ofMillis(5));
    LongAdder accepted = new LongAdder();
    CountDownLatch halfway = new CountDownLatch(4);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> offering = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int thread = t;
      offering.add(pool.submit(() -> {
        for (int i = 0; i < 20_000; i++) {
          if (i == 1_000) {
            halfway.countDown();
          }
          if (pipeline.offer(line(thread + ":" + i))) {
            accepted.increment();
          }
        }
      }));
    }
    assertThat(halfway.await(5, TimeUnit.SECONDS)).isTrue();
    Counts atClose = pipeline.close(Duration.ofSeconds(5));
    for (Future<?> f : offering) {
      f.get(5, TimeUnit.SECONDS);
    }
    pool.shutdown();

    Counts after = pipeline.counts();
    // atClose is not quiescent: an offer racing close may be counted buffered for an instant before
    // it backs out as a drop; once the offers are over, nothing is left buffered.
    assertThat(atClose.buffered()).isLessThanOrEqualTo(4);
    assertThat(after.buffered()).isZero();
    assertThat(after.delivered()).isEqualTo(accepted.sum()).isEqualTo(atClose.delivered());
    assertThat(after.produced()).isEqualTo(4 * 20_000).isEqualTo(after.delivered() + after.dropped());
    assertThat(sink.written()).hasSize((int) accepted.sum()).doesNotHaveDuplicates();
  }

  @Test
  void dropsAreLoggedOnceWhenTheyStartAndOnceWhenTheyStop() throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger(DecisionLogPipeline.class);
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    logger.addAppender(events);
    try {
      RecordingSink sink = RecordingSink.stopped(RecordingSink.Stop.BLOCK);
      DecisionLogPipeline pipeline = new DecisionLogPipeline(sink, 10, 5, Duration.ofMillis(5), Duration.ofMillis(50));
      for (int i = 0; i < 1_000; i++) {
        pipeline.offer(line("line " + i));
      }
      sink.recover();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (snapshot(events).stream().noneMatch(e -> e.getLevel() == Level.INFO
          && e.getFormattedMessage().contains("keeping up again")) && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      pipeline.close(Duration.ofSeconds(5));

      List<String> messages = snapshot(events).stream()
          .filter(e -> e.getFormattedMessage().contains("full") || e.getFormattedMessage().contains("keeping up again"))
          .map(e -> e.getLevel() + " " + e.getFormattedMessage())
          .toList();
      assertThat(messages).hasSize(2);
      assertThat(messages.get(0)).startsWith(Level.WARN + " decision log buffer of 10 records is full");
      assertThat(messages.get(1)).startsWith(Level.INFO.toString()).contains("990 records were dropped");
    } finally {
      logger.detachAppender(events);
    }
  }

  /** The events so far; appending holds the appender's lock, so copying under it never races. */
  private static List<ILoggingEvent> snapshot(ListAppender<ILoggingEvent> events) {
    synchronized (events) {
      return List.copyOf(events.list);
    }
  }

  private interface Offer {
    void offer(int thread, int i);
  }

  private static void run(int threads, int perThread, Offer offer) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> offering = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      offering.add(pool.submit(() -> {
        start.await();
        for (int i = 0; i < perThread; i++) {
          offer.offer(thread, i);
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : offering) {
      f.get(5, TimeUnit.SECONDS);
    }
    pool.shutdown();
  }

  private static byte[] line(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
