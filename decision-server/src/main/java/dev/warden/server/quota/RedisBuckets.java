package dev.warden.server.quota;

import dev.warden.policy.runtime.QuotaCharge;
import dev.warden.policy.runtime.QuotaResult;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions.RefreshTrigger;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.event.Event;
import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import io.lettuce.core.event.connection.ConnectionDeactivatedEvent;
import io.lettuce.core.event.connection.ReconnectAttemptEvent;
import io.lettuce.core.event.connection.ReconnectFailedEvent;
import io.lettuce.core.metrics.CommandLatencyRecorder;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

/**
 * The buckets of global quotas in Redis, shared by every replica that names the same Redis.
 *
 * <p><b>Atomicity.</b> A request's charges go to Redis as one Lua script ({@code EVALSHA}, and
 * {@code EVAL} when Redis does not know the script yet): Redis runs a script alone, so no other
 * replica's request comes in between its reads and its writes. The script checks every enforced
 * bucket first and charges them all only when all admit; a shadow bucket is charged alone. So a
 * refused request spends nothing and an admitted one is charged exactly once, whichever replica
 * asks, with the semantics of {@link dev.warden.policy.runtime.QuotaAdmission}, one round trip a
 * request.
 *
 * <p><b>Time.</b> The script takes the time from Redis ({@code TIME}), in µs, so every replica
 * reads the one clock and a replica's skewed clock changes nothing; a bucket is GCRA's one number,
 * the µs at which it is full again, stored with a TTL of the time until then, so that a full bucket
 * vanishes from Redis (forgetting a full bucket changes nothing). Should Redis's clock step back,
 * buckets look emptier than they are for that long (requests refused early, never admitted beyond
 * the rate); a failover to a replica with another clock does the same by the clocks' difference.
 *
 * <p><b>Accuracy.</b> Exactly {@link dev.warden.policy.runtime.Gcra} but in µs: a token's interval
 * is rounded up to the µs (at least 1), so the rate admitted is never above the declared one and
 * is below it by less than 1 µs an interval (a rate above 1,000,000 tokens a second a key is held
 * to 1,000,000). Lua computes in doubles, exact for times and tolerances below 2^53 µs (285
 * years; {@link dev.warden.policy.runtime.Quota} keeps fills within 366 days).
 *
 * <p><b>Failure.</b> Never blocks: every call is asynchronous, with a deadline (the timeout, 50 ms
 * by default) after which the answer is a {@link RedisUnavailable}. Lettuce reconnects by itself
 * with jittered exponential backoff (10 ms doubling to 2 s); while disconnected, commands are
 * rejected at once rather than queued, and at most {@value #QUEUE} may wait for an answer. The
 * first connection is retried the same way, so a sidecar starts while Redis is down. An admit
 * answered {@link RedisUnavailable} for its deadline may still have been charged, had Redis run
 * the script late: the quotas' fallback decides the request, and the tokens come back by
 * themselves. {@link #health} follows the connection's events and the answers.
 *
 * <p><b>Redis Cluster.</b> Keys of one request may be in different slots, which no one script
 * can span. The charges are grouped by slot and each group runs the script on its own, all
 * groups at once: within a slot, all or none as above. When a group refuses, the enforced charges
 * of the groups that admitted are given back by a second script (each bucket's state less its cost
 * times its interval). So a refused request keeps no charge once the give-back has run, and no
 * request is admitted beyond a limit; but between the charge and the give-back (one round trip),
 * another request may find those buckets charged and be refused by tokens that a moment later are
 * there again, as with the local buckets' lock-free admission. Should Redis fail between the two
 * (a timeout, a lost node), the charges already made stay: the request is answered
 * {@link RedisUnavailable} and its quotas' fallback applies, and the buckets refill by themselves.
 * A request whose keys share one slot is exact. The give-back is sent before the refusal is
 * answered, so the replica's next request to that slot comes after it. The client follows the
 * topology (redirects, reconnects, every 30 s) and connects to every node serving slots before the
 * first admit; a node that joins later fails the first admit routed to it (connections are opened
 * on first use, and commands are not queued). Health in a cluster is coarser: any node's events
 * and answers move it.
 */
