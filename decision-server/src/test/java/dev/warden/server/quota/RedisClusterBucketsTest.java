package dev.warden.server.quota;

import static dev.warden.server.quota.RedisBucketsTest.charge;
import static dev.warden.server.quota.RedisBucketsTest.quota;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.runtime.Quota;
import dev.warden.policy.runtime.QuotaCharge;
import dev.warden.policy.runtime.QuotaResult;
import dev.warden.policy.runtime.QuotaResult.Via;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Global quota buckets in a real Redis Cluster of three masters on loopback: a request whose
 * buckets are in different slots is still all or none, by the give-back of the slots that admitted.
 */
class RedisClusterBucketsTest {
  @TempDir static Path dir;
  static final List<RedisServerProcess> nodes = new ArrayList<>();
  static final List<RedisClient> clients = new ArrayList<>();
  static final List<RedisCommands<String, String>> raw = new ArrayList<>();

  private final List<RedisBuckets> opened = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    int[] busPorts = new int[3];
    for (int i = 0; i < 3; i++) {
      busPorts[i] = RedisServerProcess.freePort();
      RedisServerProcess node = RedisServerProcess.start(dir.resolve("node" + i), "--cluster-enabled", "yes",
          "--cluster-config-file", "nodes.conf", "--cluster-port", Integer.toString(busPorts[i]),
          "--cluster-node-timeout", "5000");
      if (node == null) {
        return;
      }
      nodes.add(node);
      RedisClient c = RedisClient.create(node.url());
      clients.add(c);
      StatefulRedisConnection<String, String> conn = c.connect();
      raw.add(conn.sync());
    }
    int[][] ranges = {{0, 5460}, {5461, 10922}, {10923, 16383}};
    for (int i = 0; i < 3; i++) {
      raw.get(i).clusterAddSlots(IntStream.rangeClosed(ranges[i][0], ranges[i][1]).toArray());
    }
    for (int i = 1; i < 3; i++) {
      // CLUSTER MEET with the bus port, as it is not the default port + 10000 here
      raw.get(0).dispatch(CommandType.CLUSTER, new StatusOutput<>(StringCodec.UTF8), new CommandArgs<>(StringCodec.UTF8)
          .add("MEET").add("127.0.0.1").add(nodes.get(i).port).add(busPorts[i]));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!raw.stream().allMatch(r -> r.clusterInfo().contains("cluster_state:ok")
        && r.clusterInfo().contains("cluster_known_nodes:3")) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(raw).allSatisfy(r -> assertThat(r.clusterInfo()).contains("cluster_state:ok"));
  }

  @AfterAll
  static void stop() throws Exception {
    clients.forEach(c -> c.shutdown(Duration.ZERO, Duration.ofSeconds(2)));
    for (RedisServerProcess node : nodes) {
      node.stop();
    }
  }

  @BeforeEach
  void running() {
    RedisServerProcess.assumeRunning(nodes.size() == 3 ? nodes.get(0) : null);
  }

  @AfterEach
  void closeBuckets() {
    opened.forEach(RedisBuckets::close);
  }

  @Test
  void aRequestAcrossSlotsIsChargedAllOrNone() throws Exception {
    RedisBuckets buckets = open();
    Quota wide = quota("api.c_wide", 100, Duration.ofHours(1), 100, false);
    Quota narrow = quota("api.c_narrow", 1, Duration.ofHours(1), 1, false);
    QuotaCharge w = charge(wide, "acme", 1);
    QuotaCharge n = inAnotherSlot(narrow, w);

    List<QuotaResult> first = admit(buckets, List.of(w, n));
    assertThat(first).extracting(QuotaResult::admitted).containsExactly(true, true);
    assertThat(first).extracting(QuotaResult::remaining).containsExactly(99L, 0L);
    List<QuotaResult> second = admit(buckets, List.of(w, n));
    assertThat(second.get(1).admitted()).isFalse();
    assertThat(second.get(0).via()).isEqualTo(Via.NOT_CHARGED);
    assertThat(second.get(0).remaining()).isEqualTo(99);
    // the wide slot admitted and gave its charge back before the refusal was answered
    assertThat(admit(buckets, List.of(w)).get(0).remaining()).isEqualTo(98);
  }

  @Test
  void threeReplicasAdmitExactlyTheLimitAcrossSlots() throws Exception {
    Quota scarce = quota("api.c_scarce", 50, Duration.ofHours(1), 50, false);
    Quota plenty = quota("api.c_plenty", 1000, Duration.ofHours(1), 1000, false);
    QuotaCharge s = charge(scarce, "tenant", 1);
    QuotaCharge p = inAnotherSlot(plenty, s);
    List<RedisBuckets> replicas = List.of(open(), open(), open());
    AtomicInteger admitted = new AtomicInteger();
    ExecutorService threads = Executors.newFixedThreadPool(3);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (RedisBuckets replica : replicas) {
        done.add(threads.submit(() -> {
          for (int batch = 0; batch < 10; batch++) { // 100 requests, 10 in flight at a time
            List<CompletableFuture<List<QuotaResult>>> inFlight = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
              inFlight.add(replica.admit(List.of(s, p)).toCompletableFuture());
            }
            for (CompletableFuture<List<QuotaResult>> f : inFlight) {
              List<QuotaResult> r = f.get(30, TimeUnit.SECONDS);
              assertThat(r.get(0).admitted()).isEqualTo(r.get(1).admitted() && r.get(1).via() == Via.GLOBAL);
              if (r.get(0).admitted()) {
                admitted.incrementAndGet();
              }
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
    assertThat(admitted.get()).isEqualTo(50);
    // a cost of 0 through each replica comes after its give-backs, on the same connection
    for (RedisBuckets replica : replicas) {
      admit(replica, List.of(charge(plenty, p.key(), 0)));
    }
    assertThat(admit(replicas.get(0), List.of(p)).get(0).remaining()).as("charged once an admitted request")
        .isEqualTo(1000 - 50 - 1);
  }

  /** A charge of {@code q} whose bucket is in another slot than {@code other}'s. */
  private static QuotaCharge inAnotherSlot(Quota q, QuotaCharge other) {
    int slot = SlotHash.getSlot(BucketKeys.of(other));
    for (int i = 0; i < 100; i++) {
      QuotaCharge c = charge(q, "key-" + i, 1);
      if (SlotHash.getSlot(BucketKeys.of(c)) != slot) {
        return c;
      }
    }
    throw new AssertionError("100 keys in one slot");
  }

  private RedisBuckets open() throws InterruptedException {
    RedisBuckets b = RedisBuckets.connect(nodes.get(0).url(), true, RedisBucketsTest.PATIENT, null);
    opened.add(b);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!b.health().reachable() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(b.health().reachable()).as("connected: %s", b.health()).isTrue();
    return b;
  }

  private static List<QuotaResult> admit(RedisBuckets b, List<QuotaCharge> charges) throws Exception {
    return b.admit(charges).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
