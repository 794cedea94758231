package dev.warden.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.proto.v1.DecideRequest;
import dev.warden.proto.v1.DecideResponse;
import dev.warden.proto.v1.DecisionsGrpc;
import dev.warden.proto.v1.HttpTarget;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What `/metrics` shows after real calls on a loopback sidecar: JVM and process series, gRPC
 * server series for every service, latency buckets up to Envoy's timeout and beyond, and
 * decisions by declared route with the cardinality capped by `metrics.max_routes`, undeclared
 * paths never a label, and routes no longer declared removed at a bundle swap.
 */
class TelemetryTest {
  private static final Pattern ROUTE_SERIES =
      Pattern.compile("^warden_route_decisions_total\\{outcome=\"([a-z_]+)\",route=\"([^\"]+)\"} (\\S+)$");

  @TempDir Path dir;
  private WardenServer server;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws InterruptedException {
    ReloadingSidecar.stop(channel, server);
  }

  /**
   * A bundle of {@code n} routes `PREFIX0` … (`GET /PREFIXi`), each allowed to alice: the
   * generated bundle the cardinality tests need, with more routes than the cap.
   */
  static void routesBundle(Path bundle, String revision, String prefix, int n) throws IOException {
    Files.createDirectories(bundle);
    Files.writeString(bundle.resolve("bundle.yaml"), "revision: " + revision + "\nundeclared_status: 404\n");
    StringBuilder s = new StringBuilder("package work\n\nprincipal {\n  id: string = jwt.sub\n}\n\napi \"Work\" {\n");
    for (int i = 0; i < n; i++) {
      s.append("  route ").append(prefix).append(i).append(" GET /").append(prefix).append(i).append('\n');
    }
    s.append("}\n\n");
    for (int i = 0; i < n; i++) {
      s.append("permit ").append(prefix).append(i).append(" when principal.id == \"alice\"\n");
    }
    Files.writeString(bundle.resolve("work.warden"), s.toString());
  }

  private void start(Path bundle, Map<String, String> more) throws Exception {
    Map<String, String> flags = ReloadingSidecar.loopbackFlags("work=" + bundle);
    flags.put("reload.watch", "false");
    flags.putAll(more);
    server = ReloadingSidecar.started(flags);
    channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
  }

