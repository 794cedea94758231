package dev.warden.server.quota;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.warden.server.ServerConfig;
import dev.warden.server.WardenServer;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Global quotas between real sidecars on loopback and a real Redis: one bucket for every
 * replica, each fallback while Redis is away, and back to shared counting once it returns.
 */
class GlobalQuotaSidecarTest {
  private static final String POLICY = """
      package work

      principal { id: string = jwt.sub }

      api "Work" {
        route read  GET /items/{id}
        route write PUT /items/{id}
        route ping  GET /ping
      }

      permit read, write, ping
      quota shared on read  : 5 per 1h by principal.id scope global
      quota opened on write : 1 per 1h by principal.id scope global fallback open
      quota halved on ping  : 4 per 1h by principal.id scope global fallback local 0.5
      """;

  @TempDir static Path dir;
  private static RedisServerProcess redis;
  private final List<WardenServer> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void startRedis() throws Exception {
    redis = RedisServerProcess.start(dir.resolve("redis"));
  }

  @AfterAll
  static void stopRedis() throws InterruptedException {
    if (redis != null) {
      redis.close();
    }
  }

  @BeforeEach
  void needsRedis() throws Exception {
    RedisServerProcess.assumeRunning(redis);
    redis.restart(); // empty for each test
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    servers.forEach(WardenServer::close);
  }

  private AuthorizationGrpc.AuthorizationBlockingStub sidecar() throws Exception {
    Path bundle = Files.createDirectories(dir.resolve("bundle"));
    Files.writeString(bundle.resolve("work.warden"), POLICY);
    Map<String, String> flags = new HashMap<>();
    flags.put("bundle", bundle.toString());
    flags.put("grpc.listen", "127.0.0.1:0");
    flags.put("http.listen", "127.0.0.1:0");
    flags.put("shutdown.grace", "1s");
    flags.put("reload.watch", "false");
    flags.put("identity.jwt_authn_metadata_key", "jwt_payload");
    flags.put("quota.redis", redis.url());
    flags.put("quota.redis_timeout", "500ms");
    WardenServer s = new WardenServer(ServerConfig.load(null, Map.of(), flags), java.time.Clock.systemUTC());
    servers.add(s);
    s.start();
    ManagedChannel c = NettyChannelBuilder.forTarget(s.grpcAddress()).usePlaintext().build();
    channels.add(c);
    return AuthorizationGrpc.newBlockingStub(c).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static CheckRequest check(String method, String path, String sub) {
    Struct claims = Struct.newBuilder().putFields("sub", Value.newBuilder().setStringValue(sub).build()).build();
    return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder()
            .setHttp(AttributeContext.HttpRequest.newBuilder().setMethod(method).setPath(path).setHost("work")))
        .setMetadataContext(Metadata.newBuilder().putFilterMetadata("envoy.filters.http.jwt_authn",
            Struct.newBuilder().putFields("jwt_payload", Value.newBuilder().setStructValue(claims).build()).build())))
        .build();
  }

  private static int status(CheckResponse r) {
    return r.hasOkResponse() ? 200 : r.getDeniedResponse().getStatus().getCodeValue();
  }

  private static String statusPage(WardenServer s) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + s.adminAddress().getPort() + "/status")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  @Test
  void threeSidecarsShareOneBucketAndEachFallbackHoldsWhileRedisIsAway() throws Exception {
    List<AuthorizationGrpc.AuthorizationBlockingStub> stubs = List.of(sidecar(), sidecar(), sidecar());
    int admitted = 0;
    for (int i = 0; i < 12; i++) {
      admitted += status(stubs.get(i % 3).check(check("GET", "/items/1", "ann"))) == 200 ? 1 : 0;
    }
    assertThat(admitted).as("5 per 1h, shared by three replicas").isEqualTo(5);
    assertThat(statusPage(servers.get(0))).contains("\"redis\":{\"reachable\":true");

    redis.stop();
    // closed (the default): refused while Redis is away.
    CheckResponse closed = stubs.get(0).check(check("GET", "/items/1", "bob"));
    assertThat(status(closed)).isEqualTo(429);
    // open: admitted, uncounted (1 per 1h, yet twice).
    assertThat(status(stubs.get(0).check(check("PUT", "/items/1", "ann")))).isEqualTo(200);
    assertThat(status(stubs.get(0).check(check("PUT", "/items/1", "ann")))).isEqualTo(200);
    // local 0.5 of 4: each replica admits 2 alone.
    for (AuthorizationGrpc.AuthorizationBlockingStub s : stubs) {
      assertThat(status(s.check(check("GET", "/ping", "ann")))).isEqualTo(200);
      assertThat(status(s.check(check("GET", "/ping", "ann")))).isEqualTo(200);
      assertThat(status(s.check(check("GET", "/ping", "ann")))).isEqualTo(429);
    }
    assertThat(statusPage(servers.get(0))).contains("\"reachable\":false");

    redis.restart();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    int back = 0;
    while (System.nanoTime() < end && back == 0) {
      back = status(stubs.get(1).check(check("GET", "/items/1", "carol"))) == 200 ? 1 : 0;
      if (back == 0) {
        Thread.sleep(100);
      }
    }
    assertThat(back).as("admitted again once Redis is back").isEqualTo(1);
    int carol = 1;
    for (int i = 0; i < 9; i++) {
      carol += status(stubs.get(i % 3).check(check("GET", "/items/1", "carol"))) == 200 ? 1 : 0;
    }
    assertThat(carol).as("shared counting again, in the restarted (empty) Redis").isEqualTo(5);
  }
}
