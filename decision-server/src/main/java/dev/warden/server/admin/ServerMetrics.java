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
 * registry is exported by the admin listener at `/metrics`. The latency histograms have classic
 * buckets only: the text format `/metrics` serves cannot carry native histograms, and keeping
 * one would cost every Check.
 */
public final class ServerMetrics {
  /**
   * The upper bounds of the latency histograms, in seconds: fine from 5 µs to 1 ms, where nearly
   * every decision is answered (a few µs in memory; a heavy decision or a busy machine in the
   * hundreds), then on to Envoy's ext_authz default timeout (200 ms) and the 250 ms of the
   * deploy/ configuration, past which Envoy has given up on the answer, and on to 1 s to show how
   * late. 18 buckets: one striped adder each; an observation scans them from the smallest, so a
   * decision of a few µs stops at the first.
   */
  public static final double[] LATENCY_BUCKETS = {0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1};
  /** Default of `metrics.max_routes`. */
  public static final int DEFAULT_MAX_ROUTES = 500;

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter decisions;
  private final Histogram latency;
  private final RouteDecisions routeDecisions;
  /** The route ids the active bundles declare, read at every activation; null until the server sets it. */
  private volatile java.util.function.Supplier<java.util.List<String>> declaredRoutes;
  private GrpcCalls grpcCalls;
  private boolean jvm;
  private final Info bundleInfo;
  private final Counter loadErrors;
  private final Counter internalErrors;
  private final Counter heavyDecisions;
  private final Counter quotaAnswers;
  private final Counter quotaFallbacks;
  private final Counter quotaStoreFailures;
  private final Counter overloaded;
  private final Counter evaluationErrors;
  private final CounterDataPoint[] evaluationErrorCounters;
  private final Counter reloads;
  private final Histogram activation;
  private final Counter rollbacks;
  /** Every bundle's metrics, by name, in the order they were made (the config's). */
  private final java.util.Map<String, Bundle> bundles = new java.util.concurrent.ConcurrentHashMap<>();

  public ServerMetrics() {
    this(DEFAULT_MAX_ROUTES);
  }