  private DecideResponse decide(String sub, String path) {
    return DecisionsGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).decide(
        DecideRequest.newBuilder().setClaims(Structs.of(Map.of("sub", sub)))
            .setHttp(HttpTarget.newBuilder().setMethod("GET").setPath(path)).build());
  }

  private int check(String path) {
    CheckRequest request = CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder().setHttp(
            AttributeContext.HttpRequest.newBuilder().setMethod("GET").setPath(path)))).build();
    var response = AuthorizationGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).check(request);
    return response.hasOkResponse() ? 200 : response.getDeniedResponse().getStatus().getCodeValue();
  }

  private String scrape() throws IOException, InterruptedException {
    var r = ReloadingSidecar.admin(server, "GET", "/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  /** `warden_route_decisions_total` as route → outcome → count. */
  private static Map<String, Map<String, Double>> routeSeries(String metrics) {
    Map<String, Map<String, Double>> out = new TreeMap<>();
    for (String line : metrics.split("\n")) {
      Matcher m = ROUTE_SERIES.matcher(line);
      if (m.matches()) {
        out.computeIfAbsent(m.group(2), k -> new TreeMap<>()).put(m.group(1), Double.parseDouble(m.group(3)));
      }
    }
    return out;
  }

  @Test
  void metricsShowJvmProcessGrpcAndRouteSeriesAfterRealCalls() throws Exception {
    Path bundle = dir.resolve("bundle");
    routesBundle(bundle, "three", "r", 3);
    start(bundle, Map.of());

    assertThat(decide("alice", "/r0").getAllowed()).isTrue();
    assertThat(decide("bob", "/r0").getAllowed()).isFalse();
    // Anonymous: the permit needs a principal.
    assertThat(check("/r1")).isEqualTo(401);
    assertThat(check("/nowhere/../secret")).isNotEqualTo(200);
    assertThat(check("/not-declared")).isEqualTo(404);
    HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance());
    // A method no service has: refused before any interceptor, so never a label.
    MethodDescriptor<InputStream, InputStream> unknown = MethodDescriptor.<InputStream, InputStream>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("envoy.service.auth.v3.Authorization/Nope")
        .setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, unknown,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new ByteArrayInputStream(new byte[0])))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));

    String m = scrape();
    // JVM and process series, from Prometheus' JVM instrumentation, on the same registry.
    assertThat(m).contains("jvm_memory_used_bytes{area=\"heap\"}", "jvm_threads_current ", "jvm_gc_collection_seconds",
        "jvm_classes_currently_loaded ", "jvm_runtime_info{", "process_cpu_seconds_total ", "process_start_time_seconds ",
        "process_open_fds ", "process_resident_memory_bytes ");
    // gRPC server series, for every service on the listener.
    String check = "grpc_method=\"Check\",grpc_service=\"envoy.service.auth.v3.Authorization\",grpc_type=\"unary\"";
    String decide = "grpc_method=\"Decide\",grpc_service=\"warden.v1.Decisions\",grpc_type=\"unary\"";
    String health = "grpc_method=\"Check\",grpc_service=\"grpc.health.v1.Health\",grpc_type=\"unary\"";
    assertThat(m).contains("grpc_server_started_total{" + check + "} 3.0", "grpc_server_started_total{" + decide + "} 2.0",
        "grpc_server_started_total{" + health + "} 1.0",
        "grpc_server_handled_total{grpc_code=\"OK\"," + check + "} 3.0",
        "grpc_server_handled_total{grpc_code=\"OK\"," + decide + "} 2.0",
        "grpc_server_handled_total{grpc_code=\"OK\"," + health + "} 1.0",
        "grpc_server_handling_seconds_count{" + check + "} 3",
        "grpc_server_handling_seconds_bucket{" + check + ",le=\"0.2\"}")
        .doesNotContain("Nope");
    // Decision latency: fine below 1 ms, on to Envoy's 200 ms timeout and 1 s.
    for (String le : List.of("5.0E-6", "1.0E-5", "2.5E-5", "1.0E-4", "0.001", "0.2", "0.25", "0.5", "1.0", "+Inf")) {
      assertThat(m).contains("warden_decision_duration_seconds_bucket{le=\"" + le + "\"}");
    }
    assertThat(m).contains("warden_decision_duration_seconds_count 5");
    // Decisions by declared route; what matched no route is `none`.
    Map<String, Map<String, Double>> routes = routeSeries(m);
    assertThat(routes).containsOnlyKeys("work.r0", "work.r1", "none");
    assertThat(routes.get("work.r0")).containsExactlyInAnyOrderEntriesOf(Map.of("allow", 1.0, "default_deny", 1.0));
    assertThat(routes.get("work.r1")).hasSize(1).allSatisfy((outcome, n) -> assertThat(n).isEqualTo(1.0));
    assertThat(routes.get("none").values().stream().mapToDouble(Double::doubleValue).sum()).isEqualTo(2.0);
    assertThat(routes.get("none")).containsKey("no_route");
  }

  @Test
  void routeLabelsAreCappedAndRoutesNoLongerDeclaredAreRemovedAtASwap() throws Exception {
    Path bundle = dir.resolve("bundle");
    routesBundle(bundle, "twelve", "r", 12);
    start(bundle, Map.of("metrics.max_routes", "5"));
    for (int i = 0; i < 12; i++) {
      assertThat(decide("alice", "/r" + i).getAllowed()).isTrue();
    }
    Map<String, Map<String, Double>> routes = routeSeries(scrape());
    // The first five declared routes have a label each; the seven others count as one `other`.
    assertThat(routes).containsOnlyKeys("work.r0", "work.r1", "work.r2", "work.r3", "work.r4", "other");
    assertThat(routes.get("other")).containsExactlyEntriesOf(Map.of("allow", 7.0));
    assertThat(routes.get("work.r3")).containsExactlyEntriesOf(Map.of("allow", 1.0));

    // A new revision declares s0..s2 and r0 only: the series of r1..r4 go, r0 keeps counting.
    Files.delete(bundle.resolve("work.warden"));
    Path next = dir.resolve("next");
    routesBundle(next, "swapped", "s", 3);
    String text = Files.readString(next.resolve("work.warden"))
        .replace("  route s0 GET /s0\n", "  route s0 GET /s0\n  route r0 GET /r0\n")
        .replace("permit s0 when", "permit r0 when principal.id == \"alice\"\npermit s0 when");
    Files.writeString(bundle.resolve("work.warden"), text);
    Files.writeString(bundle.resolve("bundle.yaml"), "revision: swapped\nundeclared_status: 404\n");
    assertThat(server.reload("test").get(30, TimeUnit.SECONDS).toString()).contains("ok");
    assertThat(decide("alice", "/s2").getAllowed()).isTrue();
    assertThat(decide("alice", "/r0").getAllowed()).isTrue();
    assertThat(decide("alice", "/r5").getAllowed()).isFalse();
    routes = routeSeries(scrape());
    assertThat(routes).containsOnlyKeys("work.r0", "work.s2", "other", "none");
    assertThat(routes.get("work.r0")).containsExactlyEntriesOf(Map.of("allow", 2.0));
    assertThat(routes.get("none")).containsExactlyEntriesOf(Map.of("no_route", 1.0));
  }

  @Test
  void noRouteLabelsAtAllWithACapOfZero() throws Exception {
    Path bundle = dir.resolve("bundle");
    routesBundle(bundle, "two", "r", 2);
    start(bundle, Map.of("metrics.max_routes", "0"));
    decide("alice", "/r0");
    decide("alice", "/r1");
    assertThat(routeSeries(scrape())).containsOnlyKeys("other");
  }

  private static final MethodDescriptor.Marshaller<InputStream> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(InputStream value) {
      return value;
    }

    @Override
    public InputStream parse(InputStream stream) {
      return stream;
    }
  };
}
