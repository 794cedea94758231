package dev.warden.server;

import dev.warden.bundle.BundleReadException;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.server.admin.AdminServer;
import dev.warden.server.admin.ServerMetrics;
import dev.warden.server.source.BundleSources;
import dev.warden.server.authz.Authorizer;
import dev.warden.server.authz.DecideRequestMapper;
import dev.warden.server.authz.DecisionIds;
import dev.warden.server.authz.DecisionRecord;
import dev.warden.server.authz.DecisionRecorder;
import dev.warden.server.authz.DecisionSink;
import dev.warden.server.authz.Deciding;
import dev.warden.server.authz.ExtAuthzService;
import dev.warden.server.authz.RequestMapper;
import dev.warden.server.authz.ResponseMapper;
import dev.warden.server.decide.DecisionsService;
import dev.warden.server.identity.IdentityResolver;
import dev.warden.server.identity.JwtVerifier;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar: loads the bundle, then serves ext_authz, the direct decide API
 * (`warden.v1.Decisions`), gRPC health and reflection on TCP or a
 * Unix socket, and the admin HTTP listener. Health is SERVING only while a bundle is active.
 * Lifecycle: {@link #start()}, then {@link #shutdown()} (a process told to stop): health
 * NOT_SERVING and `/ready` 503 while still answering for the drain period → {@link #close()}:
 * stop accepting → in-flight calls finish within the grace period → stop.
 */
public final class WardenServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WardenServer.class);

  private final ServerConfig config;
  private final Clock clock;
  /** Each configured bundle, in order, and the set Checks decide with. */
  private final BundleSet bundles;
  private final ServerMetrics metrics;
  private final HealthStatusManager health = new HealthStatusManager();
  private Server grpc;
  private Listen grpcListen;
  private AdminServer admin;
  /** The span of each call: {@link dev.warden.server.authz.CallTracing#OFF} unless `tracing.otlp.endpoint` is set. */
  private dev.warden.server.authz.CallTracing tracing = dev.warden.server.authz.CallTracing.OFF;
  /** The decision log, or null when neither `decision_log.path` nor `decision_log.http.url` is set. */
  private dev.warden.server.decisionlog.DecisionLogger decisionLog;
  /** One reloader per bundle, by name, in configuration order. */
  private final Map<String, BundleReloader> reloaders = new java.util.LinkedHashMap<>();
  /** Candidate bundles decided beside the served ones, never enforced (`shadow_bundle`). */
  private final dev.warden.server.authz.ShadowBundles shadows;
  /** The replica's own quota buckets, once started. */
  private dev.warden.server.quota.LocalBuckets quotaBuckets;
  /** The buckets of global quotas in Redis (`quota.redis`), or null. */
  private volatile dev.warden.server.quota.RedisBuckets redis;
  /** One reloader per shadow bundle, by its name in `/status` and metrics: `shadow:NAME`. */
  private final Map<String, BundleReloader> shadowReloaders = new java.util.LinkedHashMap<>();
  /** What the decision log knows of recent revisions ({@link #loggedBundle}). */
  private final Map<String, dev.warden.server.decisionlog.RecordEncoder.KnownBundle> loggedBundles =
      new java.util.concurrent.ConcurrentHashMap<>();
  private ExecutorService executor;
  /** Decides the heavy decisions, off the transport threads; null when calls run on {@link #executor}. */
  private ExecutorService heavy;
  /** Heavy decisions waiting beyond this are denied at once, as overload (fail closed). */
  private static final int HEAVY_QUEUE = 256;
  private EventLoopGroup boss;
  private EventLoopGroup workers;
  private final AtomicBoolean notServing = new AtomicBoolean();
  private final AtomicBoolean shuttingDown = new AtomicBoolean();
  private final AtomicBoolean closing = new AtomicBoolean();
  /** Counted down by {@link #hurry()}: the drain and the grace period end at once. */
  private final CountDownLatch hurry = new CountDownLatch(1);
  /** Counted down when {@link #close()} is done, for whoever asked to stop a second time. */
  private final CountDownLatch stopped = new CountDownLatch(1);

  public WardenServer(ServerConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
    this.metrics = new ServerMetrics(config.telemetry().maxRoutes());
    List<BundleSet.Member> members = new java.util.ArrayList<>();
    for (ServerConfig.NamedBundle b : config.bundles()) {
      members.add(new BundleSet.Member(b.name(), new ActiveBundle()));
    }
    this.bundles = new BundleSet(members);
    List<dev.warden.server.authz.ShadowBundles.Member> candidates = new java.util.ArrayList<>();
    for (ServerConfig.NamedBundle b : config.shadowBundles()) {
      candidates.add(new dev.warden.server.authz.ShadowBundles.Member(b.name(), b.name(), new ActiveBundle()));
    }
    this.shadows = new dev.warden.server.authz.ShadowBundles(candidates, bundles);
  }

  /** Thrown when the server cannot start; the message is for the operator. */
  public static final class StartException extends Exception {
    private static final long serialVersionUID = 1L;
    private final CompileResult diagnostics;

    StartException(String message, CompileResult diagnostics) {
      super(message);
      this.diagnostics = diagnostics;
    }

    /** The bundle's diagnostics when it did not compile, else null. */
    public CompileResult diagnostics() {
      return diagnostics;
    }
  }

  public void start() throws StartException, IOException, ServerConfig.ConfigException {
    metrics.jvm();
    metrics.declaredRoutes(this::declaredRoutes);
    loadBundle();
    loadShadowBundles();
    startDecisionLog();
    startTracing();
    JwtVerifier jwt = null;
    if (config.jwt() != null) {
      if (config.jwt().jwksFile() != null) {
        readable("identity.jwt.jwks_file", config.jwt().jwksFile());
      }
      jwt = new JwtVerifier(config.jwt(), clock);
      try {
        jwt.preload();
      } catch (RuntimeException e) {
        String from = config.jwt().jwksFile() != null ? "`identity.jwt.jwks_file` `" + config.jwt().jwksFile() + "`"
            : "`identity.jwt.jwks_url` `" + config.jwt().jwksUrl() + "`";
        throw new StartException("cannot load the JWKS from " + from + ": " + rootMessage(e), null);
      }
    }
    if (config.executorThreads() == 0) {
      heavy = new ThreadPoolExecutor(config.heavyThreads(), config.heavyThreads(), 0, TimeUnit.SECONDS,
          new ArrayBlockingQueue<>(HEAVY_QUEUE), daemon("warden-heavy"));
    }
    // With an executor of its own, every call is already off the transport thread: decided whole.
    Deciding deciding = new Deciding(heavy, config.decisionDeadline().toNanos(), metrics);
    // The one Authorizer, for both APIs; each API has its one exit (its service) and recorder.
    Authorizer authorizer = new Authorizer(bundles, new RequestMapper(clock, config.jwtAuthnMetadataKey()),
        new DecideRequestMapper(clock), new IdentityResolver(jwt, config.apiKeyHeader(), config.apiKeyData()),
        new DecisionIds(), deciding, config.failureStatus());
    if (!config.quota().mode().equals("off")) {
      authorizer = authorizer.withCharging(quotaGate());
    }
    // Where every answered decision goes besides metrics and the log line: decision logs go here.
    List<DecisionSink> sinks = decisionLog == null ? List.of() : List.of(decisionLog);
    ExtAuthzService authz = new ExtAuthzService(authorizer,
        new ResponseMapper(config.stripHeaders(), config.dynamicMetadata(), config.schemaPaths()),
        new DecisionRecorder(DecisionRecord.Api.EXT_AUTHZ, metrics, sinks, shadows), tracing);
    DecisionsService decide = new DecisionsService(authorizer,
        new DecisionRecorder(DecisionRecord.Api.DECIDE, metrics, sinks), tracing);
    grpcListen = Listen.parse(config.grpcListen(), "grpc.listen");
    NettyServerBuilder builder = grpcServer(grpcListen)
        .addService(authz)
        .addService(decide)
        .addService(health.getHealthService())
        .intercept(new GrpcMetricsInterceptor(metrics.grpcCalls()));
    if (config.reflection()) {
      // Off by default: reflection hands anyone who reaches the port the full API surface.
      builder.addService(ProtoReflectionServiceV1.newInstance());
    }
    grpc = builder.build().start();
    if (grpcListen.unix() != null) {
      UnixSockets.restrict(grpcListen.unix(), config.unixSocketMode());
    }
    Listen http = Listen.parse(config.httpListen(), "http.listen");
    if (http.tcp() == null) {
      throw new ServerConfig.ConfigException("`http.listen` must be HOST:PORT");
    }
    InetSocketAddress ops = null;
    if (config.opsListen() != null) {
      ops = Listen.parse(config.opsListen(), "http.ops_listen").tcp();
      if (ops == null) {
        throw new ServerConfig.ConfigException("`http.ops_listen` must be HOST:PORT");
      }
    }
    admin = new AdminServer(new AdminServer.Settings(http.tcp(), ops, config.httpRequestTimeout(),
        config.httpMaxConnections()), bundles, metrics, new AdminServer.BundleControl() {
          @Override
          public List<Map<String, Object>> status() {
            return java.util.stream.Stream.concat(reloaders.values().stream(), shadowReloaders.values().stream())
                .map(BundleReloader::status).toList();
          }

          @Override
          public CompletableFuture<Map<String, Object>> reload(String cause) {
            return WardenServer.this.reload(cause);
          }

          @Override
          public CompletableFuture<Map<String, Object>> rollback(String name, String cause) {
            return WardenServer.this.rollback(name, cause);
          }

          @Override
          public Map<String, Object> quota() {
            return WardenServer.this.quotaStatus();
          }
        });
    admin.start();
    for (BundleReloader r : reloaders.values()) {
      r.onReadinessChange(this::updateHealth);
      r.start();
    }
    // A shadow bundle never makes Warden unready: it enforces nothing.
    shadowReloaders.values().forEach(BundleReloader::start);
    updateHealth();
  }

  /**
   * The quota gate: local buckets always; the shared store of global quotas when `quota.redis` is
   * configured (else global quotas fall back, as when Redis is down).
   */
  private dev.warden.server.quota.QuotaGate quotaGate() throws ServerConfig.ConfigException {
    ServerConfig.QuotaSettings q = config.quota();
    quotaBuckets = new dev.warden.server.quota.LocalBuckets(q.localMaxKeys());
    dev.warden.server.quota.LocalBuckets buckets = quotaBuckets;
    metrics.quotaBuckets(buckets::size, buckets::evictedDraining);
    dev.warden.server.quota.QuotaGate.Shared shared = null;
    if (q.redis() != null) {
      try {
        redis = dev.warden.server.quota.RedisBuckets.connect(q.redis(), q.redisCluster(), q.redisTimeout(),
            q.redisCaFile());
      } catch (IllegalArgumentException e) {
        throw new ServerConfig.ConfigException(e.getMessage());
      }
      shared = redis::admit;
      log.info("global quotas: Redis {}{}", ServerConfig.shown(q.redis()), q.redisCluster() ? " (cluster)" : "");
    }
    return new dev.warden.server.quota.QuotaGate(quotaBuckets, shared, q.headers(), q.headersOnAllow(),
        metrics.quotaListener(), System::nanoTime).shadowing(q.mode().equals("shadow"));
  }

  /** `/status`'s `quota`: the mode, and Redis's connection when global quotas use one. */
  private Map<String, Object> quotaStatus() {
    Map<String, Object> out = new java.util.LinkedHashMap<>();
    out.put("mode", config.quota().mode());
    out.put("local_buckets", quotaBuckets == null ? 0 : quotaBuckets.size());
    dev.warden.server.quota.RedisBuckets r = redis;
    if (r != null) {
      dev.warden.server.quota.SharedBuckets.Health h = r.health();
      Map<String, Object> redisState = new java.util.LinkedHashMap<>();
      redisState.put("reachable", h.reachable());
      redisState.put("since", h.since() == null ? null : h.since().toString());
      redisState.put("last_error", h.lastError());
      redisState.put("reconnect_attempts", h.reconnectAttempts());
      out.put("redis", redisState);
    }
    return out;
  }

  /** SERVING while a bundle is active and not stale; NOT_SERVING once shutting down, for good. */
  private synchronized void updateHealth() {
    if (notServing.get()) {
      return;
    }
    boolean stale = reloaders.values().stream().anyMatch(BundleReloader::stale);
    ServingStatus s = stale ? ServingStatus.NOT_SERVING : ServingStatus.SERVING;
    health.setStatus("", s);
    health.setStatus(AuthorizationGrpc.SERVICE_NAME, s);
  }

  private void loadBundle() throws StartException {
    boolean several = config.bundles().size() > 1;
    for (int i = 0; i < config.bundles().size(); i++) {
      ServerConfig.NamedBundle b = config.bundles().get(i);
      java.nio.file.Path persist = config.reload().persistDir() == null ? null
          : several ? config.reload().persistDir().resolve(b.name()) : config.reload().persistDir();
      BundleReloader r;
      try {
        r = new BundleReloader(b.name(), BundleSources.of(b.location(), config.reload().remote()), config.reload(),
            bundles.members().get(i).bundle(), metrics, clock, persist,
            several ? "warden-bundle-" + b.name() : "warden-bundle");
      } catch (IllegalArgumentException e) {
        throw new StartException("bundle `" + b.name() + "`: " + e.getMessage(), null);
      }
      reloaders.put(b.name(), r);
      CompileResult result;
      try {
        result = r.loadFirst();
      } catch (BundleReadException e) {
        metrics.bundle(b.name()).loadFailed();
        throw new StartException(several ? "bundle `" + b.name() + "`: " + e.getMessage() : e.getMessage(), null);
      }
      if (!result.ok()) {
        metrics.bundle(b.name()).loadFailed();
        throw new StartException("bundle " + (several ? "`" + b.name() + "` (" + ServerConfig.shown(b.location()) + ")"
            : ServerConfig.shown(b.location())) + " has " + result.errors().size() + " error(s)", result);
      }
      if (log.isDebugEnabled()) {
        result.stages().forEach(t -> log.debug("bundle {}: stage {}: {} µs", b.name(), t.stage(), t.nanos() / 1_000));
      }
    }
  }

  /**
   * Loads each shadow bundle. One that cannot be read or compiled at start does not stop Warden,
   * which enforces the served bundles only: it is logged, counted, and tried again as the bundle
   * changes (its reloader watches or polls it like any other).
   */
  private void loadShadowBundles() throws StartException {
    List<ServerConfig.NamedBundle> configured = config.shadowBundles();
    for (int i = 0; i < configured.size(); i++) {
      ServerConfig.NamedBundle b = configured.get(i);
      String name = "shadow:" + b.name();
      BundleReloader r;
      try {
        r = new BundleReloader(name, BundleSources.of(b.location(), config.reload().remote()), config.reload(),
            shadows.members().get(i).bundle(), metrics, clock, null, "warden-bundle-shadow-" + b.name());
      } catch (IllegalArgumentException e) {
        throw new StartException("shadow bundle `" + b.name() + "`: " + e.getMessage(), null);
      }
      shadowReloaders.put(name, r);
      try {
        CompileResult result = r.loadFirst();
        if (!result.ok()) {
          metrics.bundle(name).loadFailed();
          log.warn("shadow bundle `{}` ({}) has {} error(s); nothing is shadowed until it compiles:\n{}", b.name(),
              ServerConfig.shown(b.location()), result.errors().size(), result.render());
        } else {
          log.info("shadow bundle `{}`: {} (revision {}), decided beside the served bundles, never enforced",
              b.name(), ServerConfig.shown(b.location()), r.revision());
        }
      } catch (BundleReadException e) {
        metrics.bundle(name).loadFailed();
        log.warn("shadow bundle `{}` cannot be read ({}); nothing is shadowed until it can", b.name(), e.getMessage());
      }
    }
  }

  /**
   * Opens the decision log's sinks, each with its own pipeline: the file or stdout
   * (`decision_log.path`) and the HTTP collector (`decision_log.http.url`, spooled when
   * `decision_log.spool.dir` is set), when set.
   */
  private void startDecisionLog() throws StartException {
    ServerConfig.DecisionLogSettings s = config.decisionLog();
    if (!s.on() && config.decisionLogOtlp() == null) {
      return;
    }
    java.util.Map<String, dev.warden.server.decisionlog.DecisionLogPipeline> pipelines = new java.util.LinkedHashMap<>();
    try {
      if (s.path() != null) {
        dev.warden.server.decisionlog.LogSink sink;
        try {
          sink = s.path().equals("stdout") ? new dev.warden.server.decisionlog.ConsoleSink(System.out)
              : new dev.warden.server.decisionlog.RotatingFileSink(java.nio.file.Path.of(s.path()), s.maxFileBytes(),
                  s.maxFiles(), s.maxFileAge(), System::nanoTime);
        } catch (IOException e) {
          throw new StartException("cannot open the decision log `" + s.path() + "`: " + e.getMessage(), null);
        }
        pipelines.put(s.path().equals("stdout") ? "stdout" : "file",
            new dev.warden.server.decisionlog.DecisionLogPipeline(sink, s.buffer(), 512, Duration.ofSeconds(1)));
        log.info("decision log: {} (buffer {} records)", sink.describe(), s.buffer());
      }
      if (s.http() != null) {
        ServerConfig.HttpCollector h = s.http();
        dev.warden.server.decisionlog.LogSink sink;
        try {
          sink = new dev.warden.server.decisionlog.HttpCollectorSink(h.url(), h.maxBatchBytes(), h.timeout(),
              h.tokenFile(), h.opa() ? dev.warden.server.decisionlog.HttpCollectorSink.opaEvents(
                  java.util.UUID.randomUUID().toString(), wardenVersion()) : java.util.function.UnaryOperator.identity());
        } catch (IOException e) {
          throw new StartException("cannot start the decision log collector: " + e.getMessage(), null);
        }
        ServerConfig.SpoolSettings spool = s.spool();
        if (spool == null) {
          pipelines.put("http",
              new dev.warden.server.decisionlog.DecisionLogPipeline(sink, s.buffer(), 512, Duration.ofSeconds(1)));
        } else {
          try {
            pipelines.put("http", dev.warden.server.decisionlog.DecisionLogPipeline.spooled(sink, s.buffer(), 512,
                Duration.ofSeconds(1), spool.dir(), spool.maxBytes()));
          } catch (IOException e) {
            throw new StartException("cannot open the decision log spool `" + spool.dir() + "`: " + e.getMessage(),
                null);
          }
        }
        log.info("decision log: {} (buffer {} records, batches of at most {} bytes, {})", sink.describe(), s.buffer(),
            h.maxBatchBytes(), spool == null ? "no spool" : "spooled to " + spool.dir() + " up to " + spool.maxBytes()
            + " bytes");
      }
      if (config.decisionLogOtlp() != null) {
        dev.warden.server.decisionlog.LogSink sink = otlpLogSink();
        pipelines.put("otlp",
            new dev.warden.server.decisionlog.DecisionLogPipeline(sink, s.buffer(), 512, Duration.ofSeconds(1)));
        log.info("decision log: {} (buffer {} records)", sink.describe(), s.buffer());
      }
    } catch (StartException e) {
      pipelines.values().forEach(p -> p.close(Duration.ofSeconds(1)));
      throw e;
    }
    dev.warden.server.decisionlog.ValueHasher hasher;
    try {
      hasher = s.hashKeyFile() == null ? dev.warden.server.decisionlog.ValueHasher.random()
          : dev.warden.server.decisionlog.ValueHasher.fromFile(s.hashKeyFile());
    } catch (IOException | IllegalArgumentException e) {
      pipelines.values().forEach(p -> p.close(Duration.ofSeconds(1)));
      throw new StartException("cannot use `decision_log.hash_key_file` `" + s.hashKeyFile() + "`: "
          + e.getMessage(), null);
    }
    dev.warden.server.decisionlog.RecordEncoder encoder = new dev.warden.server.decisionlog.RecordEncoder(
        dev.warden.server.decisionlog.Masking.defaults(config.apiKeyHeader(), hasher), this::loggedBundle,
        clock.instant(), System.nanoTime());
    decisionLog = new dev.warden.server.decisionlog.DecisionLogger(encoder, pipelines, s.sampleAllows());
    java.util.Map<String, java.util.function.Supplier<dev.warden.server.decisionlog.DecisionLogPipeline.Counts>> counts =
        new java.util.LinkedHashMap<>();
    pipelines.forEach((name, p) -> counts.put(name, p::counts));
    metrics.decisionLog(counts, decisionLog::sampledOut);
    log.info("decision log: allows sampled at {}, hash key {}", s.sampleAllows(),
        hasher.randomKey() ? "random for this run" : "from decision_log.hash_key_file");
  }

  /** The OTLP sink of the decision log (`decision_log.otlp.*`), its headers file read. */
  private dev.warden.server.decisionlog.LogSink otlpLogSink() throws StartException {
    try {
      return dev.warden.server.telemetry.OtlpLogSink.of(config.decisionLogOtlp(), config.tracing().serviceName(), clock);
    } catch (IllegalArgumentException e) {
      throw new StartException(e.getMessage(), null);
    }
  }

  /** Starts the SDK's tracing when `tracing.otlp.endpoint` is set; else tracing stays off and costs nothing. */
  private void startTracing() throws StartException {
    if (!config.tracing().on()) {
      return;
    }
    try {
      tracing = dev.warden.server.telemetry.OtlpTracing.of(config.tracing());
    } catch (IllegalArgumentException e) {
      throw new StartException(e.getMessage(), null);
    }
    if (tracing instanceof dev.warden.server.telemetry.OtlpTracing t) {
      metrics.tracing(t::counts);
    }
    log.info("tracing: spans to OTLP {} (sampled at {}, parent-based)", config.tracing().otlp().endpoint(),
        config.tracing().sampleRatio());
  }

  /** The tracing of the calls: {@link dev.warden.server.authz.CallTracing#OFF} when `tracing.otlp.endpoint` is unset. */
  public dev.warden.server.authz.CallTracing tracing() {
    return tracing;
  }

  /** The routes every active bundle declares, in configuration and declaration order: the route labels' source. */
  private List<String> declaredRoutes() {
    List<String> out = new java.util.ArrayList<>();
    for (BundleSet.Member m : bundles.members()) {
      dev.warden.policy.compile.Program p = m.bundle().snapshot().program();
      if (p != null) {
        out.addAll(p.routeNames());
      }
    }
    return out;
  }

  /**
   * The name, full digest and `redact log` entries of the bundle that shows {@code revision}, or
   * null when neither the active nor the previous bundle of any reloader does. Remembered by
   * revision (a revision names its content), a few at a time, so that a record does not rebuild
   * its bundle's redactions.
   */
  private dev.warden.server.decisionlog.RecordEncoder.KnownBundle loggedBundle(String revision) {
    dev.warden.server.decisionlog.RecordEncoder.KnownBundle known = loggedBundles.get(revision);
    if (known != null) {
      return known;
    }
    for (BundleReloader r : reloaders.values()) {
      Map.Entry<dev.warden.policy.compile.Program, String> served = r.served(revision);
      if (served != null) {
        known = new dev.warden.server.decisionlog.RecordEncoder.KnownBundle(
            dev.warden.proto.v1.LoggedBundle.newBuilder().setName(r.name()).setRevision(revision)
                .setDigest(served.getValue().isEmpty() ? "" : "sha256:" + served.getValue()).build(),
            dev.warden.server.decisionlog.PolicyRedactions.of(served.getKey().logRedactions()));
        if (loggedBundles.size() >= 16) {
          loggedBundles.clear();
        }
        loggedBundles.put(revision, known);
        return known;
      }
    }
    return null;
  }


  /**
   * Warden's version, as `warden --version` prints it (the build's `version.properties`), or
   * `unknown` for classes built without Maven's resource filtering.
   */
  public static String wardenVersion() {
    return dev.warden.server.telemetry.Telemetry.version();
  }

  /**
   * Checks every bundle now (SIGHUP, `POST /bundles/reload`), each on its reload thread; the
   * future completes with what the checks found, as the JSON `POST /bundles/reload` answers: the
   * outcome itself for one bundle, `{"bundles": {NAME: outcome, …}}` for several.
   */
  public CompletableFuture<Map<String, Object>> reload(String cause) {
    if (reloaders.isEmpty()) {
      return CompletableFuture.failedFuture(new IllegalStateException("Warden has not started"));
    }
    // Shadow bundles are checked too; the answer is the served bundles'.
    shadowReloaders.values().forEach(r -> r.checkNow(cause));
    if (reloaders.size() == 1) {
      return reloaders.values().iterator().next().checkNow(cause).thenApply(BundleReloader.Outcome::toMap);
    }
    Map<String, CompletableFuture<BundleReloader.Outcome>> each = new java.util.LinkedHashMap<>();
    reloaders.forEach((name, r) -> each.put(name, r.checkNow(cause)));
    return CompletableFuture.allOf(each.values().toArray(new CompletableFuture<?>[0])).thenApply(done -> {
      Map<String, Object> by = new java.util.LinkedHashMap<>();
      each.forEach((name, f) -> by.put(name, f.join().toMap()));
      return Map.of("bundles", by);
    });
  }

  /**
   * Rolls bundle {@code name} back (null: the only bundle) to its previous revision.
   *
   * @throws IllegalArgumentException when there is no such bundle, or several and no name
   */
  public CompletableFuture<Map<String, Object>> rollback(String name, String cause) {
    BundleReloader r = name == null && reloaders.size() == 1 ? reloaders.values().iterator().next()
        : name == null ? null : reloaders.get(name);
    if (r == null) {
      throw new IllegalArgumentException(name == null
          ? "Warden serves several bundles: name the one to roll back (" + String.join(", ", reloaders.keySet()) + ")"
          : "no bundle is called `" + name + "`; the bundles are " + String.join(", ", reloaders.keySet()));
    }
    return r.rollbackNow(cause).thenApply(BundleReloader.Outcome::toMap);
  }

  private NettyServerBuilder grpcServer(Listen listen) throws IOException, StartException {
    NettyServerBuilder b;
    if (listen.unix() != null) {
      UnixSockets.prepare(listen.unix());
      boss = new EpollEventLoopGroup(1);
      workers = new EpollEventLoopGroup();
      b = NettyServerBuilder.forAddress(new DomainSocketAddress(listen.unix().toFile()))
          .channelType(EpollServerDomainSocketChannel.class)
          .bossEventLoopGroup(boss)
          .workerEventLoopGroup(workers);
      UnixSockets.withoutKeepAlive(b);
    } else {
      b = NettyServerBuilder.forAddress(listen.tcp());
      if (config.tlsCert() != null) {
        b.sslContext(tls());
      }
    }
    ReadBatching.apply(b, config.readBatchBytes());
    b.maxConcurrentCallsPerConnection(config.maxConcurrentCalls())
        .maxInboundMessageSize(8 << 20)
        .maxInboundMetadataSize(64 << 10)
        .permitKeepAliveTime(10, TimeUnit.SECONDS);
    if (config.executorThreads() == 0) {
      // Deciding never blocks (no I/O on the request path), so the transport thread decides.
      b.directExecutor();
    } else {
      executor = new ThreadPoolExecutor(config.executorThreads(), config.executorThreads(), 0, TimeUnit.SECONDS,
          new ArrayBlockingQueue<>(4096), daemon("warden-authz"));
      b.executor(executor);
    }
    return b;
  }

  /** The TLS context, or a start error naming the files that do not make one. */
  private SslContext tls() throws StartException {
    readable("grpc.tls.cert", config.tlsCert());
    readable("grpc.tls.key", config.tlsKey());
    if (config.tlsClientCa() != null) {
      readable("grpc.tls.client_ca", config.tlsClientCa());
    }
    try {
      SslContextBuilder ssl = GrpcSslContexts.forServer(config.tlsCert().toFile(), config.tlsKey().toFile());
      if (config.tlsClientCa() != null) {
        ssl.trustManager(config.tlsClientCa().toFile()).clientAuth(ClientAuth.REQUIRE);
      }
      return ssl.build();
    } catch (IOException | RuntimeException e) {
      throw new StartException("cannot serve TLS with `grpc.tls.cert` `" + config.tlsCert() + "` and `grpc.tls.key` `"
          + config.tlsKey() + "`" + (config.tlsClientCa() == null ? "" : " and `grpc.tls.client_ca` `"
          + config.tlsClientCa() + "`") + ": " + rootMessage(e), null);
    }
  }

  /**
   * Fails the start, naming the key and the path as resolved, when a file Warden must read is
   * not there: the TLS and JWKS libraries would name only the path, or say something else
   * ("file does not contain valid certificates").
   */
  private static void readable(String key, java.nio.file.Path file) throws StartException {
    String why = !Files.exists(file) ? "no such file"
        : !Files.isRegularFile(file) ? "not a file"
        : !Files.isReadable(file) ? "permission denied" : null;
    if (why != null) {
      throw new StartException("cannot read `" + key + "` `" + file + "`: " + why, null);
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** Where gRPC listens: the bound TCP address (port 0 resolved), or the Unix socket. */
  public String grpcAddress() {
    if (grpcListen.unix() != null) {
      return grpcListen.toString();
    }
    InetSocketAddress bound = (InetSocketAddress) grpc.getListenSockets().get(0);
    return bound.getHostString() + ":" + bound.getPort();
  }

  public InetSocketAddress adminAddress() {
    return admin.address();
  }

  /** The ops listener's address, or null when `/status` and `/metrics` share the admin listener. */
  public InetSocketAddress opsAddress() {
    return admin.opsAddress();
  }

  /** The first bundle (the only one, mostly). */
  public ActiveBundle bundle() {
    return bundles.members().get(0).bundle();
  }

  /** Every bundle, as Checks see them. */
  public BundleSet bundles() {
    return bundles;
  }

  /**
   * The orderly stop of a serving process, on SIGTERM or SIGINT: gRPC health turns NOT_SERVING and
   * `/ready` 503 at once, while both listeners go on answering for `shutdown.drain`. Envoy's
   * health checks and the kubelet's readiness probe see that and stop sending before anything is
   * refused; only then does {@link #close()} stop the listeners and give calls in flight
   * `shutdown.grace`. {@link #hurry()} cuts both waits short. A second call waits for the first.
   */
  public void shutdown() {
    if (!shuttingDown.compareAndSet(false, true)) {
      awaitStopped();
      return;
    }
    notServing();
    Duration drain = config.shutdownDrain();
    if (!drain.isZero()) {
      log.info("shutting down: not ready (gRPC health NOT_SERVING, /ready 503) for {} while still answering,"
          + " then up to {} for calls in flight", text(drain), text(config.shutdownGrace()));
      try {
        if (hurry.await(drain.toNanos(), TimeUnit.NANOSECONDS)) {
          log.info("drain cut short");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    close();
  }

  /** Ends the drain and the grace period now: calls still in flight are cancelled. */
  public void hurry() {
    hurry.countDown();
  }

  /** Stops at once, without a drain: health NOT_SERVING, stop accepting, calls in flight get `shutdown.grace`. */
  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      awaitStopped();
      return;
    }
    try {
      notServing();
      reloaders.values().forEach(BundleReloader::close);
      shadowReloaders.values().forEach(BundleReloader::close);
      if (grpc != null) {
        stopGrpc();
      }
      if (decisionLog != null) {
        // After the listeners: every answered call's record is in the buffer; write it all out.
        decisionLog.close(Duration.ofSeconds(10)).forEach((sink, c) -> log.info(
            "decision log to {} closed: {} produced, {} delivered, {} dropped, {} left, {} spooled for the next start",
            sink, c.produced(), c.delivered(), c.dropped(), c.buffered(), c.spooled()));
      }
      if (tracing instanceof dev.warden.server.telemetry.OtlpTracing t) {
        // After gRPC: every call's span has ended; export what is queued, then stop the SDK.
        if (!t.close(Duration.ofSeconds(10))) {
          log.warn("tracing: not every queued span could be exported to {} before the SDK stopped", t.describe());
        }
      }
      if (admin != null) {
        admin.close();
      }
      if (redis != null) {
        redis.close();
      }
      if (executor != null) {
        executor.shutdownNow();
      }
      if (heavy != null) {
        heavy.shutdownNow();
      }
      if (boss != null) {
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      }
    } finally {
      stopped.countDown();
    }
  }

  private synchronized void notServing() {
    if (notServing.compareAndSet(false, true)) {
      health.enterTerminalState();
      if (admin != null) {
        admin.draining();
      }
    }
  }

  /** No new calls or connections; those in flight may finish within the grace period, or until {@link #hurry()}. */
  private void stopGrpc() {
    grpc.shutdown();
    try {
      long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
      for (long left = deadline - System.nanoTime(); !grpc.isTerminated() && left > 0 && hurry.getCount() > 0;
          left = deadline - System.nanoTime()) {
        grpc.awaitTermination(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)), TimeUnit.NANOSECONDS);
      }
      if (!grpc.isTerminated()) {
        log.warn("calls still in flight {}: cancelled", hurry.getCount() == 0 ? "when told to stop now"
            : "after `shutdown.grace` (" + text(config.shutdownGrace()) + ")");
        grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      grpc.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private void awaitStopped() {
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String text(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  private static String rootMessage(Throwable t) {
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
