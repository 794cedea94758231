package dev.warden.server.admin;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Warden's Prometheus metrics. Recording is lock-free (the library's striped adders); the
 * registry is exported by the admin listener at `/metrics`.
 */
public final class ServerMetrics {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter decisions;
  private final Histogram latency;
  private final Info bundleInfo;
  private final Counter loadErrors;
  private final Counter internalErrors;

  public ServerMetrics() {
    decisions = Counter.builder().name("warden_decisions_total")
        .help("Decisions by result (allow, deny) and HTTP status").labelNames("result", "status").register(registry);
    latency = Histogram.builder().name("warden_decision_duration_seconds")
        .help("Time to answer one Check, from request to response")
        .classicUpperBounds(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1)
        .register(registry);
    bundleInfo = Info.builder().name("warden_bundle")
        .help("The active bundle's revision").labelNames("revision").register(registry);
    loadErrors = Counter.builder().name("warden_bundle_load_errors_total")
        .help("Bundle loads that failed; the last good bundle kept serving").register(registry);
    internalErrors = Counter.builder().name("warden_internal_errors_total")
        .help("Checks that failed inside Warden and were denied (fail closed)").register(registry);
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  public void decided(boolean allowed, int status, long nanos) {
    decisions.labelValues(allowed ? "allow" : "deny", Integer.toString(status)).inc();
    latency.observe(nanos / 1e9);
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
}
