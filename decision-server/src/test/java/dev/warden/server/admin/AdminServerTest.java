package dev.warden.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.bundle.BundleDirectory;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.compile.Program;
import dev.warden.server.ActiveBundle;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admin listener on real loopback sockets, driven by hand-written HTTP so that each test
 * controls exactly which bytes arrive and when. Client reads time out after {@link #IO_MILLIS};
 * that bounds a broken server, it is not a latency target.
 */
class AdminServerTest {
  static final int IO_MILLIS = 5000;
  static final String ALL_ENDPOINTS = "endpoints: /health /ready /status /metrics\n";
  static Program program;

  final ActiveBundle bundle = new ActiveBundle();
  final ServerMetrics metrics = new ServerMetrics();
  /** Everything a test opened, closed last-opened first after it. */
  final Deque<AutoCloseable> opened = new ArrayDeque<>();

  @BeforeAll
  static void compile() throws Exception {
    program = new BundleCompiler().compile(BundleDirectory.read(Path.of("..", "policies", "shop"))).programOrThrow();
  }

  @AfterEach
  void closeAll() throws Exception {
    while (!opened.isEmpty()) {
      opened.pop().close();
    }
  }

  static InetSocketAddress loopback() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  }

  static AdminServer.Settings settings(Duration timeout, int maxConnections) {
    return new AdminServer.Settings(loopback(), null, timeout, maxConnections);
  }

  AdminServer start(AdminServer.Settings settings) throws IOException {
    AdminServer server = new AdminServer(settings, bundle, metrics);
    opened.push(server);
    server.start();
    return server;
  }

  AdminServer start() throws IOException {
    return start(AdminServer.Settings.defaults(loopback()));
  }

  // --- endpoints -------------------------------------------------------------------------------

  @Test
  void healthAnswersOkAndReadyFollowsTheActiveBundle() throws Exception {
    InetSocketAddress at = start().address();

    Response health = get(at, "/health");
    assertThat(health.status()).isEqualTo(200);
    assertThat(health.body()).isEqualTo("ok\n");
    assertThat(health.header("content-type")).isEqualTo("text/plain");
    Response notReady = get(at, "/ready");
    assertThat(notReady.status()).isEqualTo(503);
    assertThat(notReady.body()).isEqualTo("no bundle is active\n");

    bundle.activate(program, "../policies/shop", Instant.now());
    Response ready = get(at, "/ready");
    assertThat(ready.status()).isEqualTo(200);
    assertThat(ready.body()).isEqualTo("ready\n");
  }

  /** Shutting down: not ready on every listener, while everything else still answers. */
  @Test
  void drainingMakesReadyAnswer503AndKeepsTheRest() throws Exception {
    AdminServer server = start(new AdminServer.Settings(loopback(), loopback(), Duration.ofSeconds(10), 16));
    bundle.activate(program, "../policies/shop", Instant.now());
    assertThat(get(server.address(), "/ready").status()).isEqualTo(200);

    server.draining();
    for (InetSocketAddress at : List.of(server.address(), server.opsAddress())) {
      Response ready = get(at, "/ready");
      assertThat(ready.status()).isEqualTo(503);
      assertThat(ready.body()).isEqualTo("shutting down\n");
      assertThat(get(at, "/health").status()).isEqualTo(200);
    }
    JsonNode status = new ObjectMapper().readTree(get(server.opsAddress(), "/status").body());
    assertThat(status.get("ready").asBoolean()).isFalse();
    assertThat(status.get("revision").asText()).isEqualTo(program.revision());
    assertThat(get(server.opsAddress(), "/metrics").status()).isEqualTo(200);
  }

  @Test
  void statusIsJsonAndLeavesOutTheBundlePath() throws Exception {
    InetSocketAddress at = start().address();
    ObjectMapper json = new ObjectMapper();

    JsonNode before = json.readTree(get(at, "/status").body());
    assertThat(before.get("ready").asBoolean()).isFalse();
    assertThat(before.get("revision").isNull()).isTrue();
    assertThat(before.get("routes").asInt()).isZero();

    Instant activated = Instant.parse("2026-11-23T10:00:00Z");
    bundle.activate(program, "/srv/secret-layout/bundle", activated);
    bundle.failed("bundle.yaml: no such file", Instant.parse("2026-11-23T10:05:00Z"));
    Response status = get(at, "/status");
    assertThat(status.status()).isEqualTo(200);
    assertThat(status.header("content-type")).isEqualTo("application/json");
    assertThat(status.body()).doesNotContain("secret-layout");
    JsonNode after = json.readTree(status.body());
    List<String> fields = new ArrayList<>();
    after.fieldNames().forEachRemaining(fields::add);
    assertThat(fields).containsExactly("ready", "stale", "revision", "activated_at", "routes", "last_error", "last_error_at");
    assertThat(after.get("ready").asBoolean()).isTrue();
    assertThat(after.get("revision").asText()).isEqualTo(program.revision());
    assertThat(after.get("activated_at").asText()).isEqualTo("2026-11-23T10:00:00Z");
    assertThat(after.get("routes").asInt()).isEqualTo(program.routeCount()).isPositive();
    assertThat(after.get("last_error").asText()).isEqualTo("bundle.yaml: no such file");
    assertThat(after.get("last_error_at").asText()).isEqualTo("2026-11-23T10:05:00Z");
  }

  @Test
  void metricsIsPrometheusText() throws Exception {
    InetSocketAddress at = start().address();
    metrics.bundle("shop").loadFailed();

    Response scrape = get(at, "/metrics");
    assertThat(scrape.status()).isEqualTo(200);
    assertThat(scrape.header("content-type")).isEqualTo(PrometheusTextFormatWriter.CONTENT_TYPE);
    assertThat(scrape.body()).contains("# TYPE warden_bundle_load_errors_total counter")
        .contains("warden_bundle_load_errors_total{bundle=\"shop\"} 1");
    // Query parameters and the absolute form do not change the answer.
    assertThat(get(at, "/metrics?name[]=warden_bundle_load_errors_total").status()).isEqualTo(200);
    assertThat(get(at, "http://127.0.0.1/metrics").status()).isEqualTo(200);
    assertThat(get(at, "http://127.0.0.1").body()).isEqualTo(ALL_ENDPOINTS);
  }

  @Test
  void headAnswersLikeGetWithoutTheBody() throws Exception {
    InetSocketAddress at = start().address();
    try (Conn c = connect(at)) {
      c.send("HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      Response head = c.read(true);
      assertThat(head.status()).isEqualTo(200);
      assertThat(head.header("content-length")).isEqualTo("3");
      // Were a body sent, this would read its first byte instead of the end of the stream.
      assertThat(c.closedByServer()).isTrue();
    }
  }

  @Test
  void otherMethodsGet405NamingTheAllowedOnes() throws Exception {
    InetSocketAddress at = start().address();
    for (String method : List.of("POST", "PUT", "DELETE", "OPTIONS")) {
      for (String path : List.of("/health", "/nowhere")) {
        Response r = exchange(at, method + " " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
            + "Connection: close\r\n\r\n");
        assertThat(r.status()).as("%s %s", method, path).isEqualTo(405);
        assertThat(r.header("allow")).isEqualTo("GET, HEAD");
      }
    }
  }

  @Test
  void unknownPathsGet404WithTheEndpointList() throws Exception {
    InetSocketAddress at = start().address();
    for (String path : List.of("/", "/healthz", "/health/", "/status/x", "/../metrics")) {
      Response r = get(at, path);
      assertThat(r.status()).as(path).isEqualTo(404);
      assertThat(r.body()).isEqualTo(ALL_ENDPOINTS);
    }
  }

  @Test
  void theOldConstructorServesEverythingOnOneListener() throws Exception {
    AdminServer server = new AdminServer(loopback(), bundle, metrics);
    opened.push(server);
    server.start();
    assertThat(server.address().getPort()).isPositive();
    assertThat(server.opsAddress()).isNull();
    for (String path : List.of("/health", "/status", "/metrics")) {
      assertThat(get(server.address(), path).status()).as(path).isEqualTo(200);
    }
  }

  // --- HTTP/1.1 connections --------------------------------------------------------------------

  @Test
  void keepAliveServesRequestsOnOneConnectionUntilConnectionClose() throws Exception {
    InetSocketAddress at = start().address();
    try (Conn c = connect(at)) {
      c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
      Response first = c.read(false);
      assertThat(first.status()).isEqualTo(200);
      assertThat(first.header("connection")).isNull();
      c.send("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(c.read(false).status()).isEqualTo(503);
      c.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      Response last = c.read(false);
      assertThat(last.status()).isEqualTo(200);
      assertThat(last.header("connection")).isEqualTo("close");
      assertThat(c.closedByServer()).isTrue();
    }
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    InetSocketAddress at = start().address();
    try (Conn c = connect(at)) {
      c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /ready HTTP/1.1\r\nHost: x\r\n\r\n"
          + "HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(c.read(false).body()).isEqualTo("ok\n");
      assertThat(c.read(false).body()).isEqualTo("no bundle is active\n");
      assertThat(c.read(true).status()).isEqualTo(200);
      assertThat(c.closedByServer()).isTrue();
    }
  }

  @Test
  void http10ClosesUnlessItAsksForKeepAlive() throws Exception {
    InetSocketAddress at = start().address();
    try (Conn c = connect(at)) {
      c.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      Response kept = c.read(false);
      assertThat(kept.status()).isEqualTo(200);
      assertThat(kept.header("connection")).isEqualToIgnoringCase("keep-alive");
      c.send("GET /health HTTP/1.0\r\n\r\n");
      assertThat(c.read(false).header("connection")).isEqualTo("close");
      assertThat(c.closedByServer()).isTrue();
    }
  }

  // --- limits ----------------------------------------------------------------------------------

  @Test
  void aRequestLineOver4096BytesGets414AndTheConnectionCloses() throws Exception {
    InetSocketAddress at = start().address();
    // Just under the limit is an ordinary (unknown) path.
    String fits = "/" + "a".repeat(4096 - "GET / HTTP/1.1".length());
    assertThat(get(at, fits).status()).isEqualTo(404);
    try (Conn c = connect(at)) {
      c.send("GET /" + "a".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(c.read(false).status()).isEqualTo(414);
      assertThat(c.closedByServer()).isTrue();
    }
  }

  @Test
  void headersOver8KiBGet431AndTheConnectionCloses() throws Exception {
    InetSocketAddress at = start().address();
    try (Conn c = connect(at)) {
      c.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(9000) + "\r\n\r\n");
      assertThat(c.read(false).status()).isEqualTo(431);
      assertThat(c.closedByServer()).isTrue();
    }
    try (Conn c = connect(at)) {
      // Many small headers count together.
      c.send("GET /health HTTP/1.1\r\nHost: x\r\n" + "X-Small: 0123456789abcdef\r\n".repeat(4000) + "\r\n");
      assertThat(c.read(false).status()).isEqualTo(431);
      assertThat(c.closedByServer()).isTrue();
    }
  }

  @Test
  void aBodyOver1KiBGets413AndTheConnectionCloses() throws Exception {
    InetSocketAddress at = start().address();
    try (Conn c = connect(at)) {
      // Refused on the declared length, before any of the body is sent.
      c.send("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n");
      Response r = c.read(false);
      assertThat(r.status()).isEqualTo(413);
      assertThat(r.header("connection")).isEqualTo("close");
      assertThat(c.closedByServer()).isTrue();
    }
    try (Conn c = connect(at)) {
      // A chunked body has no declared length; it is counted as it arrives.
      c.send("GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "300\r\n" + "c".repeat(0x300) + "\r\n" + "300\r\n" + "c".repeat(0x300) + "\r\n0\r\n\r\n");
      assertThat(c.read(false).status()).isEqualTo(413);
      assertThat(c.closedByServer()).isTrue();
    }
    try (Conn c = connect(at)) {
      // A client that asks first is told to go on, and then answered.
      c.send("GET /health HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
      assertThat(c.read(false).status()).isEqualTo(100);
      c.send("hello");
      assertThat(c.read(false).status()).isEqualTo(200);
    }
    try (Conn c = connect(at)) {
      // A small body is read and ignored, and the connection stays usable.
      c.send("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789");
      assertThat(c.read(false).status()).isEqualTo(200);
      c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(c.read(false).body()).isEqualTo("ok\n");
    }
  }

  @Test
  void malformedRequestsGet400AndTheConnectionCloses() throws Exception {
    InetSocketAddress at = start().address();
    List<String> malformed = List.of(
        "GET /health\r\n\r\n",
        "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
        "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "GET /health HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
        "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u01fc\u0003\u0003 tls\r\n\r\n");
    for (String request : malformed) {
      try (Conn c = connect(at)) {
        c.send(request);
        assertThat(c.read(false).status()).as(request).isEqualTo(400);
        assertThat(c.closedByServer()).as(request).isTrue();
      }
    }
  }

  @Test
  void anIdleConnectionIsClosedAfterTheRequestTimeout() throws Exception {
    InetSocketAddress at = start(settings(Duration.ofMillis(500), 16)).address();
    try (Conn silent = connect(at); Conn served = connect(at)) {
      served.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(served.read(false).status()).isEqualTo(200);
      // Neither sends anything more; the server closes both within the client's read timeout.
      assertThat(silent.closedByServer()).isTrue();
      assertThat(served.closedByServer()).isTrue();
    }
  }

  @Test
  void slowClientsDoNotStallTheProbes() throws Exception {
    bundle.activate(program, "../policies/shop", Instant.now());
    // A timeout far beyond the test, so the slow clients keep their connections throughout.
    InetSocketAddress at = start(settings(Duration.ofSeconds(60), 1024)).address();
    try (Drip drip = new Drip(at, 32)) {
      for (int tick = 0; tick < 20; tick++) {
        drip.tick();
        if (tick % 4 == 3) {
          assertThat(get(at, "/health").status()).as("tick %d", tick).isEqualTo(200);
          assertThat(get(at, "/ready").status()).as("tick %d", tick).isEqualTo(200);
        }
        Thread.sleep(100);
      }
      assertThat(drip.closed()).as("slow clients the server closed").isZero();
    }
  }

  @Test
  void slowClientsAreCutOffAtTheRequestTimeoutThoughTheyKeepSending() throws Exception {
    bundle.activate(program, "../policies/shop", Instant.now());
    InetSocketAddress at = start(settings(Duration.ofSeconds(1), 1024)).address();
    try (Drip drip = new Drip(at, 32)) {
      // Up to 10 s of dripping, ten times the timeout; stop as soon as all are cut off.
      for (int tick = 0; tick < 100 && drip.closed() < 32; tick++) {
        drip.tick();
        if (tick % 4 == 3) {
          assertThat(get(at, "/ready").status()).as("tick %d", tick).isEqualTo(200);
        }
        Thread.sleep(100);
      }
      assertThat(drip.closed()).as("slow clients the server closed").isEqualTo(32);
    }
    assertThat(get(at, "/health").status()).isEqualTo(200);
  }

  @Test
  void connectionsBeyondTheCapAreClosedAtOnceAndCounted() throws Exception {
    AdminServer server = start(settings(Duration.ofSeconds(30), 4));
    List<Conn> four = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Conn c = connect(server.address());
      four.add(c);
      // Answered, so the server has surely counted it before the fifth arrives.
      c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(c.read(false).status()).isEqualTo(200);
    }
    try (Conn fifth = connect(server.address())) {
      assertThat(fifth.closedByServer()).isTrue();
    }
    assertThat(server.rejectedConnections()).isEqualTo(1);
    four.get(0).send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(four.get(0).read(false).status()).isEqualTo(200);

    // A closed connection frees its place, once the server has seen it go.
    four.get(3).close();
    boolean served = false;
    for (int attempt = 0; attempt < 50 && !served; attempt++) {
      try (Conn c = connect(server.address())) {
        c.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        served = c.readOrNull() != null;
      } catch (SocketException refusedAtTheCap) {
        served = false;
      }
      if (!served) {
        Thread.sleep(100);
      }
    }
    assertThat(served).isTrue();
  }

  @Test
  void theNioTransportBehavesTheSame() throws Exception {
    AdminServer server = new AdminServer(settings(Duration.ofMillis(500), 2), bundle, metrics, false);
    opened.push(server);
    server.start();
    InetSocketAddress at = server.address();
    try (Conn c = connect(at); Conn second = connect(at)) {
      c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(c.read(false).body()).isEqualTo("ok\n");
      c.send("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(c.read(false).status()).isEqualTo(503);
      try (Conn third = connect(at)) {
        assertThat(third.closedByServer()).isTrue();
      }
      assertThat(server.rejectedConnections()).isEqualTo(1);
      second.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ");
      assertThat(second.closedByServer()).isTrue();
      assertThat(c.closedByServer()).isTrue();
    }
  }

  // --- the ops listener ------------------------------------------------------------------------

  @Test
  void withAnOpsListenerTheMainOneServesOnlyTheProbes() throws Exception {
    bundle.activate(program, "../policies/shop", Instant.now());
    AdminServer server = start(new AdminServer.Settings(loopback(), loopback(), Duration.ofSeconds(10), 16));
    InetSocketAddress main = server.address();
    InetSocketAddress ops = server.opsAddress();
    assertThat(ops).isNotNull();
    assertThat(ops.getPort()).isPositive().isNotEqualTo(main.getPort());

    assertThat(get(main, "/health").status()).isEqualTo(200);
    assertThat(get(main, "/ready").status()).isEqualTo(200);
    for (String path : List.of("/status", "/metrics", "/nowhere")) {
      Response r = get(main, path);
      assertThat(r.status()).as(path).isEqualTo(404);
      assertThat(r.body()).isEqualTo("endpoints: /health /ready\n");
    }

    assertThat(get(ops, "/health").status()).isEqualTo(200);
    assertThat(get(ops, "/ready").status()).isEqualTo(200);
    assertThat(get(ops, "/status").body()).contains("\"revision\":\"" + program.revision() + "\"");
    assertThat(get(ops, "/metrics").body()).contains("warden_decision_duration_seconds_count");
    assertThat(get(ops, "/nowhere").body()).isEqualTo(ALL_ENDPOINTS);
  }

  @Test
  void eachListenerHasItsOwnConnectionCap() throws Exception {
    AdminServer server = start(new AdminServer.Settings(loopback(), loopback(), Duration.ofSeconds(30), 1));
    try (Conn probe = connect(server.address()); Conn scrape = connect(server.opsAddress())) {
      probe.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(probe.read(false).status()).isEqualTo(200);
      // The main listener is full; the ops listener is not.
      scrape.send("GET /status HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(scrape.read(false).status()).isEqualTo(200);
      try (Conn more = connect(server.address())) {
        assertThat(more.closedByServer()).isTrue();
      }
      try (Conn more = connect(server.opsAddress())) {
        assertThat(more.closedByServer()).isTrue();
      }
      assertThat(server.rejectedConnections()).isEqualTo(2);
    }
  }

  // --- lifecycle -------------------------------------------------------------------------------

  @Test
  void aBindFailureNamesTheAddressAndLeavesNoThreadBehind() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      InetSocketAddress busy = (InetSocketAddress) taken.getLocalSocketAddress();
      String named = "`" + busy.getHostString() + ":" + busy.getPort() + "`";
      assertThatThrownBy(() -> new AdminServer(AdminServer.Settings.defaults(busy), bundle, metrics))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("admin listener cannot bind " + named);
      assertThatThrownBy(() -> new AdminServer(new AdminServer.Settings(loopback(), busy, Duration.ofSeconds(1), 1),
          bundle, metrics))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("admin ops listener cannot bind " + named);
    }
    assertThat(adminThreadsGone()).isTrue();
  }

  @Test
  void closeStopsListenersConnectionsAndThreadsAndCanBeRepeated() throws Exception {
    AdminServer server = new AdminServer(new AdminServer.Settings(loopback(), loopback(), Duration.ofSeconds(30), 16),
        bundle, metrics);
    server.start();
    InetSocketAddress main = server.address();
    InetSocketAddress ops = server.opsAddress();
    try (Conn c = connect(main)) {
      c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(c.read(false).status()).isEqualTo(200);
      server.close();
      assertThat(c.closedByServer()).isTrue();
    }
    server.close();
    assertThatThrownBy(() -> connect(main).close()).isInstanceOf(ConnectException.class);
    assertThatThrownBy(() -> connect(ops).close()).isInstanceOf(ConnectException.class);
    assertThat(adminThreadsGone()).isTrue();
  }

  @Test
  void settingsRefuseNonsense() {
    assertThat(AdminServer.Settings.defaults(loopback()))
        .isEqualTo(new AdminServer.Settings(loopback(), null, Duration.ofSeconds(10), 1024));
    assertThatThrownBy(() -> settings(Duration.ZERO, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the admin request timeout must be positive, found `PT0S`");
    assertThatThrownBy(() -> settings(Duration.ofSeconds(1), 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the admin listener must allow at least 1 connection, found `0`");
    assertThatThrownBy(() -> new AdminServer.Settings(null, null, Duration.ofSeconds(1), 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** Whether the event loop threads are gone, waiting at most 5 s for them to finish exiting. */
  static boolean adminThreadsGone() throws InterruptedException {
    for (int i = 0; i < 50; i++) {
      if (Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith("warden-admin"))) {
        return true;
      }
      Thread.sleep(100);
    }
    return false;
  }

  // --- a hand-written HTTP client --------------------------------------------------------------

  record Response(int status, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  Response get(InetSocketAddress at, String path) throws IOException {
    return exchange(at, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  }

  Response exchange(InetSocketAddress at, String request) throws IOException {
    try (Conn c = connect(at)) {
      c.send(request);
      return c.read(request.startsWith("HEAD "));
    }
  }

  Conn connect(InetSocketAddress at) throws IOException {
    Socket s = new Socket();
    try {
      s.connect(at, IO_MILLIS);
      s.setSoTimeout(IO_MILLIS);
    } catch (IOException e) {
      s.close();
      throw e;
    }
    Conn c = new Conn(s);
    opened.push(c);
    return c;
  }

  /** One client connection; closing it twice is harmless, so tests may close theirs early. */
  static final class Conn implements AutoCloseable {
    final Socket socket;
    final InputStream in;
    final OutputStream out;

    Conn(Socket socket) throws IOException {
      this.socket = socket;
      this.in = new BufferedInputStream(socket.getInputStream());
      this.out = socket.getOutputStream();
    }

    void send(String request) throws IOException {
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    /** One response; its body is as long as Content-Length says, and absent for HEAD. */
    Response read(boolean head) throws IOException {
      Response r = readOrNull(head);
      assertThat(r).as("a response before the connection closed").isNotNull();
      return r;
    }

    /** One response, or null when the server closes the connection before answering. */
    Response readOrNull() throws IOException {
      try {
        return readOrNull(false);
      } catch (SocketException reset) {
        return null;
      }
    }

    private Response readOrNull(boolean head) throws IOException {
      String statusLine = line();
      if (statusLine == null) {
        return null;
      }
      assertThat(statusLine).startsWith("HTTP/1.1 ");
      int status = Integer.parseInt(statusLine.substring(9, 12));
      Map<String, String> headers = new LinkedHashMap<>();
      for (int i = 0; i < 100; i++) {
        String h = line();
        assertThat(h).as("a header line or the blank line after them").isNotNull();
        if (h.isEmpty()) {
          break;
        }
        int colon = h.indexOf(':');
        headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
      }
      int length = head ? 0 : Integer.parseInt(headers.getOrDefault("content-length", "0"));
      byte[] body = in.readNBytes(length);
      assertThat(body).as("the whole body").hasSize(length);
      return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    /** A line without its CRLF, or null at the end of the stream before any byte of it. */
    private String line() throws IOException {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      for (int i = 0; i < 16 * 1024; i++) {
        int b = in.read();
        if (b == -1) {
          assertThat(buf.size()).as("a line cut short").isZero();
          return null;
        }
        if (b == '\n') {
          String s = buf.toString(StandardCharsets.ISO_8859_1);
          return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
        }
        buf.write(b);
      }
      throw new AssertionError("a line longer than 16 KiB");
    }

    /** Whether the server closed the connection: the end of the stream or a reset, within the read timeout. */
    boolean closedByServer() throws IOException {
      try {
        return in.read() == -1;
      } catch (SocketTimeoutException stillOpen) {
        return false;
      } catch (SocketException reset) {
        return true;
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /**
   * Slowloris: connections that send a request line and a header, then one more byte of the
   * header at each {@link #tick()}, and never finish it. Non-blocking, so one thread can drip
   * into all of them and see which the server has closed.
   */
  static final class Drip implements AutoCloseable {
    final List<SocketChannel> channels = new ArrayList<>();
    final boolean[] closed;

    Drip(InetSocketAddress at, int count) throws IOException {
      closed = new boolean[count];
      try {
        for (int i = 0; i < count; i++) {
          SocketChannel ch = SocketChannel.open(at);
          channels.add(ch);
          ch.write(ByteBuffer.wrap("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII)));
          ch.configureBlocking(false);
        }
      } catch (IOException e) {
        close();
        throw e;
      }
    }

    /** Sends one more byte on each connection still open, and notes those the server closed. */
    void tick() {
      for (int i = 0; i < closed.length; i++) {
        if (!closed[i]) {
          try {
            SocketChannel ch = channels.get(i);
            ch.write(ByteBuffer.wrap(new byte[] {'a'}));
            if (ch.read(ByteBuffer.allocate(256)) == -1) {
              closed[i] = true;
            }
          } catch (IOException resetOrBrokenPipe) {
            closed[i] = true;
          }
        }
      }
    }

    int closed() {
      int n = 0;
      for (boolean c : closed) {
        n += c ? 1 : 0;
      }
      return n;
    }

    @Override
    public void close() throws IOException {
      for (SocketChannel ch : channels) {
        ch.close();
      }
    }
  }
}
