package dev.warden.bench.load;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

/**
 * A loopback OTLP/HTTP collector that takes every export and throws it away: `POST /v1/traces`
 * and `/v1/logs` are read whole and answered 200 with an empty (valid) protobuf response. For
 * the tracing-on benchmark, so that Warden exports over the network as in production while the
 * collector's own work stays small; run it in its own process, so that its CPU time is not
 * counted as the sidecar's.
 *
 * <p>{@code java -cp benchmarks/load/target/load.jar dev.warden.bench.load.DiscardingCollector PORT}:
 * prints {@code collecting http://127.0.0.1:PORT}, then, when stopped (SIGTERM, SIGINT), how many
 * exports and bytes it took.
 */
public final class DiscardingCollector implements AutoCloseable {
  private final LongAdder exports = new LongAdder();
  private final LongAdder bytes = new LongAdder();
  private final HttpServer server;
  private final ExecutorService pool = Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "discarding-collector");
    t.setDaemon(true);
    return t;
  });

  private DiscardingCollector(int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
    server.createContext("/", this::handle);
    server.setExecutor(pool);
    server.start();
  }

  /** A collector on 127.0.0.1:{@code port} (0: one the OS picks), in this process. */
  public static DiscardingCollector start(int port) throws IOException {
    return new DiscardingCollector(port);
  }

  /** Its base URL, `http://127.0.0.1:PORT`. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Exports taken so far. */
  public long exports() {
    return exports.sum();
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: DiscardingCollector PORT (0: one the OS picks)");
      System.exit(2);
    }
    DiscardingCollector c = start(Integer.parseInt(args[0]));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      c.close();
      System.out.printf("took %d exports, %d bytes%n", c.exports.sum(), c.bytes.sum());
    }));
    System.out.println("collecting " + c.url());
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex; InputStream in = ex.getRequestBody()) {
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = in.read(buffer)) > 0; ) {
        bytes.add(n);
      }
      String path = ex.getRequestURI().getPath();
      if (!ex.getRequestMethod().equals("POST") || !path.equals("/v1/traces") && !path.equals("/v1/logs")) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      exports.increment();
      ex.getResponseHeaders().set("Content-Type", "application/x-protobuf");
      ex.sendResponseHeaders(200, -1);
    }
  }
}
