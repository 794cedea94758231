package dev.warden.server.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One exchange bounded in size (by status) and in time, body included, against a loopback server. */
class BoundedBodyTest {
  private HttpServer server;
  private final HttpClient client = HttpClient.newHttpClient();

  @BeforeEach
  void serve() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    server.setExecutor(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "bounded-body-test");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/big", ex -> {
      try (ex) {
        ex.sendResponseHeaders(200, 100_000);
        ex.getResponseBody().write(new byte[100_000]);
      } catch (IOException e) {
        // the client stopped reading: what the limit is for
      }
    });
    server.createContext("/missing", ex -> {
      try (ex) {
        byte[] b = "not here, and a long explanation of why".getBytes();
        ex.sendResponseHeaders(404, b.length);
        ex.getResponseBody().write(b);
      }
    });
    server.createContext("/trickle", ex -> {
      try (ex) {
        ex.sendResponseHeaders(200, 50);
        for (int i = 0; i < 50; i++) {
          ex.getResponseBody().write('x');
          ex.getResponseBody().flush();
          Thread.sleep(100);
        }
      } catch (IOException | InterruptedException e) {
        // cut off
      }
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private HttpRequest get(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path)).build();
  }

  @Test
  void keepsAtMostTheLimitAndSaysItWasCut() throws Exception {
    BoundedBody.Result r = BoundedBody.send(client, get("/big"), status -> 1_000, Duration.ofSeconds(10));
    assertThat(r.truncated()).isTrue();
    assertThat(r.body()).hasSize(1_000);
    BoundedBody.Result whole = BoundedBody.send(client, get("/big"), status -> 100_000, Duration.ofSeconds(10));
    assertThat(whole.truncated()).isFalse();
    assertThat(whole.body()).hasSize(100_000);
  }

  @Test
  void theLimitDependsOnTheStatus() throws Exception {
    BoundedBody.Result r = BoundedBody.send(client, get("/missing"), status -> status == 200 ? 1 << 20 : 8,
        Duration.ofSeconds(10));
    assertThat(r.response().statusCode()).isEqualTo(404);
    assertThat(new String(r.body())).isEqualTo("not here");
    assertThat(r.truncated()).isTrue();
  }

  @Test
  void aBodyThatTricklesPastTheDeadlineIsCutOff() {
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> BoundedBody.send(client, get("/trickle"), status -> 1_000, Duration.ofMillis(300)))
        .isInstanceOf(HttpTimeoutException.class).hasMessage("no complete answer within 300 ms");
    assertThat((System.nanoTime() - t0) / 1_000_000).as("not the 5 s the server takes").isLessThan(4_000);
  }
}
