package dev.warden.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.proto.v1.DecideResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bundle reload in the real server on loopback ports the OS picks: the watch (a file changed, a
 * ConfigMap `..data` swap), `--no-watch`, `POST /bundles/reload`, the activation gate, and every
 * refusal leaving the last good revision serving, visible in `/status` and `/metrics`.
 */
class BundleReloadTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private WardenServer server;
  private ManagedChannel channel;

  /** A bundle of revision {@code revision} that allows {@code reader} to read items, with a test saying so. */
  static void write(Path bundle, String revision, String reader) throws IOException {
    write(bundle, revision, "permit read when principal.id == \"" + reader + "\"\n", reader);
  }

  static void write(Path bundle, String revision, String rules, String testedReader) throws IOException {
    Files.createDirectories(bundle);
    Files.writeString(bundle.resolve("bundle.yaml"), "revision: " + revision + "\n");
    Files.writeString(bundle.resolve("work.warden"), """
        package work

        principal {
          id: string = jwt.sub
        }

        api "Work" {
          route read GET /items/{id}
        }

        """ + rules + """

        test "the reader reads" {
          request GET /items/1 as {sub: "%s"}
          expect allow
        }
        """.formatted(testedReader));
  }

  private void start(Path bundle, Map<String, String> more) throws Exception {
    Map<String, String> flags = ReloadingSidecar.loopbackFlags("work=" + bundle);
    flags.put("reload.poll_interval", "100ms");
    flags.put("reload.debounce", "100ms");
    flags.putAll(more);
    server = null;
    server = ReloadingSidecar.started(flags);
    channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    ReloadingSidecar.stop(channel, server);
    channel = null;
    server = null;
  }

  private DecideResponse decide(String sub) {
    return ReloadingSidecar.decideItem(channel, sub);
  }

  private HttpResponse<String> admin(String method, String path) throws IOException, InterruptedException {
    return ReloadingSidecar.admin(server, method, path);
  }

  private JsonNode status() throws IOException, InterruptedException {
    return JSON.readTree(admin("GET", "/status").body());
  }

  private double metric(String series) throws IOException, InterruptedException {
    return ReloadingSidecar.metric(server, series, 0);
  }

  /** Waits, at most {@link #WAIT}, until {@code done}; false if it never was. */
  private static boolean await(BooleanSupplier done) throws InterruptedException {
    return ReloadingSidecar.await(WAIT, done);
  }

  private boolean serving(String revision) {
    return server.bundle().snapshot().revision().matches(ReloadingSidecar.rev(revision));
  }

  private long counter(String name) {
    try {
      return status().path("bundle").path("counters").path(name).asLong();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aChangedPolicyFileReloadsAndTheDecisionChanges() throws Exception {
    Path bundle = dir.resolve("bundle");
    write(bundle, "rev-a", "alice");
    start(bundle, Map.of());
    assertThat(decide("alice").getAllowed()).isTrue();
    assertThat(decide("alice").getRevision()).matches(ReloadingSidecar.rev("rev-a"));
    assertThat(status().path("bundle").path("last_check").path("cause").asText()).isEqualTo("start");
    assertThat(admin("GET", "/metrics").body()).contains("warden_bundle_last_successful_check_age_seconds{bundle=\"work\"} ");

    write(bundle, "rev-b", "bob");
    assertThat(await(() -> serving("rev-b"))).as("reloaded").isTrue();
    DecideResponse alice = decide("alice");
    assertThat(alice.getAllowed()).isFalse();
    assertThat(alice.getRevision()).matches(ReloadingSidecar.rev("rev-b"));
    assertThat(decide("bob").getAllowed()).isTrue();

    JsonNode s = status();
    assertThat(s.path("revision").asText()).matches(ReloadingSidecar.rev("rev-b"));
    assertThat(s.path("bundle").path("source").asText()).isEqualTo("directory");
    assertThat(s.path("bundle").path("watch").asBoolean()).isTrue();
    assertThat(s.path("bundle").path("digest").asText()).startsWith("sha256:");
    assertThat(s.path("bundle").path("last_check").path("result").asText()).isEqualTo("ok");
    assertThat(s.path("bundle").path("last_check").path("cause").asText()).isEqualTo("watch");
    assertThat(s.path("bundle").path("last_failure").isNull()).isTrue();
    assertThat(s.path("bundle").path("counters").path("activated").asLong()).isEqualTo(2);
    assertThat(metric("warden_bundle_reloads_total{bundle=\"work\",result=\"ok\",stage=\"activate\"}")).isEqualTo(1.0);
    assertThat(metric("warden_bundle_activation_duration_seconds_count{bundle=\"work\"}")).isEqualTo(1.0);
    assertThat(metric("warden_bundle_info{bundle=\"work\",revision=\"" + s.path("revision").asText() + "\"}")).isEqualTo(1.0);
    assertThat(admin("GET", "/metrics").body()).doesNotContain("revision=\"rev-a@")
        .contains("warden_bundle_last_successful_check_age_seconds{bundle=\"work\"} ");

    // Written again with the same bytes: the files changed on disk, the digest did not, nothing compiles.
    long unchanged = counter("unchanged");
    write(bundle, "rev-b", "bob");
    assertThat(await(() -> counter("unchanged") > unchanged)).as("checked again").isTrue();
    assertThat(counter("activated")).isEqualTo(2);
    assertThat(metric("warden_bundle_activation_duration_seconds_count{bundle=\"work\"}")).as("nothing compiled").isEqualTo(1.0);
    assertThat(metric("warden_bundle_reloads_total{bundle=\"work\",result=\"unchanged\",stage=\"digest\"}")).isGreaterThanOrEqualTo(1.0);
  }

  /** On Linux, inotify events make the watch poll at once: a change is seen long before the next interval. */
  @Test
  @org.junit.jupiter.api.condition.EnabledOnOs(org.junit.jupiter.api.condition.OS.LINUX)
  void fileSystemEventsMakeTheWatchPollAtOnce() throws Exception {
    Path bundle = dir.resolve("bundle");
    write(bundle, "rev-a", "alice");
    start(bundle, Map.of("reload.poll_interval", "1h"));
    write(bundle, "rev-b", "bob");
    assertThat(await(() -> serving("rev-b"))).as("reloaded without waiting an hour").isTrue();
  }

  /** A burst of writes closer together than the debounce is read once, when it is over. */
  @Test
  void aBurstOfWritesIsReadOnceItIsQuiet() throws Exception {
    Path bundle = dir.resolve("bundle");
    write(bundle, "rev-a", "alice");
    start(bundle, Map.of("reload.poll_interval", "50ms", "reload.debounce", "1s"));
    for (String reader : new String[] {"bob", "carol", "dave", "erin", "frank"}) {
      write(bundle, "rev-" + reader, reader);
      Thread.sleep(20);
    }
    assertThat(await(() -> serving("rev-frank"))).isTrue();
    assertThat(counter("activated")).as("the start, then the burst once").isEqualTo(2);
    assertThat(counter("checks")).isEqualTo(1);
  }

  /**
   * The layout of a Kubernetes ConfigMap volume: the files are links through `..data` to a
   * timestamped folder, and an update writes a new folder and renames a new `..data` link over
   * the old one, in one step.
   */
  @Test
  void aConfigMapDataLinkSwapReloads() throws Exception {
    Path mount = dir.resolve("mount");
    Files.createDirectories(mount);
    write(mount.resolve("..2026_12_01_10_00_00.000000001"), "rev-a", "alice");
    Files.createSymbolicLink(mount.resolve("..data"), Path.of("..2026_12_01_10_00_00.000000001"));
    Files.createSymbolicLink(mount.resolve("bundle.yaml"), Path.of("..data/bundle.yaml"));
    Files.createSymbolicLink(mount.resolve("work.warden"), Path.of("..data/work.warden"));
    start(mount, Map.of());
    assertThat(decide("alice").getRevision()).matches(ReloadingSidecar.rev("rev-a"));

    write(mount.resolve("..2026_12_01_10_05_00.000000002"), "rev-b", "bob");
    Files.createSymbolicLink(mount.resolve("..data_tmp"), Path.of("..2026_12_01_10_05_00.000000002"));
    Files.move(mount.resolve("..data_tmp"), mount.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
    assertThat(await(() -> serving("rev-b"))).as("reloaded after the `..data` swap").isTrue();
    assertThat(decide("bob").getAllowed()).isTrue();
    assertThat(decide("alice").getAllowed()).isFalse();
  }

  /** A parse error, a type error and a failing bundle test: each refused, rev-a serving all along. */
  @Test
  void aBrokenBundleLeavesTheLastGoodRevisionServing() throws Exception {
    Path bundle = dir.resolve("bundle");
    write(bundle, "rev-a", "alice");
    start(bundle, Map.of());

    write(bundle, "rev-parse", "permit read when principal.id ==\n", "alice");
    assertRefused(1, "parse", "parse.");

    write(bundle, "rev-type", "permit read when principal.id == 1\n", "alice");
    assertRefused(2, "check", "check.");

    write(bundle, "rev-test", "permit read when principal.id == \"bob\"\n", "alice");
    JsonNode failure = assertRefused(3, "test_gate", "bundle.test_failed");
    assertThat(failure.path("failed_tests").toString()).isEqualTo("[\"the reader reads\"]");

    // A good bundle again: activated, and the failure is gone from /status.
    write(bundle, "rev-c", "carol");
    assertThat(await(() -> serving("rev-c"))).isTrue();
    assertThat(status().path("bundle").path("last_failure").isNull()).isTrue();
    assertThat(status().path("last_error").isNull()).isTrue();
  }

  private JsonNode assertRefused(long failures, String stage, String code) throws Exception {
    assertThat(await(() -> counter("failed") >= failures)).as("refused at %s", stage).isTrue();
    assertThat(serving("rev-a")).isTrue();
    DecideResponse alice = decide("alice");
    assertThat(alice.getAllowed()).isTrue();
    assertThat(alice.getRevision()).matches(ReloadingSidecar.rev("rev-a"));
    JsonNode s = status();
    assertThat(s.path("ready").asBoolean()).isTrue();
    assertThat(s.path("revision").asText()).matches(ReloadingSidecar.rev("rev-a"));
    assertThat(s.path("last_error").asText()).startsWith(stage + ": ");
    JsonNode failure = s.path("bundle").path("last_failure");
    assertThat(failure.path("result").asText()).isEqualTo("failed");
    assertThat(failure.path("stage").asText()).isEqualTo(stage);
    assertThat(failure.path("diagnostics").asText()).contains(code).contains("work.warden");
    assertThat(metric("warden_bundle_reloads_total{bundle=\"work\",result=\"failed\",stage=\"" + stage + "\"}")).isEqualTo(1.0);
    assertThat(metric("warden_bundle_info{bundle=\"work\",revision=\"" + s.path("revision").asText() + "\"}")).isEqualTo(1.0);
    return failure;
  }

  @Test
  void withoutTheWatchOnlyAnExplicitCheckReloads() throws Exception {
    Path bundle = dir.resolve("bundle");
    write(bundle, "rev-a", "alice");
    start(bundle, Map.of("reload.watch", "false"));
    write(bundle, "rev-b", "bob");
    Thread.sleep(600);
    assertThat(serving("rev-a")).as("six poll intervals later").isTrue();
    assertThat(status().path("bundle").path("watch").asBoolean()).isFalse();

    HttpResponse<String> get = admin("GET", "/bundles/reload");
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.headers().firstValue("allow")).hasValue("POST");

    HttpResponse<String> post = admin("POST", "/bundles/reload");
    assertThat(post.statusCode()).isEqualTo(200);
    JsonNode outcome = JSON.readTree(post.body());
    assertThat(outcome.path("result").asText()).isEqualTo("ok");
    assertThat(outcome.path("revision").asText()).matches(ReloadingSidecar.rev("rev-b"));
    assertThat(outcome.path("cause").asText()).isEqualTo("admin");
    assertThat(serving("rev-b")).isTrue();

    JsonNode again = JSON.readTree(admin("POST", "/bundles/reload").body());
    assertThat(again.path("result").asText()).isEqualTo("unchanged");
    assertThat(counter("activated")).isEqualTo(2);
  }

  @Test
  void theGateCanBeTurnedOff() throws Exception {
    Path bundle = dir.resolve("bundle");
    write(bundle, "rev-a", "permit read when principal.id == \"bob\"\n", "alice");
    start(bundle, Map.of("reload.test_gate", "false", "reload.watch", "false"));
    assertThat(serving("rev-a")).as("started though its test fails").isTrue();
    assertThat(status().path("bundle").path("test_gate").asBoolean()).isFalse();
  }

  @Test
  void theGateAppliesAtStartToo() throws Exception {
    Path bundle = dir.resolve("bundle");
    write(bundle, "rev-a", "permit read when principal.id == \"bob\"\n", "alice");
    Map<String, String> flags = Map.of("bundle", bundle.toString(), "grpc.listen", "127.0.0.1:0",
        "http.listen", "127.0.0.1:0");
    try (WardenServer refused = new WardenServer(ServerConfig.load(null, Map.of(), flags), Clock.systemUTC())) {
      org.assertj.core.api.Assertions.assertThatThrownBy(refused::start)
          .isInstanceOf(WardenServer.StartException.class)
          .satisfies(e -> assertThat(((WardenServer.StartException) e).diagnostics().render())
              .contains("bundle.test_failed").contains("bundle test `the reader reads` failed"));
    }
  }

  @Test
  void aWatchedArchiveReloadsWhenTheFileChanges() throws Exception {
    Path archive = dir.resolve("bundle.tar.gz");
    Path a = dir.resolve("a");
    write(a, "rev-a", "alice");
    Archives.tarGz(a, archive);
    start(archive, Map.of());
    assertThat(status().path("bundle").path("source").asText()).isEqualTo("archive");
    Path b = dir.resolve("b");
    write(b, "rev-b", "bob");
    Path next = dir.resolve("next.tar.gz");
    Archives.tarGz(b, next);
    Files.move(next, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    assertThat(await(() -> serving("rev-b"))).isTrue();
    assertThat(decide("bob").getAllowed()).isTrue();
  }

  /**
   * Reload under load: 200 swaps between two revisions while two clients keep Checks in flight.
   * Every answer is one revision's, whole: rev-a allows alice, rev-b does not, and the answer's
   * revision says which decided. No call fails and none is refused.
   */
  @Test
  void swapsUnderLoadNeverMixRevisionsNorFailACall() throws Exception {
    Path bundle = dir.resolve("bundle");
    write(bundle, "rev-a", "alice");
    start(bundle, Map.of("reload.watch", "false"));
    java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();
    java.util.Map<String, java.util.concurrent.atomic.AtomicLong> byRevision = new java.util.concurrent.ConcurrentHashMap<>();
    java.util.List<String> wrong = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(2);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    try {
      java.util.List<java.util.concurrent.Future<?>> running = new java.util.ArrayList<>();
      for (int c = 0; c < 2; c++) {
        running.add(clients.submit(() -> {
          while (!done.get() && System.nanoTime() < end) {
            try {
              DecideResponse r = decide("alice");
              calls.incrementAndGet();
              byRevision.computeIfAbsent(r.getRevision(), k -> new java.util.concurrent.atomic.AtomicLong())
                  .incrementAndGet();
              boolean a = r.getRevision().matches(ReloadingSidecar.rev("rev-a"));
              boolean consistent = a ? r.getAllowed() && r.getOutcome().equals("allow")
                  : r.getRevision().matches(ReloadingSidecar.rev("rev-b")) && !r.getAllowed() && r.getOutcome().equals("default_deny");
              if (!consistent && wrong.size() < 10) {
                wrong.add(r.getRevision() + " " + r.getOutcome());
              }
            } catch (RuntimeException e) {
              if (wrong.size() < 10) {
                wrong.add("failed: " + e);
              }
            }
          }
        }));
      }
      int swaps = 0;
      for (; swaps < 200 && System.nanoTime() < end; swaps++) {
        boolean toB = swaps % 2 == 0;
        write(bundle, toB ? "rev-b" : "rev-a", toB ? "bob" : "alice");
        JsonNode outcome = JSON.readTree(admin("POST", "/bundles/reload").body());
        assertThat(outcome.path("result").asText()).as("swap %d: %s", swaps, outcome).isEqualTo("ok");
      }
      done.set(true);
      for (java.util.concurrent.Future<?> f : running) {
        f.get(30, TimeUnit.SECONDS);
      }
      assertThat(swaps).isEqualTo(200);
    } finally {
      done.set(true);
      clients.shutdownNow();
      assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(wrong).as("answers that were no one revision's, or failed").isEmpty();
    assertThat(calls.get()).as("Checks in flight during the swaps").isGreaterThan(200);
    assertThat(byRevision.keySet()).hasSize(2).anySatisfy(r -> assertThat(r).matches(ReloadingSidecar.rev("rev-a")))
        .anySatisfy(r -> assertThat(r).matches(ReloadingSidecar.rev("rev-b")));
    assertThat(counter("activated")).isEqualTo(201);
    assertThat(counter("failed")).isZero();
  }

  /** SIGHUP to the real `warden serve` process checks the bundle now; with `--no-watch`, only then. */
  @Test
  @org.junit.jupiter.api.condition.EnabledOnOs(org.junit.jupiter.api.condition.OS.LINUX)
  void sighupReloadsTheRealProcess() throws Exception {
    Path bundle = dir.resolve("bundle");
    write(bundle, "rev-a", "alice");
    try (WardenProcess warden = WardenProcess.start(java.util.List.of("--bundle", bundle.toString(), "--grpc",
        "127.0.0.1:0", "--http", "127.0.0.1:0", "--no-watch"), Duration.ofSeconds(60))) {
      write(bundle, "rev-b", "bob");
      warden.signal("HUP");
      assertThat(warden.awaitStderr("bundle " + bundle + " active (SIGHUP): revision rev-b", 1, WAIT))
          .as(warden.stderr()).isEqualTo(1);
      HttpResponse<String> s = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + warden.adminPort() + "/status")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(JSON.readTree(s.body()).path("revision").asText()).matches(ReloadingSidecar.rev("rev-b"));
      warden.terminate();
      assertThat(warden.waitFor(Duration.ofSeconds(20))).as(warden.stderr()).isZero();
    }
  }
}
