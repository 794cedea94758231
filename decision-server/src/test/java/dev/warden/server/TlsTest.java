package dev.warden.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ext_authz over TLS, and over mTLS where a client without a certificate is refused. */
class TlsTest {
  @TempDir Path dir;

  @Test
  void mutualTlsAcceptsACertifiedClientAndRefusesOthers() throws Exception {
    TestPki pki = new TestPki(dir);
    Map<String, String> flags = new HashMap<>();
    flags.put("bundle", "../policies/shop");
    flags.put("grpc.listen", "127.0.0.1:0");
    flags.put("http.listen", "127.0.0.1:0");
    flags.put("grpc.tls.cert", pki.serverCert.toString());
    flags.put("grpc.tls.key", pki.serverKey.toString());
    flags.put("grpc.tls.client_ca", pki.caCert.toString());
    try (WardenServer server = new WardenServer(ServerConfig.load(null, Map.of(), flags), Clock.systemUTC())) {
      server.start();
      SslContextBuilder withCert = GrpcSslContexts.forClient().trustManager(pki.caCert.toFile())
          .keyManager(pki.clientCert.toFile(), pki.clientKey.toFile());
      ManagedChannel good = NettyChannelBuilder.forTarget(server.grpcAddress()).sslContext(withCert.build()).build();
      ManagedChannel noCert = NettyChannelBuilder.forTarget(server.grpcAddress())
          .sslContext(GrpcSslContexts.forClient().trustManager(pki.caCert.toFile()).build()).build();
      try {
        assertThat(AuthorizationGrpc.newBlockingStub(good).withDeadlineAfter(10, TimeUnit.SECONDS)
            .check(EndToEndTest.request("GET", "/orders", null)).getDeniedResponse().getStatus().getCodeValue())
            .isEqualTo(401);
        assertThatThrownBy(() -> AuthorizationGrpc.newBlockingStub(noCert).withDeadlineAfter(10, TimeUnit.SECONDS)
            .check(EndToEndTest.request("GET", "/orders", null))).isInstanceOf(StatusRuntimeException.class);
      } finally {
        good.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        noCert.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
