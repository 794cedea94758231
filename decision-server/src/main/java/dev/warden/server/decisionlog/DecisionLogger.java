package dev.warden.server.decisionlog;

import dev.warden.server.authz.DecisionRecord;
import dev.warden.server.authz.DecisionSink;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * The decision log as a {@link DecisionSink}: every denial and error, and a sample of allows
 * (`decision_log.sample_allows`), encoded once ({@link RecordEncoder}, masked) and offered, the same
 * bytes, to each sink's {@link DecisionLogPipeline}. Each pipeline has its own bounded buffer and
 * counts, so a slow collector never holds up the file; none blocks: a full buffer drops the record
 * for that sink alone and counts it.
 */
public final class DecisionLogger implements DecisionSink {
  private final RecordEncoder encoder;
  private final Map<String, DecisionLogPipeline> pipelines;
  private final DecisionLogPipeline[] each;
  private final double sampleAllows;
  private final LongAdder sampledOut = new LongAdder();

  /** @param sampleAllows the fraction of allowed decisions kept, 0 to 1; denials and errors are all kept */
  public DecisionLogger(RecordEncoder encoder, DecisionLogPipeline pipeline, double sampleAllows) {
    this(encoder, Map.of("file", pipeline), sampleAllows);
  }

  /**
   * @param pipelines by sink name (`file`, `stdout`, `http`, as the metrics' `sink` label), in the
   *     order they are offered to and closed; at least one
   */
  public DecisionLogger(RecordEncoder encoder, Map<String, DecisionLogPipeline> pipelines, double sampleAllows) {
    if (pipelines.isEmpty()) {
      throw new IllegalArgumentException("a decision log needs at least one sink");
    }
    this.encoder = encoder;
    this.pipelines = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(pipelines));
    this.each = this.pipelines.values().toArray(new DecisionLogPipeline[0]);
    this.sampleAllows = sampleAllows;
  }

  @Override
  public void offer(DecisionRecord record) {
    if (record.decision().allowed() && sampleAllows < 1.0
        && (sampleAllows <= 0 || ThreadLocalRandom.current().nextDouble() >= sampleAllows)) {
      sampledOut.increment();
      return;
    }
    byte[] line = encoder.line(record);
    for (DecisionLogPipeline p : each) {
      p.offer(line); // never written to: every sink reads the same bytes
    }
  }

  /** Allowed decisions left out by sampling (not drops: they were never produced). */
  public long sampledOut() {
    return sampledOut.sum();
  }

  /** The pipelines by sink name. */
  public Map<String, DecisionLogPipeline> pipelines() {
    return pipelines;
  }

  /**
   * Closes every pipeline: all stop accepting at once and drain side by side, then each is waited
   * for within what is left of {@code timeout}. Returns the counts after, by sink name.
   */
  public Map<String, DecisionLogPipeline.Counts> close(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (DecisionLogPipeline p : each) {
      p.beginClose();
    }
    Map<String, DecisionLogPipeline.Counts> counts = new LinkedHashMap<>();
    for (Map.Entry<String, DecisionLogPipeline> e : pipelines.entrySet()) {
      long left = Math.max(1_000_000L, deadline - System.nanoTime());
      counts.put(e.getKey(), e.getValue().close(Duration.ofNanos(left)));
    }
    return counts;
  }
}
