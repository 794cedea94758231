package dev.warden.server.telemetry;

import dev.warden.policy.runtime.Decision;
import dev.warden.proto.v1.DecideRequest;
import dev.warden.server.ServerConfig;
import dev.warden.server.authz.CallTracing;
import dev.warden.server.authz.DecisionRecord;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Tracing of the Check and the decide API with the OpenTelemetry SDK, when `tracing.otlp.endpoint`
 * is set: one server span per call, `warden.check` or `warden.decide`, child of the caller's W3C
 * `traceparent` (read by the API's W3C propagator, with a getter over the request's headers), or
 * a root span without one. Sampled parent-based: a caller's sampled flag is followed, and calls
 * without a parent are sampled at `tracing.sample_ratio`.
 *
 * <p>Ended spans go to a {@link BatchSpanProcessor} with a bounded queue ({@link #QUEUE} spans);
 * its one thread exports them over OTLP/HTTP. When the queue is full a span is dropped, never
 * waited for: the request path does not block on tracing. {@link #close} flushes what is queued
 * and shuts the SDK down; call it after gRPC has stopped.
 */
public final class OtlpTracing implements CallTracing, AutoCloseable {
  /**
   * The spans so far: {@code ended} sampled spans handed to the batch processor, of which
   * {@code exported} the collector took and {@code failed} it did not (not retried);
   * {@code ended - exported - failed} are queued (at most {@link #QUEUE}) or were dropped
   * because the queue was full.
   */
  public record Counts(long ended, long exported, long failed) {}

  /** The most ended spans that wait for the exporter; more are dropped. */
  static final int QUEUE = 2048;
  static final int BATCH = 512;
  static final Duration SCHEDULE = Duration.ofSeconds(1);

  static final AttributeKey<String> ROUTE = AttributeKey.stringKey("warden.route");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("warden.outcome");
  static final AttributeKey<Boolean> ALLOWED = AttributeKey.booleanKey("warden.allowed");
  static final AttributeKey<String> REVISION = AttributeKey.stringKey("warden.bundle.revision");
  static final AttributeKey<String> DECISION_ID = AttributeKey.stringKey("warden.decision_id");
  static final AttributeKey<Long> STATUS = AttributeKey.longKey("warden.status");

  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();

  private final SdkTracerProvider provider;
  private final Tracer tracer;
  private final String endpoint;
  private final LongAdder ended = new LongAdder();
  private final LongAdder exported;
  private final LongAdder failed;

  private OtlpTracing(SdkTracerProvider provider, String endpoint, Counting counting) {
    this.provider = provider;
    this.exported = counting.exported;
    this.failed = counting.failed;
    this.tracer = provider.tracerBuilder(Telemetry.SCOPE).setInstrumentationVersion(Telemetry.version()).build();
    this.endpoint = endpoint;
  }

  /**
   * The tracing {@code settings} ask for: {@link CallTracing#OFF} when they are off (no SDK is
   * built, no thread started), else the SDK exporting to the collector.
   *
   * @throws IllegalArgumentException when `tracing.headers_file` cannot be read
   */
  public static CallTracing of(ServerConfig.Tracing settings) {
    if (!settings.on()) {
      return CallTracing.OFF;
    }
    ServerConfig.Otlp otlp = settings.otlp();
    OtlpHttpSpanExporterBuilder b = OtlpHttpSpanExporter.builder().setEndpoint(otlp.endpoint())
        .setTimeout(otlp.timeout()).setConnectTimeout(otlp.timeout());
    OtlpHeaders.read("tracing.headers_file", otlp.headersFile()).forEach(b::addHeader);
    return of(settings, b.build(), otlp.endpoint());
  }

  /** With {@code exporter}: for tests and benchmarks that bring their own. */
  static OtlpTracing of(ServerConfig.Tracing settings, SpanExporter exporter, String endpoint) {
    Counting counting = new Counting(exporter);
    BatchSpanProcessor batches = BatchSpanProcessor.builder(counting).setMaxQueueSize(QUEUE)
        .setMaxExportBatchSize(BATCH).setScheduleDelay(SCHEDULE)
        .setExporterTimeout(settings.on() ? settings.otlp().timeout() : Duration.ofSeconds(10)).build();
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .setResource(Telemetry.resource(settings.serviceName()))
        .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(settings.sampleRatio())))
        .addSpanProcessor(batches)
        .build();
    return new OtlpTracing(provider, endpoint, counting);
  }

  /** The counts now. */
  public Counts counts() {
    return new Counts(ended.sum(), exported.sum(), failed.sum());
  }

  @Override
  public Span startCheck(CheckRequest request) {
    Context parent = W3C.extract(Context.root(), request.getAttributes().getRequest().getHttp(), CHECK_HEADERS);
    return tracer.spanBuilder("warden.check").setSpanKind(SpanKind.SERVER).setParent(parent).startSpan();
  }

  @Override
  public Span startDecide(DecideRequest request) {
    Context parent = W3C.extract(Context.root(), request.getHeadersMap(), MAP_HEADERS);
    return tracer.spanBuilder("warden.decide").setSpanKind(SpanKind.SERVER).setParent(parent).startSpan();
  }

  @Override
  public void end(Span span, DecisionRecord r) {
    try {
      if (span.isRecording()) {
        Decision d = r.decision();
        span.setAttribute(OUTCOME, d.outcome().label());
        span.setAttribute(ALLOWED, d.allowed());
        span.setAttribute(STATUS, (long) d.status());
        span.setAttribute(DECISION_ID, r.id());
        if (d.route() != null) {
          span.setAttribute(ROUTE, d.route());
        }
        if (d.revision() != null) {
          span.setAttribute(REVISION, d.revision());
        }
        if (r.internalError()) {
          // The client's words, not the exception's: the details are in the log under the decision id.
          span.setStatus(StatusCode.ERROR, "internal error");
        }
        ended.increment();
      }
    } finally {
      span.end();
    }
  }

  /** Exports what is queued, within {@code timeout}, and shuts the SDK down; true when all was exported. */
  public boolean close(Duration timeout) {
    CompletableResultCode done = provider.shutdown().join(timeout.toMillis(), TimeUnit.MILLISECONDS);
    return done.isSuccess();
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(10));
  }

  /** Where spans go, for logs. */
  public String describe() {
    return "OTLP " + endpoint;
  }

  /** The exporter, counting the spans of each export once it has completed. */
  private static final class Counting implements SpanExporter {
    final LongAdder exported = new LongAdder();
    final LongAdder failed = new LongAdder();
    private final SpanExporter exporter;

    Counting(SpanExporter exporter) {
      this.exporter = exporter;
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      int n = spans.size();
      CompletableResultCode done = exporter.export(spans);
      return done.whenComplete(() -> (done.isSuccess() ? exported : failed).add(n));
    }

    @Override
    public CompletableResultCode flush() {
      return exporter.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
      return exporter.shutdown();
    }
  }

  /** Envoy's request headers: the `headers` map, or `header_map` when Envoy sends raw headers. */
  private static final TextMapGetter<AttributeContext.HttpRequest> CHECK_HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(AttributeContext.HttpRequest http) {
      List<String> keys = new ArrayList<>(http.getHeadersMap().keySet());
      for (HeaderValue h : http.getHeaderMap().getHeadersList()) {
        keys.add(h.getKey());
      }
      return keys;
    }

    @Override
    public String get(AttributeContext.HttpRequest http, String key) {
      if (http == null) {
        return null;
      }
      String v = http.getHeadersMap().get(key);
      if (v != null || http.getHeaderMap().getHeadersCount() == 0) {
        return v;
      }
      for (HeaderValue h : http.getHeaderMap().getHeadersList()) {
        if (h.getKey().equalsIgnoreCase(key)) {
          return h.getValue().isEmpty() ? h.getRawValue().toString(StandardCharsets.UTF_8) : h.getValue();
        }
      }
      return null;
    }
  };

  /** The decide API's headers, lower-cased by the caller or not. */
  private static final TextMapGetter<Map<String, String>> MAP_HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Map<String, String> headers) {
      return headers.keySet();
    }

    @Override
    public String get(Map<String, String> headers, String key) {
      if (headers == null) {
        return null;
      }
      String v = headers.get(key);
      if (v != null) {
        return v;
      }
      for (Map.Entry<String, String> e : headers.entrySet()) {
        if (e.getKey().equalsIgnoreCase(key)) {
          return e.getValue();
        }
      }
      return null;
    }
  };
}
