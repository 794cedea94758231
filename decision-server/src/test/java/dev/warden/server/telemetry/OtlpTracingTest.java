package dev.warden.server.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Outcome;
import dev.warden.proto.v1.DecideRequest;
import dev.warden.server.ServerConfig;
import dev.warden.server.authz.CallTracing;
import dev.warden.server.authz.DecisionRecord;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The spans of {@link OtlpTracing}, exported to a collecting exporter: parent from `traceparent`
 * (Envoy's `headers`, its raw `header_map`, the decide API's headers), a root span without one,
 * the decision's attributes, ERROR for an internal error, and sampling that follows the parent.
 */
class OtlpTracingTest {
  static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String PARENT = "00f067aa0ba902b7";
  static final String TRACEPARENT = "00-" + TRACE + "-" + PARENT + "-01";

  /** Keeps every span it is handed. */
  static class Collecting implements SpanExporter {
    final List<SpanData> spans = new ArrayList<>();

    @Override
    public synchronized CompletableResultCode export(Collection<SpanData> batch) {
      spans.addAll(batch);
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  private final Collecting exporter = new Collecting();

  private OtlpTracing tracing(double ratio) {
    return OtlpTracing.of(new ServerConfig.Tracing(new ServerConfig.Otlp("http://127.0.0.1:1/v1/traces",
        Duration.ofSeconds(1), null), ratio, "warden-test"), exporter, "test");
  }

  static CheckRequest check(String traceparent) {
    AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder().setMethod("GET")
        .setPath("/items/1");
    if (traceparent != null) {
      http.putHeaders("traceparent", traceparent);
    }
    return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder().setHttp(http))).build();
  }

  private static DecisionRecord record(String id, Decision d, DecisionRecord.Cause cause) {
    return new DecisionRecord(id, DecisionRecord.Api.EXT_AUTHZ, d, cause, null, 0, 1_000, false, null);
  }

  private static final Decision NO_POLICY =
      Decision.refused(Outcome.ERROR, 403, "no policy is loaded", "no bundle is active", "rev-a@sha256:0123456789ab");

