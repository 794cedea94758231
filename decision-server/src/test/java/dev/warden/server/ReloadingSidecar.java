package dev.warden.server;

import dev.warden.proto.v1.DecideRequest;
import dev.warden.proto.v1.DecideResponse;
import dev.warden.proto.v1.DecisionsGrpc;
import dev.warden.proto.v1.HttpTarget;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * What the reload tests ask of a running sidecar on loopback: a decision about `GET /items/1`, a
 * call to the admin listener, a metric's value, and a bounded wait for a reload to show.
 */
final class ReloadingSidecar {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private ReloadingSidecar() {}

  /**
   * A regular expression for the revision a bundle labelled {@code label} shows: the label, `@`,
   * then `sha256:` and 12 hex digits of its content digest (`Manifest.revision`).
   */
  static String rev(String label) {
    return java.util.regex.Pattern.quote(label) + "@sha256:[0-9a-f]{12}";
  }

  /**
   * The flags every reload test starts with: both listeners on loopback ports the OS picks, and a
   * short grace so that a test's stop is quick; a mutable map for the test's own.
   */
  static Map<String, String> loopbackFlags(String bundle) {
    Map<String, String> flags = new java.util.HashMap<>();
    flags.put("bundle", bundle);
    flags.put("grpc.listen", "127.0.0.1:0");
    flags.put("http.listen", "127.0.0.1:0");
    flags.put("shutdown.grace", "2s");
    return flags;
  }

  /** A sidecar started with these flags (as `warden serve` takes them), or closed again when it cannot start. */
  static WardenServer started(Map<String, String> flags) throws Exception {
    WardenServer server = new WardenServer(ServerConfig.load(null, Map.of(), flags), java.time.Clock.systemUTC());
    try {
      server.start();
    } catch (Exception | Error e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** Stops what a test started: the channel first, then the server; either may be null. */
  static void stop(ManagedChannel channel, WardenServer server) throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close();
    }
  }

  /** The decide API's answer for caller {@code sub} reading `GET /items/1`. */
  static DecideResponse decideItem(ManagedChannel channel, String sub) {
    return DecisionsGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).decide(
        DecideRequest.newBuilder().setClaims(Structs.of(Map.of("sub", sub)))
            .setHttp(HttpTarget.newBuilder().setMethod("GET").setPath("/items/1")).build());
  }

  static HttpResponse<String> admin(WardenServer server, String method, String path)
      throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.adminAddress().getPort() + path))
        .timeout(Duration.ofSeconds(30)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The value of one series on `/metrics`, or {@code absent} when it is not there. */
  static double metric(WardenServer server, String series, double absent) throws IOException, InterruptedException {
    for (String line : admin(server, "GET", "/metrics").body().split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    return absent;
  }

  /** Waits, at most {@code wait}, until {@code done}; false if it never was. */
  static boolean await(Duration wait, BooleanSupplier done) throws InterruptedException {
    long end = System.nanoTime() + wait.toNanos();
    while (System.nanoTime() < end) {
      if (done.getAsBoolean()) {
        return true;
      }
      Thread.sleep(20);
    }
    return done.getAsBoolean();
  }
}
