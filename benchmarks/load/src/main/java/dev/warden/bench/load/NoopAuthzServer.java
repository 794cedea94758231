package dev.warden.bench.load;

import com.google.rpc.Code;
import com.google.rpc.Status;
import dev.warden.server.ReadBatching;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The floor: an ext_authz server that does nothing but answer every Check with one pre-built OK
 * response, in grpc-java's fastest configuration (Netty transport, direct executor, so the
 * transport thread answers), with the same bounded reads per wake-up as Warden's (which make this
 * server faster too: docs/benchmarks.md). Whatever Warden costs beyond this server is Warden's own.
 */
public final class NoopAuthzServer extends AuthorizationGrpc.AuthorizationImplBase {
  private static final CheckResponse OK = CheckResponse.newBuilder()
      .setStatus(Status.newBuilder().setCode(Code.OK_VALUE))
      .setOkResponse(OkHttpResponse.getDefaultInstance())
      .build();

  @Override
  public void check(CheckRequest request, StreamObserver<CheckResponse> observer) {
    observer.onNext(OK);
    observer.onCompleted();
  }

  /**
   * Starts on 127.0.0.1 with a port chosen by the system, reading at most {@code readBatchBytes}
   * per wake-up (0: Netty's adaptive reads).
   */
  public static Server start(int readBatchBytes) throws IOException {
    NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).directExecutor();
    return ReadBatching.apply(b, readBatchBytes)
        .addService(new NoopAuthzServer())
        .build()
        .start();
  }

  /** Stops accepting, lets in-flight calls finish for a second, then cancels what is left. */
  static void stop(Server server) {
    server.shutdown();
    try {
      if (!server.awaitTermination(1, TimeUnit.SECONDS)) {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