  /** @param maxRoutes the most declared routes with a label of their own in `warden_route_decisions_total` */
  public ServerMetrics(int maxRoutes) {
    decisions = Counter.builder().name("warden_decisions_total")
        .help("Decisions answered, by API (ext_authz, decide), result (allow, deny), outcome and HTTP status")
        .labelNames("api", "result", "outcome", "status").register(registry);
    latency = Histogram.builder().name("warden_decision_duration_seconds")
        .help("Time to answer one Check, from request to response")
        .classicOnly()
        .classicUpperBounds(LATENCY_BUCKETS)
        .register(registry);
    routeDecisions = new RouteDecisions(Counter.builder().name("warden_route_decisions_total")
        .help("Decisions answered, by declared route (`other` past metrics.max_routes, `none` when no route matched)"
            + " and outcome")
        .labelNames("route", "outcome").register(registry), maxRoutes);
    bundleInfo = Info.builder().name("warden_bundle")
        .help("Each bundle's active revision").labelNames("bundle", "revision").register(registry);
    loadErrors = Counter.builder().name("warden_bundle_load_errors_total")
        .help("Bundle loads that failed, by bundle; the last good bundle kept serving").labelNames("bundle")
        .register(registry);
    internalErrors = Counter.builder().name("warden_internal_errors_total")
        .help("Checks that failed inside Warden and were denied (fail closed)").register(registry);
    quotaAnswers = Counter.builder().name("warden_quota_requests_total")
        .help("Quota answers, by quota and result: admitted, limited (refused, 429), shadow_limited (a shadow quota"
            + " that would have refused), not_charged (another quota of the request refused first)")
        .labelNames("quota", "result").register(registry);
    quotaFallbacks = Counter.builder().name("warden_quota_fallbacks_total")
        .help("Answers of global quotas while Redis could not answer, by quota and fallback (open, closed, local)")
        .labelNames("quota", "fallback").register(registry);
    quotaStoreFailures = Counter.builder().name("warden_quota_store_failures_total")
        .help("Charges the shared quota store (Redis) could not answer in time; the global quotas fell back")
        .register(registry);
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

  /**
   * Where the route ids the active bundles declare come from (the server's bundle set); read now
   * and at every activation, to fix which routes have a label.
   */
  public void declaredRoutes(java.util.function.Supplier<java.util.List<String>> routes) {
    declaredRoutes = routes;
    routeDecisions.declared(routes.get());
  }

  /** `warden_route_decisions_total`, for tests and the decide API alike. */
  public RouteDecisions routes() {
    return routeDecisions;
  }

  /**
   * Adds the JVM and process series of Prometheus' own instrumentation (`jvm_*`, `process_*`:
   * memory and pools, GC, threads, classes, JIT, buffer pools, CPU, open files, resident memory)
   * to this registry. Once; a process has one server, and some of them listen to the GC for good.
   */
  public synchronized void jvm() {
    if (!jvm) {
      jvm = true;
      io.prometheus.metrics.instrumentation.jvm.JvmMetrics.builder().register(registry);
    }
  }

  /** The gRPC server's series (`grpc_server_*`), made at the first call, for the listener's interceptor. */
  public synchronized GrpcCalls grpcCalls() {
    if (grpcCalls == null) {
      grpcCalls = new GrpcCalls();
    }
    return grpcCalls;
  }

  /**
   * `grpc_server_started_total`, `grpc_server_handled_total` and `grpc_server_handling_seconds`,
   * named and labelled as go-grpc-prometheus and grpc-java's dashboards know them: by
   * `grpc_service`, `grpc_method`, `grpc_type` and (handled) `grpc_code`. Labels come from the
   * methods the server registered only: a call to an unknown method is refused before any
   * interceptor sees it.
   */
  public final class GrpcCalls {
    private final Counter started;
    private final Counter handled;
    private final Histogram handling;
    private final java.util.concurrent.ConcurrentHashMap<String, Method> methods =
        new java.util.concurrent.ConcurrentHashMap<>();

    private GrpcCalls() {
      started = Counter.builder().name("grpc_server_started_total")
          .help("RPCs started on the gRPC listener").labelNames("grpc_service", "grpc_method", "grpc_type")
          .register(registry);
      handled = Counter.builder().name("grpc_server_handled_total")
          .help("RPCs completed on the gRPC listener, by status code (CANCELLED when the client gave up)")
          .labelNames("grpc_service", "grpc_method", "grpc_type", "grpc_code").register(registry);
      handling = Histogram.builder().name("grpc_server_handling_seconds")
          .help("Time from an RPC's start to its status, on the gRPC listener")
          .labelNames("grpc_service", "grpc_method", "grpc_type")
          .classicOnly()
          .classicUpperBounds(LATENCY_BUCKETS)
          .register(registry);
    }

    /** One method's series, looked up once and kept. */
    public Method method(io.grpc.MethodDescriptor<?, ?> m) {
      Method known = methods.get(m.getFullMethodName());
      return known != null ? known : methods.computeIfAbsent(m.getFullMethodName(), k -> new Method(m));
    }

    /** One method's children: started, the handling time, and handled by status code (each made at its first use). */
    public final class Method {
      private final String service;
      private final String name;
      private final String type;
      private final CounterDataPoint startedCount;
      private final io.prometheus.metrics.core.datapoints.DistributionDataPoint time;
      private final CounterDataPoint[] byCode = new CounterDataPoint[io.grpc.Status.Code.values().length];

      private Method(io.grpc.MethodDescriptor<?, ?> m) {
        String service = m.getServiceName();
        this.service = service == null ? "" : service;
        this.name = m.getBareMethodName() == null ? m.getFullMethodName() : m.getBareMethodName();
        this.type = switch (m.getType()) {
          case UNARY -> "unary";
          case CLIENT_STREAMING -> "client_stream";
          case SERVER_STREAMING -> "server_stream";
          case BIDI_STREAMING -> "bidi_stream";
          case UNKNOWN -> "unknown";
        };
        startedCount = started.labelValues(this.service, name, type);
        time = handling.labelValues(this.service, name, type);
      }

      public void started() {
        startedCount.inc();
      }

      /** Counts one RPC completed with {@code code}, {@code nanos} after it started. */
      public void handled(io.grpc.Status.Code code, long nanos) {
        CounterDataPoint c = byCode[code.ordinal()];
        if (c == null) {
          c = handled.labelValues(service, name, type, code.name());
          byCode[code.ordinal()] = c;
        }
        c.inc();
        time.observe(nanos / 1e9);
      }
    }
  }

  /** The decision counters of one API ({@code ext_authz}, {@code decide}), for its exit. */
  public Decisions decisions(String api) {
    return new Decisions(api);
  }

  /**
   * `warden_decisions_total`'s children for one API, the latency histogram and the route
   * counters. A child is looked up once per outcome and status and kept: the label lookup would
   * otherwise build a key on every call. Races only ever store the same child.
   */
  public final class Decisions {
    private final String api;
    private final CounterDataPoint[][] rows = new CounterDataPoint[Outcome.values().length][];

    private Decisions(String api) {
      this.api = api;
    }

    /**
     * Counts one answered decision of {@code route} (the matched route's qualified name, or null)
     * that took {@code nanos} from arrival to answer.
     */
    public void decided(Outcome outcome, int status, String route, long nanos) {
      counter(outcome, status).inc();
      routeDecisions.decided(route, outcome);
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
      java.util.function.Supplier<java.util.List<String>> routes = declaredRoutes;
      if (routes != null) {
        routeDecisions.declared(routes.get());
      }
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
   * The decision log's series, read at scrape time, one set per sink (`sink` label: `file`,
   * `stdout`, `http`): `warden_decision_log_records_total{sink,state}` with `produced = delivered +
   * dropped + buffered + spooled`, the buffer, the spool, failed writes, refusals and damaged spool
   * tails; and the allows left out by sampling (before any sink, so without the label).
   */
  public void decisionLog(java.util.Map<String, java.util.function.Supplier<dev.warden.server.decisionlog.DecisionLogPipeline.Counts>> sinks,
      java.util.function.LongSupplier sampledOut) {
    io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("warden_decision_log_records_total")
        .help("Decision records by sink and state: produced (offered to the sink's buffer), delivered (written),"
            + " dropped (buffer or spool full, refused, or closed), spooled (on disk, waiting for the sink);"
            + " produced = delivered + dropped + buffered + spooled")
        .labelNames("sink", "state")
        .callback(cb -> sinks.forEach((sink, counts) -> {
          var c = counts.get();
          cb.call(c.produced(), sink, "produced");
          cb.call(c.delivered(), sink, "delivered");
          cb.call(c.dropped(), sink, "dropped");
          cb.call(c.spooled(), sink, "spooled");
        }))
        .register(registry);
    GaugeWithCallback.builder().name("warden_decision_log_buffered")
        .help("Decision records waiting for the sink's writer, in memory").labelNames("sink")
        .callback(cb -> sinks.forEach((sink, counts) -> cb.call(counts.get().buffered(), sink)))
        .register(registry);
    io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("warden_decision_log_sampled_out_total")
        .help("Allowed decisions not logged because of decision_log.sample_allows")
        .callback(cb -> cb.call(sampledOut.getAsLong())).register(registry);
    io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("warden_decision_log_write_failures_total")
        .help("Writes to the decision log's sink that failed and were retried").labelNames("sink")
        .callback(cb -> sinks.forEach((sink, counts) -> cb.call(counts.get().failedWrites(), sink)))
        .register(registry);
    io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("warden_decision_log_refused_total")
        .help("Decision records the sink refused for good (an HTTP collector's 4xx); part of dropped")
        .labelNames("sink")
        .callback(cb -> sinks.forEach((sink, counts) -> cb.call(counts.get().refused(), sink)))
        .register(registry);
    io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("warden_decision_log_spool_corrupt_total")
        .help("Spool segments found at start whose tail was not a whole record (a crash mid-write); the tail is"
            + " skipped").labelNames("sink")
        .callback(cb -> sinks.forEach((sink, counts) -> cb.call(counts.get().corruptTails(), sink)))
        .register(registry);
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

  /** Exports the local quota buckets' size and the draining buckets evicted for room. Called once. */
  public void quotaBuckets(java.util.function.LongSupplier size, java.util.function.LongSupplier evictedDraining) {
    GaugeWithCallback.builder().name("warden_quota_local_buckets")
        .help("Local quota buckets held (one per quota and key that is not full)")
        .callback(cb -> cb.call(size.getAsLong())).register(registry);
    io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("warden_quota_local_evicted_total")
        .help("Local quota buckets evicted for room while still draining (quota.local.max_keys): each let its key"
            + " start over with a full bucket")
        .callback(cb -> cb.call(evictedDraining.getAsLong())).register(registry);
  }

  /** Counts quota answers and fallbacks, for {@link dev.warden.server.quota.QuotaGate}. */
  public dev.warden.server.quota.QuotaGate.Listener quotaListener() {
    return new dev.warden.server.quota.QuotaGate.Listener() {
      @Override
      public void answered(java.util.List<dev.warden.policy.runtime.QuotaResult> results) {
        for (dev.warden.policy.runtime.QuotaResult r : results) {
          String id = r.quota().id();
          String result = r.via() == dev.warden.policy.runtime.QuotaResult.Via.NOT_CHARGED ? "not_charged"
              : r.admitted() ? "admitted" : r.quota().shadow() ? "shadow_limited" : "limited";
          quotaAnswers.labelValues(id, result).inc();
          switch (r.via()) {
            case FALLBACK_OPEN -> quotaFallbacks.labelValues(id, "open").inc();
            case FALLBACK_CLOSED -> quotaFallbacks.labelValues(id, "closed").inc();
            case FALLBACK_LOCAL -> quotaFallbacks.labelValues(id, "local").inc();
            default -> { }
          }
        }
      }

      @Override
      public void sharedFailed(Throwable cause) {
        quotaStoreFailures.inc();
      }
    };
  }

  public void heavyDecision() {
    heavyDecisions.inc();
  }

  public void overloaded() {
    overloaded.inc();
  }

  /**
   * A would-be decision, never enforced: `warden_shadow_decisions_total{source, bundle, changed}`,
   * source `rules` (the deciding bundle's shadow rules; bundle empty) or `bundle` (a shadow
   * bundle, by name), changed when it answers otherwise than the decision that stood.
   */
  public void shadowDecision(String source, String bundle, boolean changed) {
    shadowDecisions.labelValues(source, bundle, changed ? "true" : "false").inc();
  }

  private final Counter shadowDecisions = Counter.builder().name("warden_shadow_decisions_total")
      .help("Would-be decisions of shadow rules and shadow bundles, never enforced, by source (rules, bundle), shadow"
          + " bundle and whether they answer otherwise than the decision that stood")
      .labelNames("source", "bundle", "changed").register(registry);
}
