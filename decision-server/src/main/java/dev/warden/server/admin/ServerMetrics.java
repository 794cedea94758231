package dev.warden.server.admin;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
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
  private final CounterDataPoint[] allowCounters = new CounterDataPoint[500];
  private final CounterDataPoint[] denyCounters = new CounterDataPoint[500];

  public ServerMetrics() {
    decisions = Counter.builder().name("warden_decisions_total")
        .help("Decisions by result (allow, deny) and HTTP status").labelNames("result", "status").register(registry);
    latency = Histogram.builder().name("warden_decision_duration_seconds")
        .help("Time to answer one Check, from request to response")
        .classicOnly()
        .classicUpperBounds(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1)
        .register(registry);
    bundleInfo = Info.builder().name("warden_bundle")
        .help("The active bundle's revision").labelNames("revision").register(registry);
    loadErrors = Counter.builder().name("warden_bundle_load_errors_total")
        .help("Bundle loads that failed; the last good bundle kept serving").register(registry);
    internalErrors = Counter.builder().name("warden_internal_errors_total")
        .help("Checks that failed inside Warden and were denied (fail closed)").register(registry);
    heavyDecisions = Counter.builder().name("warden_heavy_decisions_total")
        .help("Decisions that needed more than a first try's steps and were decided off the transport thread")
        .register(registry);
    overloaded = Counter.builder().name("warden_overloaded_total")
        .help("Heavy decisions denied because their queue was full (fail closed)").register(registry);
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  public void decided(boolean allowed, int status, long nanos) {
    counter(allowed, status).inc();
    latency.observe(nanos / 1e9);
  }

  /**
   * The counter child for a result and status, looked up once and kept: the label lookup would
   * otherwise build a key on every call. Races only ever store the same child.
   */
  private CounterDataPoint counter(boolean allowed, int status) {
    if (status < 100 || status > 599) {
      return decisions.labelValues(allowed ? "allow" : "deny", Integer.toString(status));
    }
    CounterDataPoint[] row = allowed ? allowCounters : denyCounters;
    CounterDataPoint c = row[status - 100];
    if (c == null) {
      c = decisions.labelValues(allowed ? "allow" : "deny", Integer.toString(status));
      row[status - 100] = c;
    }
    return c;
  }

  public void bundleActivated(String revision) {
    bundleInfo.setLabelValues(revision);
  }

  public void bundleLoadFailed() {
    loadErrors.inc();
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
