package dev.warden.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.warden.proto.v1.DecideRequest;
import dev.warden.proto.v1.DecideResponse;
import dev.warden.proto.v1.DecisionsGrpc;
import dev.warden.proto.v1.HttpTarget;
import dev.warden.server.authz.CallTracing;
import dev.warden.server.telemetry.OtlpReceiver;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sidecar on loopback with `tracing.otlp.endpoint` and `decision_log.otlp.endpoint` set to a
 * loopback OTLP collector: one server span per call, in the caller's trace under the caller's span
 * when it sent a `traceparent`, a root span when it did not, with the decision's attributes; the
 * decision log records carry the same trace and decision ids; shutdown exports everything. With
 * neither key set, tracing is the no-op and no SDK thread runs.
 */
class TracingEndToEndTest {
  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String PARENT = "00f067aa0ba902b7";
  private static final String TRACEPARENT = "00-" + TRACE + "-" + PARENT + "-01";
  @TempDir Path dir;

  private static String hex(ByteString b) {
    return HexFormat.of().formatHex(b.toByteArray());
  }

  private static String attribute(List<KeyValue> attributes, String key) {
    return attributes.stream().filter(a -> a.getKey().equals(key)).map(a -> {
      var v = a.getValue();
      return v.hasBoolValue() ? Boolean.toString(v.getBoolValue()) : v.hasIntValue() ? Long.toString(v.getIntValue())
          : v.getStringValue();
    }).findFirst().orElse(null);
  }

