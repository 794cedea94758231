package dev.warden.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.warden.bundle.BundleArchive;
import dev.warden.bundle.BundleDirectory;
import dev.warden.proto.v1.DecideResponse;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bundle from an HTTP bundle server on loopback ({@link HttpServer}, a real server the test
 * controls): polled with `If-None-Match`, every refusal leaving the last good revision serving,
 * credentials from a file, persistence across a restart with the server down, staleness, and a
 * rollback pinned until the server's bundle changes.
 */
class RemoteSourceReloadTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  private HttpServer bundles;
  /** What the bundle server answers: status, body, ETag (null: none). */
  private final AtomicReference<Answer> answer = new AtomicReference<>();
  /** Every request's If-None-Match and Authorization header ("-" when absent). */
  private final List<String> seen = new CopyOnWriteArrayList<>();
  private final AtomicInteger notModified = new AtomicInteger();
  /** Where a 302 answer points. */
  private final AtomicReference<String> redirectTo = new AtomicReference<>();
  private WardenServer server;
  private ManagedChannel channel;

  record Answer(int status, byte[] body, String etag) {}

  @BeforeEach
  void serveBundles() throws IOException {
    bundles = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    bundles.createContext("/bundles/work.tar.gz", exchange -> {
      try (exchange) {
        Answer a = answer.get();
        String ifNone = exchange.getRequestHeaders().getFirst("If-None-Match");
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        seen.add((ifNone == null ? "-" : ifNone) + " " + (auth == null ? "-" : auth));
        if (a.etag() != null) {
          exchange.getResponseHeaders().set("ETag", a.etag());
        }
        if (a.status() == 200 && a.etag() != null && a.etag().equals(ifNone)) {
          notModified.incrementAndGet();
          exchange.sendResponseHeaders(304, -1);
          return;
        }
        if (a.status() == 302) {
          exchange.getResponseHeaders().set("Location", redirectTo.get());
        }
        exchange.sendResponseHeaders(a.status(), a.body().length == 0 ? -1 : a.body().length);
        exchange.getResponseBody().write(a.body());
      }
    });
    bundles.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "bundle-server");
      t.setDaemon(true);
      return t;
    }));
    bundles.start();
  }

  @AfterEach
  void stop() throws InterruptedException {
    ReloadingSidecar.stop(channel, server);
    channel = null;
    server = null;
    bundles.stop(0);
  }

  private String url() {
    return "http://127.0.0.1:" + bundles.getAddress().getPort() + "/bundles/work.tar.gz";
  }

  /** The archive of a bundle of revision {@code label} that allows {@code reader}, and serves it with an ETag. */
  private byte[] publish(String label, String reader) throws Exception {
    Path folder = dir.resolve("src-" + label);
    BundleReloadTest.write(folder, label, reader);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BundleArchive.write(BundleDirectory.read(folder), null, out);
    byte[] archive = out.toByteArray();
    answer.set(new Answer(200, archive, "\"" + label + "\""));
    return archive;
  }

  private void start(Map<String, String> more) throws Exception {
    Map<String, String> flags = ReloadingSidecar.loopbackFlags("work=" + url());
    flags.put("reload.remote.interval", "100ms");
    flags.put("reload.remote.jitter", "0");
    flags.put("reload.remote.max_backoff", "400ms");
    flags.putAll(more);
    server = ReloadingSidecar.started(flags);
    channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
  }

  private DecideResponse decide(String sub) {
    return ReloadingSidecar.decideItem(channel, sub);
  }

  private JsonNode status() throws IOException, InterruptedException {
    return JSON.readTree(ReloadingSidecar.admin(server, "GET", "/status").body());
  }

  private JsonNode post(String path) throws IOException, InterruptedException {
    return JSON.readTree(ReloadingSidecar.admin(server, "POST", path).body());
  }

  private boolean serving(String label) {
    return server.bundle().snapshot().revision().matches(ReloadingSidecar.rev(label));
  }

  private static boolean await(java.util.function.BooleanSupplier done) throws InterruptedException {
    return ReloadingSidecar.await(WAIT, done);
  }

  @Test
  void pollsWithIfNoneMatchAndActivatesWhatTheServerPublishes() throws Exception {
    publish("rev-a", "alice");
    start(Map.of());
    assertThat(decide("alice").getRevision()).matches(ReloadingSidecar.rev("rev-a"));
    assertThat(seen.get(0)).isEqualTo("- -");
    // The polls after the start ask for rev-a's ETag and are answered 304: nothing is downloaded.
    assertThat(await(() -> notModified.get() >= 3)).isTrue();
    assertThat(seen.subList(1, 3)).allMatch(s -> s.startsWith("\"rev-a\" "));
    JsonNode unchanged = status().path("bundle");
    assertThat(unchanged.path("source").asText()).isEqualTo("http");
    assertThat(unchanged.path("last_check").path("result").asText()).isEqualTo("unchanged");
    assertThat(unchanged.path("last_check").path("stage").asText()).isEqualTo("source");
    assertThat(unchanged.path("remote").path("interval").asText()).isEqualTo("100ms");
    assertThat(unchanged.path("remote").path("consecutive_failures").asInt()).isZero();

    publish("rev-b", "bob");
    assertThat(await(() -> serving("rev-b"))).isTrue();
    DecideResponse bob = decide("bob");
    assertThat(bob.getAllowed()).isTrue();
    assertThat(bob.getRevision()).matches(ReloadingSidecar.rev("rev-b"));
    assertThat(status().path("bundle").path("last_success_at").isNull()).isFalse();
  }

  /** A server error, a broken body and a bundle that does not compile: each refused, rev-a serving, then backoff. */
  @Test
  void everyFailedFetchLeavesTheLastGoodRevisionServing() throws Exception {
    publish("rev-a", "alice");
    start(Map.of());

    answer.set(new Answer(503, "down for maintenance".getBytes(), null));
    assertThat(await(() -> failedAt("fetch", "answered 503"))).isTrue();
    assertThat(await(() -> failures() >= 2)).as("backing off, still polling").isTrue();
    assertThat(decide("alice").getRevision()).matches(ReloadingSidecar.rev("rev-a"));

    answer.set(new Answer(200, "not gzip at all".getBytes(), "\"junk\""));
    assertThat(await(() -> failedAt("fetch", "archive"))).isTrue();

    Path broken = dir.resolve("broken");
    BundleReloadTest.write(broken, "rev-bad", "permit read when principal.id ==\n", "alice");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BundleArchive.write(BundleDirectory.read(broken), null, out);
    answer.set(new Answer(200, out.toByteArray(), "\"bad\""));
    assertThat(await(() -> failedAt("parse", "parse."))).isTrue();
    // A bundle that failed is fetched whole again on the next poll, never answered 304 for.
    int before = seen.size();
    assertThat(await(() -> seen.size() >= before + 2)).isTrue();
    assertThat(seen.subList(before, before + 2)).allMatch(s -> s.startsWith("\"rev-a\" "));
    assertThat(decide("alice").getRevision()).matches(ReloadingSidecar.rev("rev-a"));
    assertThat(ReloadingSidecar.metric(server, "warden_bundle_reloads_total{bundle=\"work\",result=\"failed\",stage=\"fetch\"}", 0))
        .isGreaterThanOrEqualTo(2.0);

    publish("rev-b", "bob");
    assertThat(await(() -> serving("rev-b"))).isTrue();
    assertThat(status().path("bundle").path("last_failure").isNull()).isTrue();
  }

  private boolean failedAt(String stage, String text) {
    try {
      JsonNode f = status().path("bundle").path("last_failure");
      return f.path("stage").asText().equals(stage)
          && (f.path("error").asText().contains(text) || f.path("diagnostics").asText().contains(text));
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private int failures() {
    try {
      return status().path("bundle").path("remote").path("consecutive_failures").asInt();
    } catch (IOException | InterruptedException e) {
      return -1;
    }
  }

  /** A tar.gz of {@code entries}: name → content, or a link/device kind for an entry with no content. */
  private static byte[] tarGz(Map<String, Object> entries) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(
        new org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream(out))) {
      tar.setLongFileMode(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream.LONGFILE_POSIX);
      for (Map.Entry<String, Object> e : entries.entrySet()) {
        byte kind = e.getValue() instanceof Byte b ? b : org.apache.commons.compress.archivers.tar.TarConstants.LF_NORMAL;
        var t = new org.apache.commons.compress.archivers.tar.TarArchiveEntry(e.getKey(), kind, true);
        byte[] data = e.getValue() instanceof byte[] bytes ? bytes : new byte[0];
        if (kind == org.apache.commons.compress.archivers.tar.TarConstants.LF_SYMLINK
            || kind == org.apache.commons.compress.archivers.tar.TarConstants.LF_LINK) {
          t.setLinkName("/etc/passwd");
        }
        t.setSize(data.length);
        tar.putArchiveEntry(t);
        tar.write(data);
        tar.closeArchiveEntry();
      }
    }
    return out.toByteArray();
  }

  /**
   * Every hostile archive a bundle server (or whoever sits on its path) could send: each refused
   * at `fetch` with a message naming what is wrong, rev-a serving all along.
   */
  @Test
  void everyHostileArchiveIsRefusedAndTheLastGoodRevisionServes() throws Exception {
    publish("rev-a", "alice");
    start(Map.of());
    byte[] zeros = new byte[10 << 20];
    Map<String, Map<String, Object>> hostile = new java.util.LinkedHashMap<>();
    hostile.put("leaves the bundle (`..`)", Map.of("../escape.warden", "package x\n".getBytes()));
    hostile.put("is an absolute path", Map.of("/etc/escape.warden", "package x\n".getBytes()));
    hostile.put("is a symbolic link", Map.of("work.warden",
        org.apache.commons.compress.archivers.tar.TarConstants.LF_SYMLINK));
    hostile.put("is a hard link", Map.of("work.warden", org.apache.commons.compress.archivers.tar.TarConstants.LF_LINK));
    hostile.put("device", Map.of("dev.warden", org.apache.commons.compress.archivers.tar.TarConstants.LF_CHR));
    hostile.put("refused as a possible archive bomb", Map.of("data/a.json", zeros, "data/b.json", zeros));
    int n = 0;
    for (Map.Entry<String, Map<String, Object>> h : hostile.entrySet()) {
      n++;
      answer.set(new Answer(200, tarGz(h.getValue()), "\"hostile-" + n + "\""));
      JsonNode outcome = post("/bundles/reload");
      assertThat(outcome.path("result").asText()).as(h.getKey()).isEqualTo("failed");
      assertThat(outcome.path("stage").asText()).as(h.getKey()).isEqualTo("fetch");
      assertThat(outcome.path("error").asText()).as(outcome.toString()).contains(h.getKey());
      assertThat(decide("alice").getRevision()).as(h.getKey()).matches(ReloadingSidecar.rev("rev-a"));
    }
    assertThat(ReloadingSidecar.admin(server, "GET", "/ready").statusCode()).isEqualTo(200);
  }

  @Test
  void aTokenFileIsSentAsABearerTokenAndReadAtEveryFetch() throws Exception {
    Path token = dir.resolve("token");
    Files.writeString(token, "first-token\n");
    publish("rev-a", "alice");
    start(Map.of("reload.remote.token_file", token.toString()));
    assertThat(seen.get(0)).endsWith(" Bearer first-token");
    Files.writeString(token, "rotated-token");
    assertThat(await(() -> seen.get(seen.size() - 1).endsWith(" Bearer rotated-token"))).isTrue();
    // The token is never in /status nor the log's view of the source.
    assertThat(ReloadingSidecar.admin(server, "GET", "/status").body()).doesNotContain("token");
  }

  @Test
  void aRestartWithTheServerDownServesThePersistedBundleDegraded() throws Exception {
    Path state = dir.resolve("state");
    publish("rev-a", "alice");
    start(Map.of("reload.persist_dir", state.toString()));
    ReloadingSidecar.stop(channel, server);

    answer.set(new Answer(500, new byte[0], null));
    start(Map.of("reload.persist_dir", state.toString()));
    assertThat(decide("alice").getRevision()).matches(ReloadingSidecar.rev("rev-a"));
    assertThat(status().path("bundle").path("state").asText()).isEqualTo("degraded");
    assertThat(ReloadingSidecar.admin(server, "GET", "/ready").statusCode()).isEqualTo(200);

    publish("rev-b", "bob");
    assertThat(await(() -> serving("rev-b"))).isTrue();
    assertThat(status().path("bundle").path("state").asText()).isEqualTo("healthy");
  }

  @Test
  void withoutPersistenceAnUnreachableServerRefusesTheStart() {
    answer.set(new Answer(404, new byte[0], null));
    assertThatThrownBy(() -> start(Map.of())).isInstanceOf(WardenServer.StartException.class)
        .hasMessageContaining("GET " + url() + " answered 404");
  }

  /** Past `reload.max_staleness` without a successful check: not ready, and with `deny` every request refused. */
  @Test
  void aStaleBundleIsNotReadyAndWithDenyRefusesEveryRequest() throws Exception {
    publish("rev-a", "alice");
    start(Map.of("reload.max_staleness", "1s", "reload.stale_action", "deny"));
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
    assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    assertThat(ReloadingSidecar.admin(server, "GET", "/ready").statusCode()).isEqualTo(200);

    answer.set(new Answer(503, new byte[0], null));
    assertThat(await(() -> server.bundle().snapshot().stale() != null)).isTrue();
    assertThat(ReloadingSidecar.admin(server, "GET", "/ready").body()).contains("stale");
    assertThat(ReloadingSidecar.admin(server, "GET", "/ready").statusCode()).isEqualTo(503);
    assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.NOT_SERVING);
    assertThat(status().path("bundle").path("stale").asBoolean()).isTrue();
    assertThat(ReloadingSidecar.metric(server, "warden_bundle_stale{bundle=\"work\"}", -1)).isEqualTo(1.0);
    assertThatThrownBy(() -> decide("alice")).isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("UNAVAILABLE: the policy is stale, decision ");

    answer.set(new Answer(200, answer.get().body(), null));
    publish("rev-a", "alice");
    assertThat(await(() -> server.bundle().snapshot().stale() == null)).isTrue();
    assertThat(decide("alice").getAllowed()).isTrue();
    assertThat(ReloadingSidecar.admin(server, "GET", "/ready").statusCode()).isEqualTo(200);
    assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    assertThat(ReloadingSidecar.metric(server, "warden_bundle_stale{bundle=\"work\"}", -1)).isEqualTo(0.0);
  }

  /** `not_ready` (the default) only takes Warden out of rotation: requests are still decided. */
  @Test
  void aStaleBundleWithNotReadyStillDecides() throws Exception {
    publish("rev-a", "alice");
    start(Map.of("reload.max_staleness", "1s"));
    answer.set(new Answer(503, new byte[0], null));
    assertThat(await(() -> server.bundle().snapshot().stale() != null)).isTrue();
    assertThat(ReloadingSidecar.admin(server, "GET", "/ready").statusCode()).isEqualTo(503);
    assertThat(decide("alice").getAllowed()).isTrue();
  }

  /** A rollback reaches no source: a stale bundle denied before it is still denied after it. */
  @Test
  void aRollbackDoesNotMakeAStaleBundleFresh() throws Exception {
    publish("rev-a", "alice");
    start(Map.of("reload.max_staleness", "1s", "reload.stale_action", "deny"));
    publish("rev-b", "bob");
    assertThat(await(() -> serving("rev-b"))).isTrue();
    answer.set(new Answer(503, new byte[0], null));
    assertThat(await(() -> server.bundle().snapshot().refusesAsStale())).isTrue();
    assertThat(post("/bundles/rollback").path("result").asText()).isEqualTo("ok");
    assertThat(serving("rev-a")).isTrue();
    assertThat(server.bundle().snapshot().refusesAsStale()).as("still stale, still denying").isTrue();
    assertThatThrownBy(() -> decide("alice")).isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("the policy is stale");
    assertThat(ReloadingSidecar.admin(server, "GET", "/ready").statusCode()).isEqualTo(503);
  }

  /** A server that sends its headers and then trickles the body is cut off at `reload.remote.timeout`. */
  @Test
  void aBodyThatTricklesIsCutOffAtTheTimeoutAndStalenessStillCounts() throws Exception {
    publish("rev-a", "alice");
    start(Map.of("reload.remote.timeout", "300ms", "reload.max_staleness", "1s"));
    bundles.createContext("/slow.tar.gz", exchange -> {
      try (exchange) {
        exchange.sendResponseHeaders(200, 1_000);
        for (int i = 0; i < 30; i++) {
          exchange.getResponseBody().write(0);
          exchange.getResponseBody().flush();
          Thread.sleep(100);
        }
      } catch (InterruptedException | IOException e) {
        // the client hung up
      }
    });
    answer.set(new Answer(302, new byte[0], null));
    redirectTo.set("/slow.tar.gz");
    long t0 = System.nanoTime();
    JsonNode outcome = post("/bundles/reload");
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(outcome.path("stage").asText()).as(outcome.toString()).isEqualTo("fetch");
    assertThat(outcome.path("error").asText()).contains("no complete answer within 300 ms");
    assertThat(ms).as("cut off, not read for 3 s").isLessThan(2_900);
    assertThat(await(() -> server.bundle().snapshot().stale() != null)).isTrue();
  }

  /** The token goes to the configured origin only: a redirect elsewhere is followed without it. */
  @Test
  void aRedirectToAnotherHostIsFollowedWithoutTheToken() throws Exception {
    Path token = dir.resolve("token");
    Files.writeString(token, "secret-token");
    byte[] archive = publish("rev-a", "alice");
    HttpServer cdn = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
    List<String> cdnAuth = new CopyOnWriteArrayList<>();
    cdn.createContext("/cdn/work.tar.gz", exchange -> {
      try (exchange) {
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        cdnAuth.add(auth == null ? "-" : auth);
        exchange.sendResponseHeaders(200, archive.length);
        exchange.getResponseBody().write(archive);
      }
    });
    cdn.start();
    try {
      answer.set(new Answer(302, new byte[0], null));
      redirectTo.set("http://localhost:" + cdn.getAddress().getPort() + "/cdn/work.tar.gz");
      start(Map.of("reload.remote.token_file", token.toString(), "reload.watch", "false"));
      assertThat(decide("alice").getRevision()).matches(ReloadingSidecar.rev("rev-a"));
      assertThat(seen.get(0)).endsWith(" Bearer secret-token");
      assertThat(cdnAuth).containsExactly("-");
    } finally {
      cdn.stop(0);
    }
  }

  /** A persisted bundle is as fresh as its last activation from the source, not as the restart. */
  @Test
  void aPersistedBundleServedAtStartIsAsStaleAsItsActivation() throws Exception {
    Path state = dir.resolve("state");
    publish("rev-a", "alice");
    start(Map.of("reload.persist_dir", state.toString()));
    ReloadingSidecar.stop(channel, server);
    Thread.sleep(1_500);
    answer.set(new Answer(500, new byte[0], null));
    start(Map.of("reload.persist_dir", state.toString(), "reload.max_staleness", "1s"));
    assertThat(await(() -> server.bundle().snapshot().stale() != null)).as("stale at once").isTrue();
    assertThat(status().path("bundle").path("state").asText()).isEqualTo("degraded");
  }

  /** A rollback pins the previous revision while the server still publishes the one rolled back from. */
  @Test
  void aRollbackIsPinnedUntilTheServerPublishesSomethingElse() throws Exception {
    publish("rev-a", "alice");
    start(Map.of());
    JsonNode none = post("/bundles/rollback");
    assertThat(none.path("result").asText()).isEqualTo("failed");
    assertThat(none.path("error").asText()).contains("no previous revision");
    assertThat(ReloadingSidecar.admin(server, "POST", "/bundles/rollback").statusCode()).isEqualTo(409);

    publish("rev-b", "bob");
    assertThat(await(() -> serving("rev-b"))).isTrue();
    JsonNode back = post("/bundles/rollback");
    assertThat(back.path("result").asText()).as(back.toString()).isEqualTo("ok");
    assertThat(back.path("revision").asText()).matches(ReloadingSidecar.rev("rev-a"));
    assertThat(decide("alice").getAllowed()).isTrue();
    // The server still has rev-b: polls see it and leave the pin alone.
    int polls = seen.size();
    assertThat(await(() -> seen.size() >= polls + 3)).isTrue();
    assertThat(serving("rev-a")).isTrue();
    JsonNode s = status().path("bundle");
    assertThat(s.path("pinned").path("revision").asText()).matches(ReloadingSidecar.rev("rev-a"));
    assertThat(s.path("last_check").path("stage").asText()).isEqualTo("pinned");
    assertThat(ReloadingSidecar.metric(server, "warden_bundle_rollbacks_total{bundle=\"work\"}", 0)).isEqualTo(1.0);

    publish("rev-c", "carol");
    assertThat(await(() -> serving("rev-c"))).isTrue();
    assertThat(status().path("bundle").path("pinned").isNull()).isTrue();
  }
}
