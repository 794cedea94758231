package dev.warden.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the real `warden serve` process does with signals, in a child JVM on loopback ports the
 * OS picks: SIGTERM and SIGINT drain, then stop with exit code 0; SIGHUP does not stop it. Linux,
 * where the tests send
 * signals with `kill` and the sidecar runs in production.
 */
@EnabledOnOs(OS.LINUX)
class ServeLifecycleTest {
  private static final Path SHOP = Path.of("..", "policies", "shop");
  private static final Duration STARTUP = Duration.ofSeconds(60);
  private static final Duration CALL = Duration.ofSeconds(10);

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private WardenProcess start(String config) throws Exception {
    Path file = dir.resolve("warden.yaml");
    Files.writeString(file, config);
    return WardenProcess.start(SHOP, file, STARTUP);
  }

  /**
   * SIGTERM: at once gRPC health NOT_SERVING and `/ready` 503, while Checks are still answered,
   * on an open connection and on a new one, for `shutdown.drain`; then the process stops with 0.
   */
  @Test
  void sigtermDrainsWhileAnsweringThenExitsZero() throws Exception {
    Duration drain = Duration.ofSeconds(4);
    try (WardenProcess warden = start("shutdown:\n  drain: " + drain.toSeconds() + "s\n  grace: 2s\n")) {
      ManagedChannel open = channel(warden);
      try {
        assertThat(status(check(open))).isEqualTo(401);
        assertThat(get(warden, "/ready").statusCode()).isEqualTo(200);

        long signalled = System.nanoTime();
        warden.terminate();
        HttpResponse<String> ready = awaitNotReady(warden, Duration.ofSeconds(3));
        assertThat(ready.body()).isEqualTo("shutting down\n");
        assertThat(health(open)).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(status(check(open))).as("a Check on an open connection during the drain").isEqualTo(401);
        ManagedChannel fresh = channel(warden);
        try {
          assertThat(status(check(fresh))).as("a Check on a new connection during the drain").isEqualTo(401);
        } finally {
          fresh.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        assertThat(get(warden, "/health").statusCode()).isEqualTo(200);
        assertThat(System.nanoTime() - signalled).as("all of that within the drain").isLessThan(drain.toNanos());

        assertThat(warden.waitFor(Duration.ofSeconds(30))).as(warden.stderr()).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - signalled)).isGreaterThanOrEqualTo(drain);
        assertThat(warden.stderr()).contains("SIGTERM: stopping").contains("stopped");
      } finally {
        open.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  /** Ctrl-C twice: the first starts the drain, the second ends it and the grace period at once. */
  @Test
  void aSecondSigintStopsAtOnce() throws Exception {
    try (WardenProcess warden = start("shutdown:\n  drain: 60s\n  grace: 60s\n")) {
      long signalled = System.nanoTime();
      warden.signal("INT");
      awaitNotReady(warden, Duration.ofSeconds(5));
      warden.signal("INT");
      assertThat(warden.waitFor(Duration.ofSeconds(20))).as(warden.stderr()).isZero();
      assertThat(Duration.ofNanos(System.nanoTime() - signalled)).isLessThan(Duration.ofSeconds(30));
      assertThat(warden.stderr()).contains("SIGINT: stopping").contains("SIGINT again: stopping now");
    }
  }

  /** SIGHUP: one bundle check per signal (the bundle is unchanged), and Warden goes on serving. */
  @Test
  void sighupKeepsServing() throws Exception {
    String warning = "bundle check (SIGHUP): unchanged, still serving revision shop-2026.11.1";
    try (WardenProcess warden = start("shutdown:\n  drain: 0s\n")) {
      ManagedChannel open = channel(warden);
      try {
        assertThat(status(check(open))).isEqualTo(401);
        warden.signal("HUP");
        assertThat(warden.awaitStderr(warning, 1, Duration.ofSeconds(10))).as(warden.stderr()).isEqualTo(1);
        warden.signal("HUP");
        assertThat(warden.awaitStderr(warning, 2, Duration.ofSeconds(10))).as(warden.stderr()).isEqualTo(2);

        assertThat(warden.isAlive()).isTrue();
        assertThat(status(check(open))).as("a Check on the connection opened before").isEqualTo(401);
        ManagedChannel fresh = channel(warden);
        try {
          assertThat(status(check(fresh))).as("a Check on a new connection").isEqualTo(401);
        } finally {
          fresh.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        assertThat(health(open)).isEqualTo(ServingStatus.SERVING);
        assertThat(get(warden, "/ready").statusCode()).isEqualTo(200);
        assertThat(warden.awaitStderr(warning, 3, Duration.ofMillis(500))).as("once per signal").isEqualTo(2);
      } finally {
        open.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      warden.terminate();
      assertThat(warden.waitFor(Duration.ofSeconds(20))).as(warden.stderr()).isZero();
    }
  }

  /** `shutdown.drain: 0s`: no drain, the listeners close at once and the exit code is still 0. */
  @Test
  void noDrainStopsAtOnceWithZero() throws Exception {
    try (WardenProcess warden = start("shutdown:\n  drain: 0s\n  grace: 2s\n")) {
      long signalled = System.nanoTime();
      warden.terminate();
      assertThat(warden.waitFor(Duration.ofSeconds(20))).as(warden.stderr()).isZero();
      assertThat(Duration.ofNanos(System.nanoTime() - signalled)).isLessThan(Duration.ofSeconds(10));
    }
  }

  private static ManagedChannel channel(WardenProcess warden) {
    return NettyChannelBuilder.forTarget(warden.grpcTarget()).usePlaintext().build();
  }

  private static CheckResponse check(ManagedChannel channel) {
    return AuthorizationGrpc.newBlockingStub(channel).withDeadlineAfter(CALL.toMillis(), TimeUnit.MILLISECONDS)
        .check(EndToEndTest.request("GET", "/orders", null));
  }

  private static int status(CheckResponse r) {
    return r.hasOkResponse() ? 200 : r.getDeniedResponse().getStatus().getCodeValue();
  }

  private static ServingStatus health(ManagedChannel channel) {
    return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(CALL.toMillis(), TimeUnit.MILLISECONDS)
        .check(HealthCheckRequest.newBuilder().setService(AuthorizationGrpc.SERVICE_NAME).build()).getStatus();
  }

  private HttpResponse<String> get(WardenProcess warden, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + warden.adminPort() + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> awaitNotReady(WardenProcess warden, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    HttpResponse<String> r = get(warden, "/ready");
    while (r.statusCode() == 200 && System.nanoTime() < deadline) {
      Thread.sleep(10);
      r = get(warden, "/ready");
    }
    assertThat(r.statusCode()).as("/ready within %s of the signal", timeout).isEqualTo(503);
    return r;
  }
}
