package dev.warden.server.decisionlog;

import dev.warden.server.authz.DecisionRecord;
import dev.warden.server.authz.DecisionSink;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * The decision log as a {@link DecisionSink}: every denial and error, and a sample of allows
 * (`decision_log.sample_allows`), encoded ({@link RecordEncoder}, masked) and offered to the
 * {@link DecisionLogPipeline}, which never blocks: a full buffer drops the record and counts it.
 */
public final class DecisionLogger implements DecisionSink {
  private final RecordEncoder encoder;
  private final DecisionLogPipeline pipeline;
  private final double sampleAllows;
  private final LongAdder sampledOut = new LongAdder();

  /** @param sampleAllows the fraction of allowed decisions kept, 0 to 1; denials and errors are all kept */
  public DecisionLogger(RecordEncoder encoder, DecisionLogPipeline pipeline, double sampleAllows) {
    this.encoder = encoder;
    this.pipeline = pipeline;
    this.sampleAllows = sampleAllows;
  }

  @Override
  public void offer(DecisionRecord record) {
    if (record.decision().allowed() && sampleAllows < 1.0
        && (sampleAllows <= 0 || ThreadLocalRandom.current().nextDouble() >= sampleAllows)) {
      sampledOut.increment();
      return;
    }
    pipeline.offer(encoder.line(record));
  }

  /** Allowed decisions left out by sampling (not drops: they were never produced). */
  public long sampledOut() {
    return sampledOut.sum();
  }

  public DecisionLogPipeline pipeline() {
    return pipeline;
  }
}
