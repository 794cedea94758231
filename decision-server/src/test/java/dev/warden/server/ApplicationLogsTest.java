package dev.warden.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.warden.bundle.BundleArchive;
import dev.warden.bundle.BundleDirectory;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The application logs: `--log-format json` makes every line the real `warden serve` writes one
 * JSON object, decision lines carrying their `decision_id`; and no credential a caller or the
 * operator gave ever reaches them, at DEBUG, whether a Check's token or API key is bad or a
 * bundle fetch with a token fails against a server that echoes it back.
 */
class ApplicationLogsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration STARTUP = Duration.ofSeconds(60);
  private static final String API_KEY = "wk_live_3f9c1d7e5b2a4c6e8f0a1b2c3d4e5f60";

  @TempDir Path dir;

  private static CheckRequest check(String method, String path, Map<String, String> headers) {
    var http = io.envoyproxy.envoy.service.auth.v3.AttributeContext.HttpRequest.newBuilder().setMethod(method)
        .setPath(path).putAllHeaders(headers);
    return CheckRequest.newBuilder().setAttributes(io.envoyproxy.envoy.service.auth.v3.AttributeContext.newBuilder()
        .setRequest(io.envoyproxy.envoy.service.auth.v3.AttributeContext.Request.newBuilder().setHttp(http))).build();
  }

  /** A valid token with its signature changed: it names a real key and does not verify. */
  private static String tampered(String token) {
    char last = token.charAt(token.length() - 5);
    return token.substring(0, token.length() - 5) + (last == 'A' ? 'B' : 'A') + token.substring(token.length() - 4);
  }

  /** The credentials of {@link #badCredentials}: each must be absent from every log line. */
  private static List<String> secrets(String... tokens) {
    List<String> out = new ArrayList<>(List.of(API_KEY));
    for (String t : tokens) {
      out.add(t);
      // The signature alone is a secret's worth too: with the header and payload it is the token.
      out.add(t.substring(t.lastIndexOf('.') + 1));
    }
    return out;
  }

  /** Checks with a tampered token, an algorithm-confusion token and an unknown API key: each refused with 401. */
  private static void badCredentials(ManagedChannel channel, String tampered, String forged) {
    var stub = AuthorizationGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    for (Map<String, String> headers : List.of(Map.of("authorization", "Bearer " + tampered),
        Map.of("authorization", "Bearer " + forged), Map.of("x-api-key", API_KEY))) {
      CheckResponse r = stub.check(check("GET", "/orders", headers));
      assertThat(r.getDeniedResponse().getStatus().getCodeValue()).as("%s", headers.keySet()).isEqualTo(401);
    }
  }

  @Test
  void everyLineOfAJsonRunIsOneJsonObjectAndNoCredentialIsInAny() throws Exception {
    Tokens tokens = new Tokens(Instant.now());
    Path jwks = tokens.writeJwks(dir);
    Path config = dir.resolve("warden.yaml");
    Files.writeString(config, """
        identity:
          jwt:
            issuer: %s
            audiences: [%s]
            jwks_file: %s
        shutdown:
          drain: 0s
          grace: 2s
        """.formatted(Tokens.ISSUER, Tokens.AUDIENCE, jwks));
    String valid = tokens.valid("alice", List.of("customer"), "acme");
    String tampered = tampered(valid);
    String forged = tokens.hmacConfusion("mallory");
    String stderr;
    try (WardenProcess warden = WardenProcess.start(List.of("--bundle", Path.of("..", "policies", "shop").toString(),
        "--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0", "--config", config.toString(), "--log-format", "json"),
        Map.of("WARDEN_LOG_LEVEL", "DEBUG"), STARTUP)) {
      ManagedChannel channel = NettyChannelBuilder.forTarget(warden.grpcTarget()).usePlaintext().build();
      try {
        var stub = AuthorizationGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
        assertThat(stub.check(check("GET", "/orders", Map.of("authorization", "Bearer " + valid))).hasOkResponse())
            .isTrue();
        // Client text with quotes, a backslash and a control character: escaped, the line still JSON.
        stub.check(check("GET", "/orders/\"x\\\u0001y", Map.of()));
        badCredentials(channel, tampered, forged);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + warden.adminPort() + "/metrics")).timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      warden.terminate();
      assertThat(warden.waitFor(Duration.ofSeconds(30))).isZero();
      stderr = warden.stderr();
    }
    List<JsonNode> lines = new ArrayList<>();
    for (String line : stderr.split("\n")) {
      JsonNode n = JSON.readTree(line);
      assertThat(n.isObject()).as("a JSON object: %s", line).isTrue();
      assertThat(n.path("level").asText()).as(line).isIn("ERROR", "WARN", "INFO", "DEBUG", "TRACE");
      assertThat(n.path("timestamp").isNumber()).as(line).isTrue();
      assertThat(n.path("loggerName").asText()).as(line).isNotEmpty();
      assertThat(n.has("formattedMessage")).as(line).isTrue();
      lines.add(n);
    }
    // The run's lines: the decisions (DEBUG and INFO), each with its decision id as a key-value, and the stop.
    List<JsonNode> decisions = lines.stream()
        .filter(n -> n.path("loggerName").asText().equals("dev.warden.server.authz.DecisionRecorder")).toList();
    assertThat(decisions).hasSize(5);
    for (JsonNode d : decisions) {
      String id = d.path("kvpList").path(0).path("decision_id").asText();
      assertThat(id).matches("[0-9a-f]{32}");
      assertThat(d.path("formattedMessage").asText()).startsWith("decision " + id + ": ext_authz ");
    }
    assertThat(decisions).filteredOn(d -> d.path("level").asText().equals("INFO")).hasSizeGreaterThanOrEqualTo(3);
    assertThat(lines).anySatisfy(n -> assertThat(n.path("formattedMessage").asText()).isEqualTo("stopped"));
    for (String secret : secrets(tampered, forged)) {
      assertThat(stderr).doesNotContain(secret);
    }
  }

  @Test
  void aBadCredentialCheckLogsNoCredentialAtDebug() throws Exception {
    Tokens tokens = new Tokens(Instant.now());
    Map<String, String> flags = ReloadingSidecar.loopbackFlags("../policies/shop");
    flags.putAll(Tokens.config(tokens.writeJwks(dir)));
    String tampered = tampered(tokens.valid("alice", List.of("customer"), "acme"));
    String forged = tokens.hmacConfusion("mallory");
    try (DebugLogs logs = new DebugLogs()) {
      WardenServer server = ReloadingSidecar.started(flags);
      ManagedChannel channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
      try {
        badCredentials(channel, tampered, forged);
      } finally {
        ReloadingSidecar.stop(channel, server);
      }
      assertThat(logs.lines()).filteredOn(l -> l.contains("DecisionRecorder")).hasSize(3);
      for (String secret : secrets(tampered, forged)) {
        assertThat(logs.lines()).noneMatch(l -> l.contains(secret));
      }
    }
  }

  /**
   * A bundle server that takes the token, serves the bundle once, then refuses every fetch with
   * 401 and echoes the token back in its body and a challenge: nothing of it reaches a log line
   * or `/status`.
   */
  @Test
  void aFailingFetchWithATokenLogsNoToken() throws Exception {
    String token = "tok_9d8c7b6a5f4e3d2c1b0a99887766554433221100";
    Path tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, token + "\n");
    Path src = dir.resolve("src");
    BundleReloadTest.write(src, "rev-a", "alice");
    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    BundleArchive.write(BundleDirectory.read(src), null, archive);
    AtomicBoolean served = new AtomicBoolean();
    HttpServer bundles = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    bundles.createContext("/work.tar.gz", exchange -> {
      try (exchange) {
        String auth = String.valueOf(exchange.getRequestHeaders().getFirst("Authorization"));
        if (served.compareAndSet(false, true)) {
          exchange.sendResponseHeaders(200, archive.size());
          exchange.getResponseBody().write(archive.toByteArray());
          return;
        }
        byte[] body = ("{\"error\":\"invalid token\",\"you_sent\":\"" + auth + "\"}").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer error=\"invalid_token\", sent=\"" + auth + "\"");
        exchange.sendResponseHeaders(401, body.length);
        exchange.getResponseBody().write(body);
      }
    });
    bundles.start();
    WardenServer server = null;
    try (DebugLogs logs = new DebugLogs()) {
      Map<String, String> flags = ReloadingSidecar.loopbackFlags(
          "work=http://127.0.0.1:" + bundles.getAddress().getPort() + "/work.tar.gz");
      flags.put("reload.remote.token_file", tokenFile.toString());
      flags.put("reload.remote.interval", "100ms");
      flags.put("reload.remote.jitter", "0");
      flags.put("reload.remote.max_backoff", "200ms");
      server = ReloadingSidecar.started(flags);
      WardenServer s = server;
      assertThat(ReloadingSidecar.await(Duration.ofSeconds(20), () -> {
        try {
          return ReloadingSidecar.metric(s, "warden_bundle_reloads_total{bundle=\"work\",result=\"failed\",stage=\"fetch\"}",
              0) >= 2;
        } catch (Exception e) {
          return false;
        }
      })).isTrue();
      assertThat(ReloadingSidecar.admin(server, "GET", "/status").body()).contains("401").doesNotContain(token);
      assertThat(logs.lines()).anyMatch(l -> l.contains("401"));
      assertThat(logs.lines()).noneMatch(l -> l.contains(token));
    } finally {
      ReloadingSidecar.stop(null, server);
      bundles.stop(0);
    }
  }

  /** Everything `dev.warden` logs at DEBUG or above while open, its level raised for the time. */
  private static final class DebugLogs implements AutoCloseable {
    private final Logger warden = (Logger) LoggerFactory.getLogger("dev.warden");
    private final Level before = warden.getLevel();
    private final LogCapture capture;

    DebugLogs() {
      warden.setLevel(Level.DEBUG);
      capture = new LogCapture(Level.DEBUG);
    }

    List<String> lines() {
      return capture.warnings();
    }

    @Override
    public void close() {
      capture.close();
      warden.setLevel(before);
    }
  }
}