public final class RedisBuckets implements SharedBuckets {
  /** The deadline of one admit, when the configuration sets none. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(50);
  /** How long a connection (TCP, TLS and the handshake) may take. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
  /** Commands that may wait for an answer on one connection; beyond, an admit fails at once. */
  static final int QUEUE = 4096;

  private static final Logger log = LoggerFactory.getLogger(RedisBuckets.class);

  private final RedisUrl url;
  private final boolean cluster;
  private final Duration timeout;
  private final ClientResources resources;
  private final AbstractRedisClient client;
  private final Disposable events;
  private final String admitSha;
  private final AtomicReference<State> state;
  private final AtomicLong reconnectAttempts = new AtomicLong();
  private volatile StatefulConnection<String, String> connection;
  private volatile RedisScriptingAsyncCommands<String, String> commands;
  private volatile boolean closed;

  private record State(boolean reachable, Instant since, String lastError) {}

  private RedisBuckets(RedisUrl url, boolean cluster, Duration timeout, Path caFile) {
    this.url = url;
    this.cluster = cluster;
    this.timeout = timeout;
    this.state = new AtomicReference<>(new State(false, Instant.now(), "connecting to " + url.display()));
    this.resources = ClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2)
        .reconnectDelay(Delay.equalJitter(Duration.ofMillis(10), Duration.ofSeconds(2), 10, TimeUnit.MILLISECONDS))
        .commandLatencyRecorder(CommandLatencyRecorder.disabled()).build();
    SocketOptions socket = SocketOptions.builder().connectTimeout(CONNECT_TIMEOUT).keepAlive(true).build();
    SslOptions.Builder ssl = SslOptions.builder().jdkSslProvider();
    if (caFile != null) {
      ssl.trustManager(caFile.toFile());
    }
    if (cluster) {
      RedisClusterClient c = RedisClusterClient.create(resources, url.uri());
      c.setOptions(ClusterClientOptions.builder().autoReconnect(true)
          .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).requestQueueSize(QUEUE)
          .timeoutOptions(TimeoutOptions.enabled(timeout)).socketOptions(socket).sslOptions(ssl.build())
          .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder().enableAdaptiveRefreshTrigger(
              RefreshTrigger.MOVED_REDIRECT, RefreshTrigger.ASK_REDIRECT, RefreshTrigger.PERSISTENT_RECONNECTS,
              RefreshTrigger.UNCOVERED_SLOT, RefreshTrigger.UNKNOWN_NODE)
              .enablePeriodicRefresh(Duration.ofSeconds(30)).build())
          .build());
      this.client = c;
    } else {
      RedisClient c = RedisClient.create(resources);
      c.setOptions(ClientOptions.builder().autoReconnect(true)
          .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).requestQueueSize(QUEUE)
          .timeoutOptions(TimeoutOptions.enabled(timeout)).socketOptions(socket).sslOptions(ssl.build()).build());
      this.client = c;
    }
    this.events = resources.eventBus().get().subscribe(this::onEvent);
    this.admitSha = sha1(QuotaScript.ADMIT);
  }

  /**
   * Opens the buckets in the Redis of {@code url} (the setting {@code quota.redis}) and starts
   * connecting, without waiting for it: until connected, {@link #admit} fails fast and
   * {@link #health} says why.
   *
   * @param url {@code redis://[[user]:password@]host[:port][/db]}, or {@code rediss://…} for TLS
   * @param cluster whether {@code url} is one node of a Redis Cluster (its other nodes are discovered)
   * @param timeout the deadline of one admit ({@link #DEFAULT_TIMEOUT} when null)
   * @param caFile with TLS: a PEM file of the CA certificates to trust instead of the JVM's; or null
   * @throws IllegalArgumentException when {@code url}, {@code timeout} or {@code caFile} is unusable,
   *     naming {@code quota.redis}
   */
  public static RedisBuckets connect(String url, boolean cluster, Duration timeout, Path caFile) {
    Duration t = timeout == null ? DEFAULT_TIMEOUT : timeout;
    if (t.isNegative() || t.isZero()) {
      throw new IllegalArgumentException("`" + RedisUrl.KEY + "`: the timeout " + t.toMillis()
          + "ms is not positive; " + DEFAULT_TIMEOUT.toMillis() + "ms is the default");
    }
    RedisBuckets b = new RedisBuckets(RedisUrl.parse(url, cluster, CONNECT_TIMEOUT, caFile), cluster, t, caFile);
    b.connectFirst(0);
    return b;
  }

  @Override
  public CompletionStage<List<QuotaResult>> admit(List<QuotaCharge> charges) {
    CompletableFuture<List<QuotaResult>> out = new CompletableFuture<>();
    RedisScriptingAsyncCommands<String, String> c = commands;
    if (charges.isEmpty()) {
      out.complete(List.of());
      return out;
    }
    if (closed) {
      out.completeExceptionally(new RedisUnavailable("the quota store for " + url.display() + " is closed", null));
      return out;
    }
    if (c == null) {
      out.completeExceptionally(new RedisUnavailable("redis " + url.display() + " is not connected yet ("
          + state.get().lastError() + "); the client keeps trying", null));
      return out;
    }
    CompletableFuture<List<QuotaResult>> answer;
    try {
      answer = cluster ? admitBySlot(c, charges) : admitOne(c, charges).thenApply(QuotaScript::allOrNone);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    answer.orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS).whenComplete((r, e) -> {
      if (e == null) {
        note(true, null);
        out.complete(r);
      } else {
        out.completeExceptionally(unavailable(e));
      }
    });
    return out;
  }

  @Override
  public Health health() {
    State s = state.get();
    return new Health(s.reachable(), s.since(), s.lastError(), reconnectAttempts.get());
  }

  @Override
  public void close() {
    closed = true;
    commands = null;
    events.dispose();
    StatefulConnection<String, String> c = connection;
    if (c != null) {
      c.close();
    }
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3000);
  }

  /** One script for {@code charges}, whose keys are one slot's (or any, outside a cluster). */
  private CompletableFuture<List<QuotaResult>> admitOne(RedisScriptingAsyncCommands<String, String> c,
      List<QuotaCharge> charges) {
    String[] keys = charges.stream().map(BucketKeys::of).toArray(String[]::new);
    return script(c, QuotaScript.ADMIT, admitSha, ScriptOutputType.MULTI, keys, QuotaScript.admitArgs(charges))
        .thenApply(reply -> QuotaScript.answers(charges, reply));
  }

  /** Redis Cluster: one script a slot, all at once; the admitted slots give back when another refused. */
  private CompletableFuture<List<QuotaResult>> admitBySlot(RedisScriptingAsyncCommands<String, String> c,
      List<QuotaCharge> charges) {
    Map<Integer, List<Integer>> bySlot = new LinkedHashMap<>();
    for (int i = 0; i < charges.size(); i++) {
      bySlot.computeIfAbsent(SlotHash.getSlot(BucketKeys.of(charges.get(i))), s -> new ArrayList<>()).add(i);
    }
    if (bySlot.size() == 1) {
      return admitOne(c, charges).thenApply(QuotaScript::allOrNone);
    }
    List<CompletableFuture<List<QuotaResult>>> calls = new ArrayList<>();
    for (List<Integer> indices : bySlot.values()) {
      calls.add(admitOne(c, indices.stream().map(charges::get).toList()));
    }
    return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).handle((v, e) -> {
      QuotaResult[] all = new QuotaResult[charges.size()];
      List<List<QuotaResult>> answered = new ArrayList<>();
      boolean refused = false;
      int g = 0;
      for (List<Integer> indices : bySlot.values()) {
        CompletableFuture<List<QuotaResult>> call = calls.get(g++);
        List<QuotaResult> answers = call.isCompletedExceptionally() ? null : call.getNow(null);
        refused |= answers == null || QuotaScript.refused(answers);
        answered.add(answers);
        for (int k = 0; answers != null && k < indices.size(); k++) {
          all[indices.get(k)] = answers.get(k);
        }
      }
      if (refused) {
        for (List<QuotaResult> answers : answered) {
          if (answers != null && !QuotaScript.refused(answers)) {
            giveBack(c, answers);
          }
        }
      }
      if (e != null) {
        throw e instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(e);
      }
      return QuotaScript.allOrNone(Arrays.asList(all));
    });
  }

  /** Takes the enforced charges of {@code admitted} back out of their buckets; best effort, not awaited. */
  private void giveBack(RedisScriptingAsyncCommands<String, String> c, List<QuotaResult> admitted) {
    List<String> keys = new ArrayList<>();
    List<String> micros = new ArrayList<>();
    for (QuotaResult r : admitted) {
      if (!r.quota().shadow() && r.charge().cost() > 0) {
        keys.add(BucketKeys.of(r.charge()));
        micros.add(Long.toString(r.charge().cost() * QuotaScript.intervalMicros(r.charge())));
      }
    }
    if (keys.isEmpty()) {
      return;
    }
    // EVAL, not EVALSHA: a NOSCRIPT answer would send the give-back after this request's answer, and
    // after the next request on the same connection; as it is, the give-back comes first on its slot's
    // connection (give-backs are rare: the script's text costs little)
    c.<Long>eval(QuotaScript.REFUND, ScriptOutputType.INTEGER, keys.toArray(String[]::new),
        micros.toArray(String[]::new)).whenComplete((r, e) -> {
          if (e != null) {
            log.warn("quota: could not give back the charges of a request refused in another slot: {}",
                unavailable(e).getMessage());
          }
        });
  }

  private <T> CompletableFuture<T> script(RedisScriptingAsyncCommands<String, String> c, String text, String sha,
      ScriptOutputType type, String[] keys, String[] args) {
    CompletableFuture<T> first = c.<T>evalsha(sha, type, keys, args).toCompletableFuture();
    return first.exceptionallyCompose(e -> unwrap(e) instanceof RedisNoScriptException
        ? c.<T>eval(text, type, keys, args).toCompletableFuture()
        : CompletableFuture.failedFuture(e));
  }

  /** The first connection; Lettuce reconnects an established one by itself, but not one that never was. */
  private void connectFirst(int attempt) {
    if (closed) {
      return;
    }
    CompletableFuture<? extends StatefulConnection<String, String>> f;
    if (cluster) {
      // the asynchronous connect wants the topology loaded first (getPartitions would load it, blocking)
      RedisClusterClient c = (RedisClusterClient) client;
      f = c.refreshPartitionsAsync().toCompletableFuture().thenCompose(v -> c.connectAsync(StringCodec.UTF8))
          .thenCompose(RedisBuckets::openNodeConnections);
    } else {
      f = ((RedisClient) client).connectAsync(StringCodec.UTF8, url.uri()).toCompletableFuture();
    }
    f.whenComplete((conn, e) -> {
      if (e != null) {
        note(false, "cannot connect to " + url.display() + ": " + describe(e));
        if (!closed) {
          reconnectAttempts.incrementAndGet();
          Duration d = resources.reconnectDelay().createDelay(attempt + 1L);
          resources.eventExecutorGroup().schedule(() -> connectFirst(attempt + 1), d.toNanos(), TimeUnit.NANOSECONDS);
        }
        return;
      }
      if (closed) {
        conn.closeAsync();
        return;
      }
      connection = conn;
      commands = cluster ? ((StatefulRedisClusterConnection<String, String>) conn).async()
          : ((StatefulRedisConnection<String, String>) conn).async();
      note(true, null);
    });
  }

  /**
   * Opens the connections to the nodes that serve slots before the first admit: Lettuce opens
   * them on first use, and with commands rejected while not connected, a first use would fail.
   * (A node that joins later fails its first admit so, then serves.)
   */
  private static CompletableFuture<StatefulRedisClusterConnection<String, String>> openNodeConnections(
      StatefulRedisClusterConnection<String, String> conn) {
    CompletableFuture<?>[] nodes = conn.getPartitions().stream().filter(n -> !n.getSlots().isEmpty())
        .map(n -> conn.getConnectionAsync(n.getUri().getHost(), n.getUri().getPort()))
        .toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(nodes).handle((v, e) -> {
      if (e != null) {
        conn.closeAsync();
        throw e instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(e);
      }
      return conn;
    });
  }

  /**
   * Health from the client's events. Outside a cluster there is one connection, so its events
   * say it all; in a cluster, topology refreshes open and close connections of their own, so a
   * closed one says nothing, and health follows reconnect attempts and answers instead.
   */
  private void onEvent(Event e) {
    if (closed) {
      return;
    }
    if (commands == null) {
      // the first connection: connectFirst notes its success once admit can use it, and its failure
      if (e instanceof ReconnectAttemptEvent) {
        reconnectAttempts.incrementAndGet();
      }
      return;
    }
    if (e instanceof ConnectionActivatedEvent) {
      note(true, null);
    } else if (e instanceof ConnectionDeactivatedEvent && !cluster) {
      note(false, "lost the connection to " + url.display());
    } else if (e instanceof ReconnectAttemptEvent a) {
      reconnectAttempts.incrementAndGet();
      note(false, "lost the connection to " + a.remoteAddress() + "; reconnecting (attempt " + a.getAttempt() + ")");
    } else if (e instanceof ReconnectFailedEvent f) {
      note(false, "cannot reconnect to " + f.remoteAddress() + ": " + describe(f.getCause()));
    }
  }

  private void note(boolean reachable, String error) {
    Instant now = Instant.now();
    state.updateAndGet(s -> new State(reachable, s.reachable() == reachable ? s.since() : now,
        error == null ? s.lastError() : error));
  }

  /** What went wrong, for the caller and for {@link #health}; connection trouble makes the store unreachable. */
  private RedisUnavailable unavailable(Throwable failure) {
    Throwable e = unwrap(failure);
    if (e instanceof RedisUnavailable u) {
      return u;
    }
    String message;
    boolean reachable;
    if (e instanceof java.util.concurrent.TimeoutException || e instanceof io.lettuce.core.RedisCommandTimeoutException) {
      message = "redis " + url.display() + " did not answer within " + timeout.toMillis() + "ms";
      reachable = false;
    } else if (e instanceof io.lettuce.core.RedisCommandExecutionException) {
      message = "redis " + url.display() + " answered the quota script with an error: " + describe(e);
      reachable = true;
    } else if (e instanceof IllegalStateException) {
      message = "redis " + url.display() + " answered the quota script oddly: " + describe(e);
      reachable = true;
    } else {
      message = "redis " + url.display() + " is not reachable: " + describe(e) + "; the client reconnects by itself";
      reachable = false;
    }
    note(reachable, message);
    return new RedisUnavailable(message, e);
  }

  private static Throwable unwrap(Throwable e) {
    while ((e instanceof java.util.concurrent.CompletionException || e instanceof java.util.concurrent.ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  private static String describe(Throwable e) {
    Throwable t = unwrap(e);
    String m = t.getMessage();
    if (t.getCause() != null && t.getCause().getMessage() != null && (m == null || !m.contains(t.getCause().getMessage()))) {
      m = (m == null ? "" : m + ": ") + t.getCause().getMessage();
    }
    return m == null ? t.getClass().getSimpleName() : m;
  }

  private static String sha1(String script) {
    try {
      byte[] d = java.security.MessageDigest.getInstance("SHA-1").digest(
          script.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-1", e);
    }
  }
}
