package dev.warden.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.server.admin.ServerMetrics;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link GrpcMetricsInterceptor}: every call counted as handled exactly once, with the status the
 * server closed it with, or CANCELLED when the client ended it first; and its handling time.
 */
class GrpcMetricsInterceptorTest {
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

  private static MethodDescriptor<InputStream, InputStream> method(String name) {
    return MethodDescriptor.<InputStream, InputStream>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName("test.Svc/" + name).setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();
  }

  private final ServerMetrics metrics = new ServerMetrics();
  private final CountDownLatch hanging = new CountDownLatch(1);
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    ServerServiceDefinition svc = ServerServiceDefinition.builder("test.Svc")
        .addMethod(method("Echo"), ServerCalls.asyncUnaryCall((in, out) -> {
          out.onNext(new ByteArrayInputStream(new byte[0]));
          out.onCompleted();
        }))
        .addMethod(method("Missing"), ServerCalls.asyncUnaryCall((in, out) ->
            out.onError(Status.NOT_FOUND.withDescription("no such thing").asRuntimeException())))
        // Never answers: the client gives up.
        .addMethod(method("Hang"), ServerCalls.asyncUnaryCall((in, out) -> hanging.countDown()))
        .build();
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(svc, new GrpcMetricsInterceptor(metrics.grpcCalls()))).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private String scrape() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new PrometheusTextFormatWriter(false).write(out, metrics.registry().scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  private void call(String name) {
    try {
      ClientCalls.blockingUnaryCall(channel, method(name), CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
          new ByteArrayInputStream(new byte[0]));
    } catch (io.grpc.StatusRuntimeException e) {
      // Counted all the same: the test reads the metrics.
    }
  }

  @Test
  void everyCallIsCountedOnceWithItsStatusOrAsCancelled() throws Exception {
    call("Echo");
    call("Echo");
    call("Missing");
    var pending = ClientCalls.futureUnaryCall(channel.newCall(method("Hang"), CallOptions.DEFAULT),
        new ByteArrayInputStream(new byte[0]));
    assertThat(hanging.await(10, TimeUnit.SECONDS)).isTrue();
    pending.cancel(true);
    try {
      pending.get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.CancellationException | ExecutionException e) {
      // Cancelled, as meant.
    }
    String hang = "grpc_method=\"Hang\",grpc_service=\"test.Svc\",grpc_type=\"unary\"";
    assertThat(ReloadingSidecar.await(Duration.ofSeconds(10),
        () -> scrapeQuietly().contains("grpc_server_handled_total{grpc_code=\"CANCELLED\"," + hang + "} 1.0"))).isTrue();

    String m = scrape();
    String echo = "grpc_method=\"Echo\",grpc_service=\"test.Svc\",grpc_type=\"unary\"";
    String missing = "grpc_method=\"Missing\",grpc_service=\"test.Svc\",grpc_type=\"unary\"";
    assertThat(m).contains("grpc_server_started_total{" + echo + "} 2.0", "grpc_server_started_total{" + missing + "} 1.0",
        "grpc_server_started_total{" + hang + "} 1.0",
        "grpc_server_handled_total{grpc_code=\"OK\"," + echo + "} 2.0",
        "grpc_server_handled_total{grpc_code=\"NOT_FOUND\"," + missing + "} 1.0",
        "grpc_server_handling_seconds_count{" + echo + "} 2", "grpc_server_handling_seconds_count{" + hang + "} 1");
    // Exactly once: no call has two statuses.
    assertThat(m.lines().filter(l -> l.startsWith("grpc_server_handled_total{")).count()).isEqualTo(3);
  }

  private String scrapeQuietly() {
    try {
      return scrape();
    } catch (Exception e) {
      return "";
    }
  }
}
