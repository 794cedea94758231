package dev.warden.server.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.server.ActiveBundle;
import dev.warden.server.BundleSet;
import java.util.ArrayList;
import java.util.List;
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

  private final BundleSet bundles;
  private final ServerMetrics metrics;
  private final AdminServer.BundleControl control;
  private final boolean operator;
  private final BooleanSupplier draining;
  private final Reply notFound;

  /**
   * @param operator whether `/status` and `/metrics` are served here too
   * @param draining whether the server is shutting down, when it is not ready though a bundle is active
   */
  Endpoints(BundleSet bundles, ServerMetrics metrics, AdminServer.BundleControl control, boolean operator,
      BooleanSupplier draining) {
    this.bundles = bundles;
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
      case "/ready" -> ready();
      case "/status" -> operator ? status(draining.getAsBoolean()) : notFound;
      case RELOAD, ROLLBACK -> operator && control != null
          ? new Reply(405, "text/plain", "only POST\n".getBytes(StandardCharsets.UTF_8), "POST") : notFound;
      case "/metrics" -> operator ? metrics() : notFound;
      default -> operator && control != null && rollbackOf(path) != null
          ? new Reply(405, "text/plain", "only POST\n".getBytes(StandardCharsets.UTF_8), "POST") : notFound;
    };
  }

  /** Ready: every bundle active, none stale, not shutting down. */
  private Reply ready() {
    List<BundleSet.Member> members = bundles.members();
    for (BundleSet.Member m : members) {
      ActiveBundle.Snapshot s = m.bundle().snapshot();
      String which = members.size() == 1 ? "the bundle" : "bundle `" + m.name() + "`";
      if (s.program() == null) {
        return Reply.text(503, members.size() == 1 ? "no bundle is active\n" : which + " is not active\n");
      }
      if (s.stale() != null && !draining.getAsBoolean()) {
        return Reply.text(503, which + " is stale (reload.max_staleness)\n");
      }
    }
    return draining.getAsBoolean() ? Reply.text(503, "shutting down\n") : Reply.text(200, "ready\n");
  }

  /** `/bundles/NAME/rollback`: NAME; else null. */
  private static String rollbackOf(String path) {
    if (path.length() > "/bundles//rollback".length() && path.startsWith("/bundles/") && path.endsWith("/rollback")) {
      String name = path.substring("/bundles/".length(), path.length() - "/rollback".length());
      return name.matches("[a-z0-9][a-z0-9_-]{0,62}") ? name : null;
    }
    return null;
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
    String name = rollbackOf(path);
    if (path.equals(ROLLBACK) || name != null) {
      CompletableFuture<Map<String, Object>> rolled;
      try {
        rolled = control.rollback(name, "admin");
      } catch (IllegalArgumentException e) {
        return CompletableFuture.completedFuture(Reply.text(404, e.getMessage() + "\n"));
      }
      // 409: there is nothing to roll back to (one bundle only since the start); the body says so.
      return rolled.handle((outcome, error) -> error != null
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

  /**
   * The first bundle's state at the top (as with one bundle), `bundle` its reload state, and
   * `bundles` every bundle's, each with its revision. File paths and URLs are left out: they tell
   * whoever reaches the port how the host is laid out, and a URL may hold credentials.
   */
  private Reply status(boolean draining) {
    List<BundleSet.Member> members = bundles.members();
    ActiveBundle.Snapshot s = members.get(0).bundle().snapshot();
    boolean ready = !draining && members.stream().map(m -> m.bundle().snapshot())
        .allMatch(b -> b.program() != null && b.stale() == null);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("ready", ready);
    out.put("stale", s.stale());
    out.put("revision", s.revision());
    out.put("activated_at", s.activatedAt() == null ? null : s.activatedAt().toString());
    out.put("routes", s.program() == null ? 0 : s.program().routeCount());
    out.put("last_error", s.lastError());
    out.put("last_error_at", s.lastErrorAt() == null ? null : s.lastErrorAt().toString());
    if (control != null) {
      List<Map<String, Object>> states = control.status();
      out.put("bundle", states.isEmpty() ? null : states.get(0));
      List<Map<String, Object>> each = new ArrayList<>();
      for (int i = 0; i < members.size(); i++) {
        ActiveBundle.Snapshot b = members.get(i).bundle().snapshot();
        Map<String, Object> one = new LinkedHashMap<>();
        one.put("name", members.get(i).name());
        one.put("revision", b.revision());
        one.put("activated_at", b.activatedAt() == null ? null : b.activatedAt().toString());
        one.put("routes", b.program() == null ? 0 : b.program().routeCount());
        one.put("packages", b.program() == null ? List.of() : b.program().packages());
        one.put("last_error", b.lastError());
        if (i < states.size()) {
          states.get(i).forEach((k, v) -> one.putIfAbsent(k, v));
        }
        each.add(one);
      }
      out.put("bundles", each);
      Map<String, Object> quota = control.quota();
      if (quota != null) {
        out.put("quota", quota);
      }
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
