package dev.warden.server.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.warden.server.ActiveBundle;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The HTTP admin listener: `/health` (the process is up), `/ready` (a bundle is active),
 * `/status` (JSON: active revision, when activated, last load error) and `/metrics`
 * (Prometheus text). GET only; it serves operators and probes, never the data path.
 */
public final class AdminServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  public AdminServer(InetSocketAddress address, ActiveBundle bundle, ServerMetrics metrics) throws IOException {
    server = HttpServer.create(address, 16);
    executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "warden-admin");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/health", ex -> respond(ex, 200, "text/plain", "ok\n"));
    server.createContext("/ready", ex -> {
      boolean ready = bundle.snapshot().program() != null;
      respond(ex, ready ? 200 : 503, "text/plain", ready ? "ready\n" : "no bundle is active\n");
    });
    server.createContext("/status", ex -> respond(ex, 200, "application/json", status(bundle.snapshot())));
    server.createContext("/metrics", ex -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      new PrometheusTextFormatWriter(false).write(out, metrics.registry().scrape());
      respond(ex, 200, PrometheusTextFormatWriter.CONTENT_TYPE, out.toString(StandardCharsets.UTF_8));
    });
    server.createContext("/", ex -> respond(ex, 404, "text/plain", "endpoints: /health /ready /status /metrics\n"));
  }

  public void start() {
    server.start();
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** The bundle's file path is left out: it tells whoever reaches the port how the host is laid out. */
  private static String status(ActiveBundle.Snapshot s) throws IOException {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("ready", s.program() != null);
    out.put("revision", s.revision());
    out.put("activated_at", s.activatedAt() == null ? null : s.activatedAt().toString());
    out.put("routes", s.program() == null ? 0 : s.program().routeCount());
    out.put("last_error", s.lastError());
    out.put("last_error_at", s.lastErrorAt() == null ? null : s.lastErrorAt().toString());
    return new ObjectMapper().writeValueAsString(out) + "\n";
  }

  private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
    try (ex) {
      if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
        status = 405;
        body = "only GET\n";
        type = "text/plain";
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("content-type", type);
      ex.sendResponseHeaders(status, ex.getRequestMethod().equals("HEAD") ? -1 : bytes.length);
      if (!ex.getRequestMethod().equals("HEAD")) {
        try (OutputStream os = ex.getResponseBody()) {
          os.write(bytes);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
