package dev.warden.server.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.server.ActiveBundle;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * What one listener answers, apart from HTTP framing. A probes-only listener answers `/health`
 * and `/ready` and nothing else, so that a port the kubelet must reach does not also hand out
 * the bundle revision and the metrics.
 */
final class Endpoints {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ActiveBundle bundle;
  private final ServerMetrics metrics;
  private final AdminServer.BundleControl control;
  private final boolean operator;
  private final BooleanSupplier draining;
  private final Reply notFound;

  /**
   * @param operator whether `/status` and `/metrics` are served here too
   * @param draining whether the server is shutting down, when it is not ready though a bundle is active
   */
  Endpoints(ActiveBundle bundle, ServerMetrics metrics, AdminServer.BundleControl control, boolean operator,
      BooleanSupplier draining) {
    this.bundle = bundle;
    this.metrics = metrics;
    this.control = control;
    this.operator = operator;
    this.draining = draining;
    this.notFound = Reply.text(404,
        operator ? "endpoints: /health /ready /status /metrics\n" : "endpoints: /health /ready\n");
  }

  /** The answer to a GET of {@code path}; HEAD gets the same one without its body. */
  Reply get(String path) {
    return switch (path) {
      case "/health" -> Reply.text(200, "ok\n");
      case "/ready" -> bundle.snapshot().program() == null ? Reply.text(503, "no bundle is active\n")
          : draining.getAsBoolean() ? Reply.text(503, "shutting down\n")
          : bundle.snapshot().stale() != null ? Reply.text(503, "the bundle is stale (reload.max_staleness)\n")
          : Reply.text(200, "ready\n");
      case "/status" -> operator ? status(bundle.snapshot(), draining.getAsBoolean(), control) : notFound;
      case RELOAD, ROLLBACK -> operator && control != null
          ? new Reply(405, "text/plain", "only POST\n".getBytes(StandardCharsets.UTF_8), "POST") : notFound;
      case "/metrics" -> operator ? metrics() : notFound;
      default -> notFound;
    };
  }

  static final String RELOAD = "/bundles/reload";
  static final String ROLLBACK = "/bundles/rollback";

  /**
   * The answer to a POST of {@code path}, when it completes (on whichever thread the check ends);
   * null when nothing here takes a POST there.
   */
  CompletableFuture<Reply> post(String path) {
    if (!operator || control == null) {
      return null;
    }
    if (path.equals(RELOAD)) {
      return control.reload("admin").handle((outcome, error) -> error != null
          ? Reply.text(503, "cannot check the bundle now: Warden is stopping\n") : json(200, outcome));
    }
    if (path.equals(ROLLBACK)) {
      // 409: there is nothing to roll back to (one bundle only since the start); the body says so.
      return control.rollback("admin").handle((outcome, error) -> error != null
          ? Reply.text(503, "cannot roll back now: Warden is stopping\n")
          : json("ok".equals(outcome.get("result")) ? 200 : 409, outcome));
    }
    return null;
  }

  private static Reply json(Map<String, Object> out) {
    return json(200, out);
  }

  private static Reply json(int status, Map<String, Object> out) {
    try {
      return new Reply(status, "application/json", (JSON.writeValueAsString(out) + "\n").getBytes(StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a map of strings, numbers, lists and booleans always serializes", e);
    }
  }

  /** The bundle's file path is left out: it tells whoever reaches the port how the host is laid out. */
  private static Reply status(ActiveBundle.Snapshot s, boolean draining, AdminServer.BundleControl control) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("ready", s.program() != null && !draining && s.stale() == null);
    out.put("stale", s.stale());
    out.put("revision", s.revision());
    out.put("activated_at", s.activatedAt() == null ? null : s.activatedAt().toString());
    out.put("routes", s.program() == null ? 0 : s.program().routeCount());
    out.put("last_error", s.lastError());
    out.put("last_error_at", s.lastErrorAt() == null ? null : s.lastErrorAt().toString());
    if (control != null) {
      out.put("bundle", control.status());
    }
    return json(out);
  }

  private Reply metrics() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      new PrometheusTextFormatWriter(false).write(out, metrics.registry().scrape());
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory does not fail", e);
    }
    return new Reply(200, PrometheusTextFormatWriter.CONTENT_TYPE, out.toByteArray());
  }
}
