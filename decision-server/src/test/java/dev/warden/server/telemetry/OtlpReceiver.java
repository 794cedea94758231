package dev.warden.server.telemetry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback OTLP/HTTP collector for tests: takes `POST /v1/logs` and `POST /v1/traces` as an
 * OpenTelemetry collector does (protobuf bodies, decoded with the OTLP protos compiled in test
 * scope), records what it got with the request headers, and can be made to fail: it answers 503
 * to the next {@link #failNext} exports, or to every export while {@link #failing} is on.
 */
public final class OtlpReceiver implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService pool = Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "otlp-receiver");
    t.setDaemon(true);
    return t;
  });
  private final List<ResourceLogs> logs = new ArrayList<>();
  private final List<ResourceSpans> spans = new ArrayList<>();
  private final List<Map<String, List<String>>> headers = new ArrayList<>();
  private final AtomicInteger failNext = new AtomicInteger();
  private final AtomicInteger refused = new AtomicInteger();
  private final AtomicInteger exports = new AtomicInteger();
  private volatile boolean failing;

  private OtlpReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.createContext("/", this::handle);
    server.setExecutor(pool);
    server.start();
  }

  /** A receiver on 127.0.0.1 and a port the OS picks. */
  public static OtlpReceiver start() throws IOException {
    return new OtlpReceiver();
  }

  /** The collector's base URL, `http://127.0.0.1:PORT`. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The next {@code n} exports are answered 503. */
  public void failNext(int n) {
    failNext.set(n);
  }

  /** While on, every export is answered 503. */
  public void failing(boolean on) {
    failing = on;
  }

  /** Exports answered 503 so far. */
  public int refused() {
    return refused.get();
  }

  /** Exports taken (answered 200) so far. */
  public int exports() {
    return exports.get();
  }

  /** Every log record taken, in arrival order. */
  public synchronized List<LogRecord> logRecords() {
    List<LogRecord> out = new ArrayList<>();
    for (ResourceLogs r : logs) {
      for (ScopeLogs s : r.getScopeLogsList()) {
        out.addAll(s.getLogRecordsList());
      }
    }
    return out;
  }

  public synchronized List<ResourceLogs> resourceLogs() {
    return List.copyOf(logs);
  }

  /** Every span taken, in arrival order. */
  public synchronized List<Span> spans() {
    List<Span> out = new ArrayList<>();
    for (ResourceSpans r : spans) {
      for (ScopeSpans s : r.getScopeSpansList()) {
        out.addAll(s.getSpansList());
      }
    }
    return out;
  }

  public synchronized List<ResourceSpans> resourceSpans() {
    return List.copyOf(spans);
  }

  /** The headers of every export taken. */
  public synchronized List<Map<String, List<String>>> headers() {
    return List.copyOf(headers);
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex; InputStream in = ex.getRequestBody()) {
      byte[] body = in.readAllBytes();
      String path = ex.getRequestURI().getPath();
      if (!ex.getRequestMethod().equals("POST") || !path.equals("/v1/logs") && !path.equals("/v1/traces")) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      if (failing || failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        refused.incrementAndGet();
        ex.sendResponseHeaders(503, -1);
        return;
      }
      byte[] answer;
      if (path.equals("/v1/logs")) {
        ExportLogsServiceRequest r = ExportLogsServiceRequest.parseFrom(body);
        synchronized (this) {
          logs.addAll(r.getResourceLogsList());
          headers.add(Map.copyOf(ex.getRequestHeaders()));
        }
        answer = ExportLogsServiceResponse.getDefaultInstance().toByteArray();
      } else {
        ExportTraceServiceRequest r = ExportTraceServiceRequest.parseFrom(body);
        synchronized (this) {
          spans.addAll(r.getResourceSpansList());
          headers.add(Map.copyOf(ex.getRequestHeaders()));
        }
        answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
      }
      exports.incrementAndGet();
      ex.getResponseHeaders().set("Content-Type", "application/x-protobuf");
      ex.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
      if (answer.length > 0) {
        ex.getResponseBody().write(answer);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
