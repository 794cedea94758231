package dev.warden.server.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.policy.runtime.Quota;
import dev.warden.policy.runtime.QuotaCharge;
import dev.warden.policy.runtime.QuotaResult;
import dev.warden.policy.runtime.QuotaResult.Via;
import dev.warden.policy.runtime.RuleRef;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Global quota buckets against a real redis-server on loopback, shared by one to three "replicas". */
class RedisBucketsTest {
  /** Generous, so that a loaded machine does not turn the counting tests' answers into timeouts. */
  static final Duration PATIENT = Duration.ofSeconds(5);

  @TempDir static Path dir;
  static RedisServerProcess redis;
  static RedisClient inspector;
  static StatefulRedisConnection<String, String> inspection;
  static RedisCommands<String, String> raw;

  private final List<RedisBuckets> opened = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    redis = RedisServerProcess.start(dir.resolve("shared"));
    if (redis != null) {
      inspector = RedisClient.create(redis.url());
      inspection = inspector.connect();
      raw = inspection.sync();
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (inspector != null) {
      inspection.close();
      inspector.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
    if (redis != null) {
      redis.stop();
    }
  }

  @BeforeEach
  void running() {
    RedisServerProcess.assumeRunning(redis);
    raw.flushall();
  }

  @AfterEach
  void closeBuckets() {
    opened.forEach(RedisBuckets::close);
  }

  @Test
  void aBurstIsAdmittedThenRefusedWithTheExactRetryAfter() throws Exception {
    RedisBuckets buckets = open(redis, PATIENT);
    Quota q = quota("shop.per_user", 10, Duration.ofMinutes(1), 3, false); // a token every 6 s
    long interval = q.intervalNanos();
    long before = System.nanoTime();
    for (int i = 2; i >= 0; i--) {
      QuotaResult r = one(buckets, charge(q, "alice", 1));
      assertThat(r.admitted()).isTrue();
      assertThat(r.remaining()).isEqualTo(i);
      assertThat(r.retryAfterNanos()).isZero();
      assertThat(r.via()).isEqualTo(Via.GLOBAL);
    }
    QuotaResult refused = one(buckets, charge(q, "alice", 1));
    long elapsed = System.nanoTime() - before;
    assertThat(refused.admitted()).isFalse();
    assertThat(refused.remaining()).isZero();
    // GCRA: the fourth token is back one interval after the first was taken, less the time since
    assertThat(refused.retryAfterNanos()).isLessThanOrEqualTo(interval)
        .isGreaterThanOrEqualTo(interval - elapsed - 1_000);
    assertThat(refused.retryAfterNanos() % 1_000).as("µs in Redis").isZero();
    assertThat(refused.resetNanos()).isLessThanOrEqualTo(3 * interval).isGreaterThanOrEqualTo(3 * interval - elapsed - 1_000);
    // the refusal spent nothing: the answer is the same but for the time gone by
    QuotaResult again = one(buckets, charge(q, "alice", 1));
    assertThat(again.admitted()).isFalse();
    assertThat(again.retryAfterNanos()).isLessThanOrEqualTo(refused.retryAfterNanos());
    // another key has its own bucket
    assertThat(one(buckets, charge(q, "bob", 1)).remaining()).isEqualTo(2);
  }

  @Test
  void anIntervalIsRoundedUpToTheMicrosecond() throws Exception {
    RedisBuckets buckets = open(redis, PATIENT);
    Quota q = quota("shop.thirds", 3, Duration.ofSeconds(1), 1, false); // 333,333,334 ns
    assertThat(one(buckets, charge(q, "k", 1)).admitted()).isTrue();
    QuotaResult refused = one(buckets, charge(q, "k", 1));
    assertThat(refused.admitted()).isFalse();
    assertThat(refused.retryAfterNanos()).isPositive().isLessThanOrEqualTo(333_334_000L);
    assertThat(refused.resetNanos()).isEqualTo(refused.retryAfterNanos());
  }

  @Test
  void remainingCountsTheCostsAndACostAboveTheCapacityNeverPasses() throws Exception {
    RedisBuckets buckets = open(redis, PATIENT);
    Quota q = quota("shop.credits", 5, Duration.ofHours(1), 5, false);
    assertThat(one(buckets, charge(q, "t", 2)).remaining()).isEqualTo(3);
    assertThat(one(buckets, charge(q, "t", 2)).remaining()).isEqualTo(1);
    QuotaResult tooMuch = one(buckets, charge(q, "t", 2));
    assertThat(tooMuch.admitted()).isFalse();
    assertThat(tooMuch.remaining()).isEqualTo(1);
    assertThat(tooMuch.retryAfterNanos()).isPositive().isLessThanOrEqualTo(q.intervalNanos());
    QuotaResult last = one(buckets, charge(q, "t", 1));
    assertThat(last.admitted()).isTrue();
    assertThat(last.remaining()).isZero();
    QuotaResult free = one(buckets, charge(q, "t", 0));
    assertThat(free.admitted()).as("a cost of 0 is counted, never refused").isTrue();
    QuotaResult never = one(buckets, charge(quota("shop.small", 5, Duration.ofHours(1), 5, false), "t", 6));
    assertThat(never.admitted()).isFalse();
    assertThat(never.retryAfterNanos()).isEqualTo(Long.MAX_VALUE);
    assertThat(never.remaining()).isEqualTo(5);
    assertThat(buckets.admit(List.of()).toCompletableFuture().get(5, TimeUnit.SECONDS)).isEmpty();
  }

  @Test
  void enforcedQuotasAreChargedAllOrNone() throws Exception {
    RedisBuckets buckets = open(redis, PATIENT);
    Quota wide = quota("api.per_tenant", 100, Duration.ofHours(1), 100, false);
    Quota narrow = quota("api.exports", 1, Duration.ofHours(1), 1, false);
    List<QuotaResult> first = buckets.admit(List.of(charge(wide, "acme", 1), charge(narrow, "acme", 1)))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(first).extracting(QuotaResult::admitted).containsExactly(true, true);
    assertThat(first).extracting(QuotaResult::remaining).containsExactly(99L, 0L);

    List<QuotaResult> second = buckets.admit(List.of(charge(wide, "acme", 1), charge(narrow, "acme", 1)))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(second.get(1).admitted()).isFalse();
    assertThat(second.get(1).via()).isEqualTo(Via.GLOBAL);
    assertThat(second.get(0).via()).isEqualTo(Via.NOT_CHARGED);
    assertThat(second.get(0).remaining()).as("what is left, as nothing was taken").isEqualTo(99);
    // a later request sees that the refused one took nothing from the wide quota
    assertThat(one(buckets, charge(wide, "acme", 1)).remaining()).isEqualTo(98);
  }

  @Test
  void aShadowQuotaCountsAloneAndNeverMakesARequestRefused() throws Exception {
    RedisBuckets buckets = open(redis, PATIENT);
    Quota enforced = quota("api.per_user", 100, Duration.ofHours(1), 100, false);
    Quota shadow = quota("api.trial", 2, Duration.ofHours(1), 2, true);
    long[] shadowLeft = {1, 0, 0};
    for (int i = 0; i < 3; i++) {
      List<QuotaResult> r = buckets.admit(List.of(charge(enforced, "u", 1), charge(shadow, "u", 1)))
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertThat(r.get(0).admitted()).as("request %d", i).isTrue();
      assertThat(r.get(0).via()).isEqualTo(Via.GLOBAL);
      assertThat(r.get(0).remaining()).isEqualTo(99 - i);
      assertThat(r.get(1).admitted()).as("would the shadow quota admit request %d", i).isEqualTo(i < 2);
      assertThat(r.get(1).remaining()).isEqualTo(shadowLeft[i]);
    }
    // an enforced refusal does not stop a shadow quota from counting
    Quota spent = quota("api.spent", 1, Duration.ofHours(1), 1, false);
    Quota watch = quota("api.watch", 10, Duration.ofHours(1), 10, true);
    one(buckets, charge(spent, "u", 1));
    List<QuotaResult> r = buckets.admit(List.of(charge(spent, "u", 1), charge(watch, "u", 1)))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(r.get(0).admitted()).isFalse();
    assertThat(r.get(1).admitted()).isTrue();
    assertThat(r.get(1).via()).isEqualTo(Via.GLOBAL);
    assertThat(one(buckets, charge(watch, "u", 1)).remaining()).isEqualTo(8);
  }

  @Test
  void threeReplicasSharingOneRedisAdmitExactlyTheLimit() throws Exception {
    Quota q = quota("api.shared", 100, Duration.ofHours(1), 100, false);
    List<RedisBuckets> replicas = List.of(open(redis, PATIENT), open(redis, PATIENT), open(redis, PATIENT));
    AtomicInteger admitted = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    ExecutorService threads = Executors.newFixedThreadPool(3);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (RedisBuckets replica : replicas) {
        done.add(threads.submit(() -> {
          for (int batch = 0; batch < 30; batch++) { // 300 requests, 10 in flight at a time
            List<CompletableFuture<List<QuotaResult>>> inFlight = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
              inFlight.add(replica.admit(List.of(charge(q, "tenant", 1))).toCompletableFuture());
            }
            for (CompletableFuture<List<QuotaResult>> f : inFlight) {
              (f.get(30, TimeUnit.SECONDS).get(0).admitted() ? admitted : refused).incrementAndGet();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }
    assertThat(admitted.get()).isEqualTo(100);
    assertThat(refused.get()).isEqualTo(800);
  }

  @Test
  void keysAreHashedAndVanishOnceFull() throws Exception {
    RedisBuckets buckets = open(redis, PATIENT);
    Quota q = quota("api.by_mail", 10, Duration.ofHours(1), 10, false);
    one(buckets, charge(q, "alice@example.com", 1));
    List<String> keys = raw.keys("warden:*");
    assertThat(keys).singleElement().satisfies(k -> {
      assertThat(k).matches("warden:quota:api\\.by_mail:[A-Za-z0-9_-]{43}").doesNotContain("alice");
      assertThat(k).isEqualTo("warden:quota:api.by_mail:" + BucketKeys.hash("alice@example.com"));
      assertThat(raw.pttl(k)).as("ttl: the time until full").isPositive()
          .isLessThanOrEqualTo(q.intervalNanos() / 1_000_000 + 1);
    });
    // a bucket with a short fill disappears by itself
    Quota brief = quota("api.brief", 1, Duration.ofMillis(20), 1, false);
    one(buckets, charge(brief, "k", 1));
    String key = "warden:quota:api.brief:" + BucketKeys.hash("k");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (raw.exists(key) == 1 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(raw.exists(key)).isZero();
    assertThat(one(buckets, charge(brief, "k", 1)).admitted()).isTrue();
  }

  @Test
  void aFlushedScriptCacheIsLoadedAgain() throws Exception {
    RedisBuckets buckets = open(redis, PATIENT);
    Quota q = quota("api.scripted", 10, Duration.ofHours(1), 10, false);
    assertThat(one(buckets, charge(q, "k", 1)).remaining()).isEqualTo(9);
    raw.scriptFlush();
    assertThat(one(buckets, charge(q, "k", 1)).remaining()).as("EVAL after NOSCRIPT").isEqualTo(8);
  }

  @Test
  void whenRedisStopsAdmitsFailFastAndHealthSaysSoThenRecover() throws Exception {
    RedisServerProcess own = RedisServerProcess.start(dir.resolve("stopping"));
    try {
      RedisBuckets buckets = open(own, RedisBuckets.DEFAULT_TIMEOUT);
      Quota q = quota("api.outage", 100, Duration.ofHours(1), 100, false);
      assertThat(eventually(buckets, charge(q, "k", 1)).admitted()).isTrue();
      assertThat(buckets.health().reachable()).isTrue();

      own.stop();
      CompletableFuture<List<QuotaResult>> during = buckets.admit(List.of(charge(q, "k", 1))).toCompletableFuture();
      assertThatThrownBy(() -> during.get(10, TimeUnit.SECONDS)).as("completes, exceptionally, rather than hangs")
          .isInstanceOf(ExecutionException.class).cause().isInstanceOf(RedisUnavailable.class)
          .hasMessageContaining("redis redis://127.0.0.1:" + own.port);
      SharedBuckets.Health down = buckets.health();
      assertThat(down.reachable()).isFalse();
      assertThat(down.lastError()).contains("127.0.0.1");

      own.restart();
      assertThat(eventually(buckets, charge(q, "k", 1)).remaining()).as("a new, empty Redis").isEqualTo(99);
      SharedBuckets.Health up = buckets.health();
      assertThat(up.reachable()).isTrue();
      assertThat(up.since()).isAfterOrEqualTo(down.since());
      assertThat(up.reconnectAttempts()).isPositive();
    } finally {
      own.stop();
    }
  }

  @Test
  void aFrozenRedisMakesAdmitsTimeOutThenAnswersAgain() throws Exception {
    RedisServerProcess own = RedisServerProcess.start(dir.resolve("frozen"));
    try {
      RedisBuckets buckets = open(own, RedisBuckets.DEFAULT_TIMEOUT);
      Quota q = quota("api.frozen", 100, Duration.ofHours(1), 100, false);
      assertThat(eventually(buckets, charge(q, "k", 1)).remaining()).isEqualTo(99);

      own.pause();
      CompletableFuture<List<QuotaResult>> during = buckets.admit(List.of(charge(q, "k", 1))).toCompletableFuture();
      assertThatThrownBy(() -> during.get(10, TimeUnit.SECONDS)).as("the deadline ends the wait, not Redis")
          .isInstanceOf(ExecutionException.class).cause().isInstanceOf(RedisUnavailable.class)
          .hasMessage("redis redis://127.0.0.1:" + own.port + " did not answer within 50ms");
      assertThat(buckets.health().reachable()).isFalse();
      assertThat(buckets.health().lastError()).endsWith("did not answer within 50ms");

      own.resume();
      // the script sent before the deadline runs once Redis goes on: it may have charged (see RedisBuckets)
      assertThat(eventually(buckets, charge(q, "k", 1)).remaining()).isBetween(97L, 98L);
      assertThat(buckets.health().reachable()).isTrue();
    } finally {
      own.stop();
    }
  }

  @Test
  void tlsWithTheCaOfTheConfigurationAndNotWithoutIt() throws Exception {
    dev.warden.server.TestPki pki = new dev.warden.server.TestPki(dir.resolve("pki"));
    int tlsPort = RedisServerProcess.freePort();
    RedisServerProcess tls = RedisServerProcess.start(dir.resolve("tls"), "--tls-port", Integer.toString(tlsPort),
        "--tls-cert-file", pki.serverCert.toString(), "--tls-key-file", pki.serverKey.toString(),
        "--tls-ca-cert-file", pki.caCert.toString(), "--tls-auth-clients", "no");
    try {
      Quota q = quota("api.tls", 10, Duration.ofHours(1), 10, false);
      String url = "rediss://127.0.0.1:" + tlsPort;
      RedisBuckets trusted = track(RedisBuckets.connect(url, false, PATIENT, pki.caCert));
      assertThat(eventually(trusted, charge(q, "k", 1)).remaining()).isEqualTo(9);

      RedisBuckets untrusted = track(RedisBuckets.connect(url, false, PATIENT, null));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!String.valueOf(untrusted.health().lastError()).contains("cannot connect") && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(untrusted.health().reachable()).isFalse();
      assertThat(untrusted.health().lastError()).startsWith("cannot connect to " + url);
      assertThat(untrusted.admit(List.of(charge(q, "k", 1))).toCompletableFuture())
          .failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class)
          .havingCause().isInstanceOf(RedisUnavailable.class);
    } finally {
      tls.stop();
    }
  }

  @Test
  void aPasswordInTheUrlIsUsedAndAWrongOneIsReported() throws Exception {
    RedisServerProcess locked = RedisServerProcess.start(dir.resolve("locked"), "--requirepass", "s3cret");
    try {
      Quota q = quota("api.locked", 10, Duration.ofHours(1), 10, false);
      RedisBuckets right = track(RedisBuckets.connect("redis://:s3cret@127.0.0.1:" + locked.port, false, PATIENT, null));
      assertThat(eventually(right, charge(q, "k", 1)).remaining()).isEqualTo(9);

      RedisBuckets wrong = track(RedisBuckets.connect("redis://:nope@127.0.0.1:" + locked.port, false, PATIENT, null));
      CompletableFuture<List<QuotaResult>> refused = wrong.admit(List.of(charge(q, "k", 1))).toCompletableFuture();
      assertThatThrownBy(() -> refused.get(10, TimeUnit.SECONDS)).cause().isInstanceOf(RedisUnavailable.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("nope"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!String.valueOf(wrong.health().lastError()).contains("cannot connect") && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(wrong.health().reachable()).isFalse();
      assertThat(wrong.health().lastError()).contains("cannot connect to redis://:***@127.0.0.1:" + locked.port)
          .doesNotContain("nope");
    } finally {
      locked.stop();
    }
  }

  static Quota quota(String id, long limit, Duration period, long burst, boolean shadow) {
    return new Quota(id, id.substring(id.indexOf('.') + 1), new RuleRef(id, "quota", "test.wdn:1"), limit,
        period.toNanos(), burst, true, Quota.Fallback.OPEN, 1.0, shadow);
  }

  static QuotaCharge charge(Quota q, String key, long cost) {
    return new QuotaCharge(q, key, cost);
  }

  private RedisBuckets open(RedisServerProcess server, Duration timeout) throws InterruptedException {
    RedisBuckets b = track(RedisBuckets.connect(server.url(), false, timeout, null));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!b.health().reachable() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(b.health().reachable()).as("connected: %s", b.health()).isTrue();
    return b;
  }

  private RedisBuckets track(RedisBuckets b) {
    opened.add(b);
    return b;
  }

  private static QuotaResult one(RedisBuckets buckets, QuotaCharge charge) throws Exception {
    List<QuotaResult> r = buckets.admit(List.of(charge)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(r).hasSize(1);
    return r.get(0);
  }

  /** The first answer within a bounded number of tries, while the client connects or reconnects. */
  private static QuotaResult eventually(RedisBuckets buckets, QuotaCharge charge) throws Exception {
    ExecutionException last = null;
    for (int attempt = 0; attempt < 300; attempt++) {
      try {
        return buckets.admit(List.of(charge)).toCompletableFuture().get(10, TimeUnit.SECONDS).get(0);
      } catch (ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(RedisUnavailable.class);
        last = e;
        Thread.sleep(50);
      }
    }
    throw last;
  }
}