  @Test
  void aCheckWithATraceparentIsAServerSpanInThatTraceUnderThatSpan() {
    OtlpTracing tracing = tracing(1.0);
    Span span = tracing.startCheck(check(TRACEPARENT));
    tracing.end(span, record("d-1", NO_POLICY, DecisionRecord.Cause.NO_POLICY));
    assertThat(tracing.close(Duration.ofSeconds(5))).isTrue();
    assertThat(tracing.counts()).isEqualTo(new OtlpTracing.Counts(1, 1, 0));

    assertThat(exporter.spans).hasSize(1);
    SpanData s = exporter.spans.get(0);
    assertThat(s.getName()).isEqualTo("warden.check");
    assertThat(s.getKind()).isEqualTo(SpanKind.SERVER);
    assertThat(s.getTraceId()).isEqualTo(TRACE);
    assertThat(s.getParentSpanId()).isEqualTo(PARENT);
    assertThat(s.getParentSpanContext().isRemote()).isTrue();
    assertThat(s.getAttributes().get(AttributeKey.stringKey("warden.decision_id"))).isEqualTo("d-1");
    assertThat(s.getAttributes().get(AttributeKey.stringKey("warden.outcome"))).isEqualTo("error");
    assertThat(s.getAttributes().get(AttributeKey.booleanKey("warden.allowed"))).isFalse();
    assertThat(s.getAttributes().get(AttributeKey.stringKey("warden.bundle.revision")))
        .isEqualTo("rev-a@sha256:0123456789ab");
    assertThat(s.getAttributes().get(AttributeKey.longKey("warden.status"))).isEqualTo(403L);
    // No policy is a refusal, not a failure of Warden's: the span is not an error.
    assertThat(s.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    assertThat(s.getResource().getAttribute(AttributeKey.stringKey("service.name"))).isEqualTo("warden-test");
    assertThat(s.getResource().getAttribute(AttributeKey.stringKey("service.version"))).isNotBlank();
  }

  @Test
  void aCheckWithoutATraceparentIsARootSpan() {
    OtlpTracing tracing = tracing(1.0);
    tracing.end(tracing.startCheck(check(null)), record("d-2", NO_POLICY, DecisionRecord.Cause.NO_POLICY));
    tracing.end(tracing.startCheck(check("00-garbage")), record("d-3", NO_POLICY, DecisionRecord.Cause.NO_POLICY));
    tracing.close(Duration.ofSeconds(5));
    assertThat(exporter.spans).hasSize(2).allSatisfy(s -> {
      assertThat(s.getParentSpanContext().isValid()).isFalse();
      assertThat(s.getTraceId()).isNotEqualTo(TRACE).hasSize(32);
    });
  }

  @Test
  void envoysRawHeaderMapAndTheDecideApisHeadersCarryTheParentToo() {
    OtlpTracing tracing = tracing(1.0);
    CheckRequest raw = CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
            .setMethod("GET").setPath("/").setHeaderMap(HeaderMap.newBuilder().addHeaders(HeaderValue.newBuilder()
                .setKey("traceparent").setRawValue(ByteString.copyFromUtf8(TRACEPARENT))))))).build();
    tracing.end(tracing.startCheck(raw), record("d-raw", NO_POLICY, DecisionRecord.Cause.NO_POLICY));
    tracing.end(tracing.startDecide(DecideRequest.newBuilder().putHeaders("Traceparent", TRACEPARENT).build()),
        record("d-decide", NO_POLICY, DecisionRecord.Cause.NO_POLICY));
    tracing.close(Duration.ofSeconds(5));
    assertThat(exporter.spans).extracting(SpanData::getName).containsExactlyInAnyOrder("warden.check", "warden.decide");
    assertThat(exporter.spans).allSatisfy(s -> {
      assertThat(s.getTraceId()).isEqualTo(TRACE);
      assertThat(s.getParentSpanId()).isEqualTo(PARENT);
    });
  }

  @Test
  void anInternalErrorIsAnErrorSpanThatNamesNoInternals() {
    OtlpTracing tracing = tracing(1.0);
    Decision failed = Decision.refused(Outcome.ERROR, 403, "internal error", "NullPointerException in Foo", null);
    tracing.end(tracing.startCheck(check(TRACEPARENT)), record("d-4", failed, DecisionRecord.Cause.INTERNAL));
    tracing.close(Duration.ofSeconds(5));
    SpanData s = exporter.spans.get(0);
    assertThat(s.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(s.getStatus().getDescription()).isEqualTo("internal error");
    assertThat(s.getAttributes().asMap().values().toString()).doesNotContain("NullPointerException");
    assertThat(s.getAttributes().get(AttributeKey.stringKey("warden.bundle.revision"))).isNull();
  }

  @Test
  void samplingFollowsTheCallersFlagAndTheRatioDecidesForRootSpans() {
    OtlpTracing tracing = tracing(0.0);
    Span unsampledParent = tracing.startCheck(check("00-" + TRACE + "-" + PARENT + "-00"));
    Span root = tracing.startCheck(check(null));
    Span sampledParent = tracing.startCheck(check(TRACEPARENT));
    assertThat(unsampledParent.isRecording()).isFalse();
    assertThat(root.isRecording()).isFalse();
    assertThat(sampledParent.isRecording()).isTrue();
    // A span not sampled still carries the trace, so that what Warden calls could follow it.
    assertThat(unsampledParent.getSpanContext().getTraceId()).isEqualTo(TRACE);
    for (Span s : List.of(unsampledParent, root, sampledParent)) {
      tracing.end(s, record("d-5", NO_POLICY, DecisionRecord.Cause.NO_POLICY));
    }
    tracing.close(Duration.ofSeconds(5));
    assertThat(exporter.spans).hasSize(1);
    assertThat(exporter.spans.get(0).getParentSpanId()).isEqualTo(PARENT);
    // Only the sampled span counts: the others were never handed to the exporter.
    assertThat(tracing.counts()).isEqualTo(new OtlpTracing.Counts(1, 1, 0));
  }

  @Test
  void aFullQueueDropsSpansWithoutWaitingAndTheCountsShowIt() throws Exception {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    Collecting blocked = new Collecting() {
      @Override
      public synchronized CompletableResultCode export(Collection<SpanData> batch) {
        try {
          release.await(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return super.export(batch);
      }
    };
    OtlpTracing tracing = OtlpTracing.of(new ServerConfig.Tracing(new ServerConfig.Otlp("http://127.0.0.1:1/v1/traces",
        Duration.ofSeconds(30), null), 1.0, "warden-test"), blocked, "test");
    int n = OtlpTracing.QUEUE + OtlpTracing.BATCH + 1000;
    for (int i = 0; i < n; i++) {
      tracing.end(tracing.startCheck(check(null)), record("d-" + i, NO_POLICY, DecisionRecord.Cause.NO_POLICY));
    }
    // Every span ended while the exporter was stuck: none waited, the overflow was dropped.
    release.countDown();
    assertThat(tracing.close(Duration.ofSeconds(30))).isTrue();
    OtlpTracing.Counts c = tracing.counts();
    assertThat(c.ended()).isEqualTo(n);
    assertThat(c.failed()).isZero();
    assertThat(c.exported()).isEqualTo(blocked.spans.size()).isLessThanOrEqualTo(OtlpTracing.QUEUE + OtlpTracing.BATCH);
    assertThat(c.ended() - c.exported()).isGreaterThanOrEqualTo(1000);
  }

  @Test
  void aFailedExportIsCounted() {
    SpanExporter failing = new Collecting() {
      @Override
      public CompletableResultCode export(Collection<SpanData> batch) {
        return CompletableResultCode.ofFailure();
      }
    };
    OtlpTracing tracing = OtlpTracing.of(new ServerConfig.Tracing(new ServerConfig.Otlp("http://127.0.0.1:1/v1/traces",
        Duration.ofSeconds(1), null), 1.0, "warden-test"), failing, "test");
    tracing.end(tracing.startCheck(check(null)), record("d-f", NO_POLICY, DecisionRecord.Cause.NO_POLICY));
    tracing.end(tracing.startCheck(check(null)), record("d-g", NO_POLICY, DecisionRecord.Cause.NO_POLICY));
    tracing.close(Duration.ofSeconds(5));
    assertThat(tracing.counts()).isEqualTo(new OtlpTracing.Counts(2, 0, 2));
  }

  @Test
  void tracingOffIsTheNoOpAndBuildsNoSdk() {
    CallTracing off = OtlpTracing.of(ServerConfig.Tracing.OFF);
    assertThat(off).isSameAs(CallTracing.OFF);
    Span span = off.startCheck(check(TRACEPARENT));
    assertThat(span).isSameAs(Span.getInvalid());
    assertThat(span.isRecording()).isFalse();
    off.end(span, record("d-6", NO_POLICY, DecisionRecord.Cause.NO_POLICY));
    assertThat(span.getSpanContext().isValid()).isFalse();
  }
}
