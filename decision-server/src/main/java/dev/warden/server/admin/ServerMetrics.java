package dev.warden.server.admin;

import dev.warden.policy.runtime.EvalError;
import dev.warden.policy.runtime.Outcome;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Warden's Prometheus metrics. Recording is lock-free (the library's striped adders); the
 * registry is exported by the admin listener at `/metrics`. The latency histogram has classic
 * buckets only: the text format `/metrics` serves cannot carry native histograms, and keeping
 * one would cost every Check.
 */
public final class ServerMetrics {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter decisions;
  private final Histogram latency;
  private final Info bundleInfo;
  private final Counter loadErrors;
  private final Counter internalErrors;
  private final Counter heavyDecisions;
  private final Counter overloaded;
  private final Counter evaluationErrors;
  private final CounterDataPoint[] evaluationErrorCounters;
  private final Counter reloads;
  private final Histogram activation;
  private final Counter rollbacks;
  /** Every bundle's metrics, by name, in the order they were made (the config's). */
  private final java.util.Map<String, Bundle> bundles = new java.util.concurrent.ConcurrentHashMap<>();

  public ServerMetrics() {
    decisions = Counter.builder().name("warden_decisions_total")
        .help("Decisions answered, by API (ext_authz, decide), result (allow, deny), outcome and HTTP status")
        .labelNames("api", "result", "outcome", "status").register(registry);
    latency = Histogram.builder().name("warden_decision_duration_seconds")
        .help("Time to answer one Check, from request to response")
        .classicOnly()
        .classicUpperBounds(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1)
        .register(registry);
    bundleInfo = Info.builder().name("warden_bundle")
        .help("Each bundle's active revision").labelNames("bundle", "revision").register(registry);
    loadErrors = Counter.builder().name("warden_bundle_load_errors_total")
        .help("Bundle loads that failed, by bundle; the last good bundle kept serving").labelNames("bundle")
        .register(registry);
    internalErrors = Counter.builder().name("warden_internal_errors_total")
        .help("Checks that failed inside Warden and were denied (fail closed)").register(registry);
    heavyDecisions = Counter.builder().name("warden_heavy_decisions_total")
        .help("Decisions that needed more than a first try's steps and were decided off the transport thread")
        .register(registry);
    overloaded = Counter.builder().name("warden_overloaded_total")
        .help("Heavy decisions denied because their queue was full (fail closed)").register(registry);
    evaluationErrors = Counter.builder().name("warden_evaluation_errors_total")
        .help("Conditions that could not be evaluated, by kind (overflow, anonymous, budget, deadline, internal)")
        .labelNames("kind").register(registry);
    reloads = Counter.builder().name("warden_bundle_reloads_total")
        .help("Bundle checks by result (ok, failed, unchanged) and stage (the stage that failed; activate; digest, source or pinned when unchanged)")
        .labelNames("bundle", "result", "stage").register(registry);
    activation = Histogram.builder().name("warden_bundle_activation_duration_seconds")
        .help("Time to read, compile, gate and swap in a changed bundle, failed attempts included")
        .labelNames("bundle")
        .classicOnly()
        .classicUpperBounds(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
        .register(registry);
    GaugeWithCallback.builder().name("warden_bundle_last_successful_check_age_seconds")
        .help("Seconds since a bundle check last succeeded (activated a bundle or found it unchanged)")
        .labelNames("bundle")
        .callback(cb -> bundles.values().forEach(b -> {
          long at = b.lastGoodCheckNanos;
          if (at != 0) {
            cb.call((System.nanoTime() - at) / 1e9, b.name);
          }
        }))
        .register(registry);
    GaugeWithCallback.builder().name("warden_bundle_degraded")
        .help("1 while the active bundle is the persisted one because the source could not be read at start, else 0")
        .labelNames("bundle")
        .callback(cb -> bundles.values().forEach(b -> cb.call(b.degraded ? 1 : 0, b.name)))
        .register(registry);
    GaugeWithCallback.builder().name("warden_bundle_stale")
        .help("1 while no bundle check has succeeded for longer than reload.max_staleness, else 0")
        .labelNames("bundle")
        .callback(cb -> bundles.values().forEach(b -> cb.call(b.stale ? 1 : 0, b.name)))
        .register(registry);
    rollbacks = Counter.builder().name("warden_bundle_rollbacks_total")
        .help("Rollbacks to the previous revision (POST /bundles/rollback, warden bundle rollback)")
        .labelNames("bundle").register(registry);
    EvalError.Kind[] kinds = EvalError.Kind.values();
    evaluationErrorCounters = new CounterDataPoint[kinds.length];
    for (EvalError.Kind k : kinds) {
      evaluationErrorCounters[k.ordinal()] = evaluationErrors.labelValues(k.label());
    }
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  /** The decision counters of one API ({@code ext_authz}, {@code decide}), for its exit. */
  public Decisions decisions(String api) {
    return new Decisions(api);
  }

  /**
   * `warden_decisions_total`'s children for one API and the latency histogram. A child is looked
   * up once per outcome and status and kept: the label lookup would otherwise build a key on
   * every call. Races only ever store the same child.
   */
  public final class Decisions {
    private final String api;
    private final CounterDataPoint[][] rows = new CounterDataPoint[Outcome.values().length][];

    private Decisions(String api) {
      this.api = api;
    }

    /** Counts one answered decision that took {@code nanos} from arrival to answer. */
    public void decided(Outcome outcome, int status, long nanos) {
      counter(outcome, status).inc();
      latency.observe(nanos / 1e9);
    }

    private CounterDataPoint counter(Outcome outcome, int status) {
      if (status < 100 || status > 599) {
        return child(outcome, status);
      }
      CounterDataPoint[] row = rows[outcome.ordinal()];
      if (row == null) {
        row = new CounterDataPoint[500];
        rows[outcome.ordinal()] = row;
      }
      CounterDataPoint c = row[status - 100];
      if (c == null) {
        c = child(outcome, status);
        row[status - 100] = c;
      }
      return c;
    }

    private CounterDataPoint child(Outcome outcome, int status) {
      return decisions.labelValues(api, outcome.allowed() ? "allow" : "deny", outcome.label(),
          Integer.toString(status));
    }
  }

  /** Counts one evaluation error of a decision answered. */
  public void evaluationError(EvalError.Kind kind) {
    evaluationErrorCounters[kind.ordinal()].inc();
  }

  /** The metrics of the bundle called {@code name}, made at its first use; every series has its `bundle` label. */
  public Bundle bundle(String name) {
    return bundles.computeIfAbsent(name, Bundle::new);
  }

  /** One bundle's series. Written by its reload thread; the gauges read its fields at scrape time. */
  public final class Bundle {
    private final String name;
    /** When a check last succeeded (activated, or found the bundle unchanged), in nanoTime; 0 for never. */
    private volatile long lastGoodCheckNanos;
    /** Whether the active bundle is the persisted one because the source could not be read at start. */
    private volatile boolean degraded;
    /** Whether no check has succeeded for longer than `reload.max_staleness`. */
    private volatile boolean stale;
    private String revision;

    private Bundle(String name) {
      this.name = name;
    }

    public synchronized void activated(String newRevision) {
      if (revision != null) {
        bundleInfo.remove(name, revision);
      }
      revision = newRevision;
      bundleInfo.addLabelValues(name, newRevision);
    }

    public void loadFailed() {
      loadErrors.labelValues(name).inc();
    }

    /**
     * Counts one check.
     *
     * @param result `ok`, `failed` or `unchanged`
     * @param stage the stage that failed (`read`, `fetch`, `load`, `parse`, `check`, `test_gate`, …),
     *     `activate`, or `digest`, `source` or `pinned` when unchanged
     * @param nanos how long reading, compiling and gating took, or a negative number when nothing was compiled
     */
    public void checked(String result, String stage, long nanos) {
      reloads.labelValues(name, result, stage).inc();
      if (nanos >= 0) {
        activation.labelValues(name).observe(nanos / 1e9);
      }
      if (!result.equals("failed")) {
        lastGoodCheckNanos = System.nanoTime();
      }
    }

    /** Serving the persisted bundle (true) or one from the source again (false). */
    public void degraded(boolean on) {
      degraded = on;
    }

    /** The first bundle is active: the age of the last successful check counts from now. */
    public void started() {
      lastGoodCheckNanos = System.nanoTime();
    }

    /** A watch poll found the local source readable and unchanged: as good as a check that found it unchanged. */
    public void sourceSeen() {
      lastGoodCheckNanos = System.nanoTime();
    }

    /** Past `reload.max_staleness` (true), or a check succeeded again (false). */
    public void stale(boolean on) {
      stale = on;
    }

    public void rolledBack() {
      rollbacks.labelValues(name).inc();
    }
  }

  /**
   * The decision log's series, read at scrape time: `warden_decision_log_records_total{state}`
   * with `produced = delivered + dropped + buffered`, and the allows left out by sampling.
   */
  public void decisionLog(java.util.function.Supplier<dev.warden.server.decisionlog.DecisionLogPipeline.Counts> counts,
      java.util.function.LongSupplier sampledOut) {
    io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("warden_decision_log_records_total")
        .help("Decision records by state: produced (offered to the buffer), delivered (written), dropped"
            + " (buffer full or closed); produced = delivered + dropped + buffered")
        .labelNames("state")
        .callback(cb -> {
          var c = counts.get();
          cb.call(c.produced(), "produced");
          cb.call(c.delivered(), "delivered");
          cb.call(c.dropped(), "dropped");
        })
        .register(registry);
    GaugeWithCallback.builder().name("warden_decision_log_buffered")
        .help("Decision records waiting for the writer").callback(cb -> cb.call(counts.get().buffered()))
        .register(registry);
    io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("warden_decision_log_sampled_out_total")
        .help("Allowed decisions not logged because of decision_log.sample_allows")
        .callback(cb -> cb.call(sampledOut.getAsLong())).register(registry);
    io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("warden_decision_log_write_failures_total")
        .help("Writes to the decision log's sink that failed and were retried")
        .callback(cb -> cb.call(counts.get().failedWrites())).register(registry);
  }

  /**
   * The tracing's series, read at scrape time: `warden_tracing_spans_total{state}`, sampled spans
   * ended, exported and failed; ended - exported - failed are queued or were dropped.
   */
  public void tracing(java.util.function.Supplier<dev.warden.server.telemetry.OtlpTracing.Counts> counts) {
    io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("warden_tracing_spans_total")
        .help("Sampled spans by state: ended (handed to the exporter's queue), exported (taken by the collector),"
            + " failed (an export that failed); ended - exported - failed are queued or were dropped")
        .labelNames("state")
        .callback(cb -> {
          var c = counts.get();
          cb.call(c.ended(), "ended");
          cb.call(c.exported(), "exported");
          cb.call(c.failed(), "failed");
        })
        .register(registry);
  }

  public void internalError() {
    internalErrors.inc();
  }

  public void heavyDecision() {
    heavyDecisions.inc();
  }

  public void overloaded() {
    overloaded.inc();
  }
}