  @Test
  void everyCallIsOneSpanInItsCallersTraceAndTheLogRecordsShareTheIds() throws Exception {
    Path bundle = dir.resolve("bundle");
    BundleReloadTest.write(bundle, "rev-a", "alice");
    try (OtlpReceiver collector = OtlpReceiver.start()) {
      Map<String, String> flags = ReloadingSidecar.loopbackFlags("work=" + bundle);
      flags.put("reload.watch", "false");
      flags.put("tracing.otlp.endpoint", collector.url());
      flags.put("tracing.service_name", "warden-e2e");
      flags.put("decision_log.otlp.endpoint", collector.url());
      WardenServer server = ReloadingSidecar.started(flags);
      assertThat(server.tracing()).isNotSameAs(CallTracing.OFF);
      ManagedChannel channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
      DecideResponse decided;
      try {
        AuthorizationGrpc.AuthorizationBlockingStub authz =
            AuthorizationGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
        CheckRequest traced = EndToEndTest.request("GET", "/items/1", null);
        traced = traced.toBuilder().setAttributes(traced.getAttributes().toBuilder().setRequest(
            traced.getAttributes().getRequest().toBuilder().setHttp(traced.getAttributes().getRequest().getHttp()
                .toBuilder().putHeaders("traceparent", TRACEPARENT)))).build();
        authz.check(traced);
        authz.check(EndToEndTest.request("GET", "/items/2", null));
        decided = DecisionsGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).decide(
            DecideRequest.newBuilder().setClaims(Structs.of(Map.of("sub", "alice"))).putHeaders("traceparent",
                TRACEPARENT).setHttp(HttpTarget.newBuilder().setMethod("GET").setPath("/items/1")).build());
        assertThat(decided.getAllowed()).isTrue();
        // Exported within the SDK's schedule, before any shutdown, and counted on /metrics.
        assertThat(ReloadingSidecar.await(Duration.ofSeconds(20), () -> collector.spans().size() == 3)).isTrue();
        assertThat(ReloadingSidecar.metric(server, "warden_tracing_spans_total{state=\"ended\"}", -1)).isEqualTo(3);
        assertThat(ReloadingSidecar.metric(server, "warden_tracing_spans_total{state=\"exported\"}", -1)).isEqualTo(3);
        assertThat(ReloadingSidecar.metric(server, "warden_tracing_spans_total{state=\"failed\"}", -1)).isZero();
      } finally {
        // The close exports what is queued: nothing is waited for but the shutdown.
        ReloadingSidecar.stop(channel, server);
      }

      List<Span> spans = collector.spans();
      assertThat(spans).hasSize(3);
      Map<String, List<Span>> byName = spans.stream().collect(Collectors.groupingBy(Span::getName));
      assertThat(byName.get("warden.check")).hasSize(2);
      assertThat(byName.get("warden.decide")).hasSize(1);
      Span child = byName.get("warden.check").stream().filter(s -> hex(s.getTraceId()).equals(TRACE)).findFirst()
          .orElseThrow();
      Span root = byName.get("warden.check").stream().filter(s -> s != child).findFirst().orElseThrow();
      assertThat(hex(child.getParentSpanId())).isEqualTo(PARENT);
      assertThat(child.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
      assertThat(root.getParentSpanId()).isEmpty();
      assertThat(hex(root.getTraceId())).isNotEqualTo(TRACE).hasSize(32);
      for (Span s : byName.get("warden.check")) {
        assertThat(attribute(s.getAttributesList(), "warden.allowed")).isEqualTo("false");
        assertThat(attribute(s.getAttributesList(), "warden.outcome")).isEqualTo("unauthenticated");
        assertThat(attribute(s.getAttributesList(), "warden.route")).isEqualTo(decided.getRoute());
        assertThat(attribute(s.getAttributesList(), "warden.bundle.revision")).matches(ReloadingSidecar.rev("rev-a"));
        assertThat(attribute(s.getAttributesList(), "warden.decision_id")).isNotBlank();
        assertThat(s.getStatus().getCode()).isNotEqualTo(io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR);
      }
      Span decide = byName.get("warden.decide").get(0);
      assertThat(hex(decide.getTraceId())).isEqualTo(TRACE);
      assertThat(hex(decide.getParentSpanId())).isEqualTo(PARENT);
      assertThat(attribute(decide.getAttributesList(), "warden.decision_id")).isEqualTo(decided.getDecisionId());
      assertThat(attribute(decide.getAttributesList(), "warden.outcome")).isEqualTo(decided.getOutcome());
      assertThat(attribute(decide.getAttributesList(), "warden.allowed")).isEqualTo("true");
      assertThat(attribute(decide.getAttributesList(), "warden.bundle.revision")).isEqualTo(decided.getRevision());
      assertThat(attribute(collector.resourceSpans().get(0).getResource().getAttributesList(), "service.name"))
          .isEqualTo("warden-e2e");

      // The decision log over OTLP: one record per call, with the span's decision id and the caller's trace.
      List<LogRecord> records = collector.logRecords();
      assertThat(records).hasSize(3);
      Set<String> spanIds = spans.stream().map(s -> attribute(s.getAttributesList(), "warden.decision_id"))
          .collect(Collectors.toSet());
      assertThat(records.stream().map(r -> attribute(r.getAttributesList(), "warden.decision_id"))
          .collect(Collectors.toSet())).isEqualTo(spanIds);
      String childId = attribute(child.getAttributesList(), "warden.decision_id");
      LogRecord childRecord = records.stream()
          .filter(r -> childId.equals(attribute(r.getAttributesList(), "warden.decision_id"))).findFirst().orElseThrow();
      assertThat(hex(childRecord.getTraceId())).isEqualTo(TRACE);
      assertThat(hex(childRecord.getSpanId())).isEqualTo(PARENT);
    }
  }

  @Test
  void withoutAnEndpointTracingIsTheNoOpAndNoSdkThreadRuns() throws Exception {
    Path bundle = dir.resolve("bundle");
    BundleReloadTest.write(bundle, "rev-a", "alice");
    Set<String> before = sdkThreads();
    Map<String, String> flags = ReloadingSidecar.loopbackFlags("work=" + bundle);
    flags.put("reload.watch", "false");
    WardenServer server = ReloadingSidecar.started(flags);
    ManagedChannel channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
    try {
      assertThat(server.tracing()).isSameAs(CallTracing.OFF);
      for (int i = 0; i < 20; i++) {
        ReloadingSidecar.decideItem(channel, "alice");
      }
      assertThat(sdkThreads()).isSubsetOf(before);
    } finally {
      ReloadingSidecar.stop(channel, server);
    }
  }

  /** The threads the SDK's batch processors and the JDK sender's client start, by name. */
  private static Set<String> sdkThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
        .filter(n -> n.startsWith("BatchSpanProcessor") || n.startsWith("BatchLogRecordProcessor")
            || n.startsWith("HttpClient-"))
        .collect(Collectors.toSet());
  }
}
