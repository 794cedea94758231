package dev.warden.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real server on an ephemeral loopback port and on a Unix socket, with real clients. */
class EndToEndTest {
  @TempDir Path dir;

  WardenServer start(String grpcListen) throws Exception {
    return start(grpcListen, Map.of());
  }

  WardenServer start(String grpcListen, Map<String, String> more) throws Exception {
    Tokens tokens = new Tokens(Instant.now());
    Map<String, String> flags = new java.util.HashMap<>(Tokens.config(tokens.writeJwks(dir)));
    flags.putAll(more);
    flags.put("bundle", "../policies/shop");
    flags.put("grpc.listen", grpcListen);
    flags.put("http.listen", "127.0.0.1:0");
    flags.put("shutdown.grace", "2s");
    WardenServer server = new WardenServer(ServerConfig.load(null, Map.of(), flags), Clock.systemUTC());
    try {
      server.start();
    } catch (Exception | Error e) {
      server.close();
      throw e;
    }
    this.tokens = tokens;
    return server;
  }

  Tokens tokens;

  static CheckRequest request(String method, String path, String token) {
    AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder().setMethod(method).setPath(path);
    if (token != null) {
      http.putHeaders("authorization", "Bearer " + token);
    }
    return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder().setHttp(http))).build();
  }

  @Test
  void servesChecksHealthAndAdminOnLoopback() throws Exception {
    try (WardenServer server = start("127.0.0.1:0")) {
      ManagedChannel channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
      try {
        AuthorizationGrpc.AuthorizationBlockingStub stub =
            AuthorizationGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
        String alice = tokens.valid("alice", List.of("customer"), "acme");
        assertThat(stub.check(request("GET", "/orders", alice)).hasOkResponse()).isTrue();
        CheckResponse denied = stub.check(request("DELETE", "/admin/users/bob", alice));
        assertThat(denied.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);

        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
        assertThat(health.check(HealthCheckRequest.newBuilder().setService(AuthorizationGrpc.SERVICE_NAME).build())
            .getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);

        assertGarbageIsRejectedAndServerStaysUp(channel, stub, alice);

        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + server.adminAddress().getPort();
        assertThat(get(http, base + "/ready").statusCode()).isEqualTo(200);
        assertThat(get(http, base + "/status").body()).containsPattern("\"revision\":\"shop-2026\\.11\\.1@sha256:[0-9a-f]{12}\"").contains("\"ready\":true");
        assertThat(get(http, base + "/metrics").body())
            .contains("warden_decisions_total{api=\"ext_authz\",outcome=\"allow\",result=\"allow\",status=\"200\"}")
            .contains("warden_decisions_total{api=\"ext_authz\",outcome=\"forbid\",result=\"deny\",status=\"403\"}")
            .containsPattern("warden_bundle_info\\{bundle=\"shop\",revision=\"shop-2026\\.11\\.1@sha256:[0-9a-f]{12}\"\\} 1");
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * The smallest read batch: requests larger than it (a 256 KiB body, a 64 KiB path) arrive over
   * many reads, and calls sent together are read a slice at a time; every one is answered as alone.
   */
  @Test
  void answersPipelinedCallsReadInSmallSlices() throws Exception {
    try (WardenServer server = start("127.0.0.1:0", Map.of("grpc.read_batch_bytes", "1024"))) {
      ManagedChannel channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
      try {
        AuthorizationGrpc.AuthorizationFutureStub stub = AuthorizationGrpc.newFutureStub(channel);
        String alice = tokens.valid("alice", List.of("customer"), "acme");
        CheckRequest.Builder withBody = request("POST", "/orders", alice).toBuilder();
        withBody.getAttributesBuilder().getRequestBuilder().getHttpBuilder()
            .putHeaders("content-type", "application/json")
            .setRawBody(com.google.protobuf.ByteString.copyFrom(new byte[256 * 1024]));
        // Each request with the status it must get, sent 10 times over, all at once.
        Map<CheckRequest, Integer> kinds = Map.of(
            request("GET", "/orders", alice), 200,
            request("DELETE", "/admin/users/bob", alice), 403,
            // Longer than the path limit, which holds on every path (it once held only on paths
            // that needed normalizing): a 400, not a lookup.
            request("GET", "/" + "a".repeat(64 * 1024), alice), 400,
            // The example bundle's schema for orders.create takes at most 16 KiB: a 413, once read.
            withBody.build(), 413);
        List<Map.Entry<CheckRequest, Integer>> calls = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
          calls.addAll(kinds.entrySet());
        }
        List<com.google.common.util.concurrent.ListenableFuture<CheckResponse>> answers = new java.util.ArrayList<>();
        for (Map.Entry<CheckRequest, Integer> call : calls) {
          answers.add(stub.withDeadlineAfter(20, TimeUnit.SECONDS).check(call.getKey()));
        }
        for (int i = 0; i < answers.size(); i++) {
          CheckResponse r = answers.get(i).get(30, TimeUnit.SECONDS);
          int status = r.hasOkResponse() ? 200 : r.getDeniedResponse().getStatus().getCodeValue();
          assertThat(status).as("call %d", i).isEqualTo(calls.get(i).getValue());
        }
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  /** Garbage protobuf bytes: the call fails, and the next real call is still answered. */
  private static void assertGarbageIsRejectedAndServerStaysUp(
      ManagedChannel channel, AuthorizationGrpc.AuthorizationBlockingStub stub, String token) {
    MethodDescriptor.Marshaller<byte[]> raw = new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(byte[] value) {
        return new ByteArrayInputStream(value);
      }

      @Override
      public byte[] parse(InputStream stream) {
        try {
          return stream.readAllBytes();
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }
    };
    MethodDescriptor<byte[], byte[]> check = AuthorizationGrpc.getCheckMethod().toBuilder(raw, raw).build();
    byte[] garbage = new byte[4096];
    new java.util.Random(7).nextBytes(garbage);
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, check,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), garbage))
        .isInstanceOf(StatusRuntimeException.class);
    assertThat(stub.check(request("GET", "/orders", token)).hasOkResponse()).isTrue();
  }

  private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Checks over a Unix socket, from a client of this test and from `warden request`, and not one
   * warning logged: gRPC used to set TCP's SO_KEEPALIVE on each connection, and Netty warned
   * "Unknown channel option 'SO_KEEPALIVE'" for every connection Envoy opened.
   */
  @Test
  void servesOnAUnixSocket() throws Exception {
    Path socket = dir.resolve("warden.sock");
    try (LogCapture logs = new LogCapture(); WardenServer server = start("unix:" + socket)) {
      EpollEventLoopGroup group = new EpollEventLoopGroup(1);
      try {
        for (int connection = 0; connection < 3; connection++) {
          ManagedChannel channel = UnixSockets.withoutKeepAlive(NettyChannelBuilder.forAddress(
              new DomainSocketAddress(socket.toFile())).channelType(EpollDomainSocketChannel.class)
              .eventLoopGroup(group).usePlaintext()).build();
          try {
            CheckResponse r = AuthorizationGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(request("GET", "/orders", null));
            assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(401);
          } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
          }
        }
        assertThat(server.grpcAddress()).isEqualTo("unix:" + socket);
      } finally {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      }
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      java.io.PrintStream oldOut = System.out;
      int exit;
      try {
        System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        exit = dev.warden.cli.WardenCli.run("request", "GET", "/orders", "--grpc", "unix:" + socket);
      } finally {
        System.setOut(oldOut);
      }
      assertThat(exit).isZero();
      assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8)).startsWith("deny 401");
      assertThat(logs.warnings()).as("warnings logged while serving on a Unix socket").isEmpty();
    }
  }

  /** The socket gets `grpc.unix_socket_mode` (0660 unless set) right after bind. */
  @Test
  void theUnixSocketGetsItsConfiguredMode() throws Exception {
    Path socket = dir.resolve("default.sock");
    try (WardenServer server = start("unix:" + socket)) {
      assertThat(java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(socket)))
          .isEqualTo("rw-rw----");
    }
    Path owner = dir.resolve("owner.sock");
    try (WardenServer server = start("unix:" + owner, Map.of("grpc.unix_socket_mode", "600"))) {
      assertThat(java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(owner)))
          .isEqualTo("rw-------");
    }
  }

  /**
   * Only a stale socket is replaced: a file, a directory or a link at the listen path is left
   * alone and the start fails naming the path, as does a socket another process listens on.
   */
  @Test
  void theUnixListenPathReplacesOnlyAStaleSocket() throws Exception {
    Path file = dir.resolve("precious.txt");
    java.nio.file.Files.writeString(file, "keep me");
    assertThatThrownBy(() -> start("unix:" + file)).isInstanceOf(IOException.class)
        .hasMessage("`" + file + "` exists and is not a socket (it is a regular file); refusing to replace it: remove it,"
            + " or set `grpc.listen` to another path");
    assertThat(java.nio.file.Files.readString(file)).isEqualTo("keep me");

    Path folder = java.nio.file.Files.createDirectory(dir.resolve("a-folder"));
    assertThatThrownBy(() -> start("unix:" + folder)).isInstanceOf(IOException.class)
        .hasMessageContaining("`" + folder + "` exists and is not a socket (it is a directory)");
    Path link = java.nio.file.Files.createSymbolicLink(dir.resolve("link.sock"), file);
    assertThatThrownBy(() -> start("unix:" + link)).isInstanceOf(IOException.class)
        .hasMessageContaining("`" + link + "` exists and is not a socket (it is a symbolic link)");
    assertThat(java.nio.file.Files.isSymbolicLink(link)).isTrue();

    Path stale = dir.resolve("stale.sock");
    java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)
        .bind(java.net.UnixDomainSocketAddress.of(stale)).close();   // the JDK leaves the file behind
    assertThat(stale).exists();
    try (WardenServer server = start("unix:" + stale)) {
      assertThat(check(stale).getDeniedResponse().getStatus().getCodeValue()).isEqualTo(401);
    }

    Path live = dir.resolve("live.sock");
    try (java.nio.channels.ServerSocketChannel other = java.nio.channels.ServerSocketChannel
        .open(java.net.StandardProtocolFamily.UNIX).bind(java.net.UnixDomainSocketAddress.of(live))) {
      assertThatThrownBy(() -> start("unix:" + live)).isInstanceOf(IOException.class)
          .hasMessage("a process already listens on `" + live + "`; stop it, or set `grpc.listen` to another path");
      assertThat(other.isOpen()).isTrue();
      assertThat(live).exists();
    }
  }

  private static CheckResponse check(Path socket) throws InterruptedException {
    EpollEventLoopGroup group = new EpollEventLoopGroup(1);
    ManagedChannel channel = UnixSockets.withoutKeepAlive(NettyChannelBuilder.forAddress(new DomainSocketAddress(
        socket.toFile())).channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext()).build();
    try {
      return AuthorizationGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(request("GET", "/orders", null));
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  @Test
  void shutdownTellsHealthWatchersNotServingBeforeStopping() throws Exception {
    WardenServer server = start("127.0.0.1:0");
    ManagedChannel channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
    java.util.concurrent.BlockingQueue<HealthCheckResponse.ServingStatus> seen =
        new java.util.concurrent.LinkedBlockingQueue<>();
    try {
      HealthGrpc.newStub(channel).watch(
          HealthCheckRequest.newBuilder().setService(AuthorizationGrpc.SERVICE_NAME).build(),
          new io.grpc.stub.StreamObserver<>() {
            @Override public void onNext(HealthCheckResponse r) { seen.add(r.getStatus()); }
            @Override public void onError(Throwable t) {}
            @Override public void onCompleted() {}
          });
      assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
      Thread closer = new Thread(server::close);
      closer.start();
      assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo(HealthCheckResponse.ServingStatus.NOT_SERVING);
      closer.join(15_000);
      assertThat(closer.isAlive()).isFalse();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.close();
    }
  }

  @Test
  void aBrokenBundleDoesNotStart() throws Exception {
    java.nio.file.Files.writeString(dir.resolve("bad.warden"), "package bad\nrole a extends a {}\n");
    Map<String, String> flags = Map.of("bundle", dir.toString(), "grpc.listen", "127.0.0.1:0", "http.listen", "127.0.0.1:0");
    WardenServer server = new WardenServer(ServerConfig.load(null, Map.of(), flags), Clock.systemUTC());
    assertThatThrownBy(server::start).isInstanceOf(WardenServer.StartException.class).hasMessageContaining("1 error(s)");
    server.close();
  }
}
