package dev.warden.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import dev.warden.policy.runtime.HttpTokens;
import dev.warden.server.UnixSockets;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.PrintWriter;
import java.io.File;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * `warden request GET /path --claims '{…}'`: sends one real ext_authz Check to a running Warden,
 * the way Envoy would, and prints the answer. Claims travel as Envoy's jwt_authn filter would
 * put them (verified payload in metadata); `--token` sends a bearer token instead.
 */
@Command(name = "request", mixinStandardHelpOptions = true,
    description = "Send one ext_authz Check to a running Warden (as Envoy would) and print the answer.")
final class RequestCommand implements Callable<Integer> {
  @CommandLine.Parameters(index = "0", paramLabel = "METHOD") String method;

  @CommandLine.Parameters(index = "1", paramLabel = "PATH") String path;

  @CommandLine.Option(names = "--grpc", defaultValue = "127.0.0.1:9191", paramLabel = "HOST:PORT|unix:PATH",
      description = "Where Warden listens (default: ${DEFAULT-VALUE}).")
  String grpc;

  @CommandLine.Option(names = "--claims", paramLabel = "JSON",
      description = "Verified claims, as Envoy's jwt_authn puts them in metadata (key jwt_payload; Warden"
          + " trusts them only with identity.jwt_authn_metadata_key: jwt_payload, as in deploy/local/warden.yaml).")
  String claims;

  @CommandLine.Option(names = "--token", paramLabel = "JWT", description = "A bearer token for Warden to verify.")
  String token;

  @CommandLine.Option(names = {"-H", "--header"}, paramLabel = "NAME=VALUE", description = "A request header.")
  Map<String, String> headers = Map.of();

  @CommandLine.Option(names = "--peer", paramLabel = "SPIFFE_ID", description = "The mTLS peer's SPIFFE id.")
  String peer;

  @CommandLine.Option(names = "--from", paramLabel = "IP", description = "The client's address.")
  String from;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    CheckRequest request;
    try {
      request = build();
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("error: " + e.getMessage());
      return WardenCli.USAGE;
    }
    EpollEventLoopGroup group = null;
    ManagedChannel channel;
    if (grpc.startsWith("unix:")) {
      group = new EpollEventLoopGroup(1);
      channel = UnixSockets.withoutKeepAlive(NettyChannelBuilder.forAddress(new DomainSocketAddress(new File(grpc.substring(5))))
          .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext()).build();
    } else {
      channel = NettyChannelBuilder.forTarget(grpc).usePlaintext().build();
    }
    try {
      CheckResponse r = AuthorizationGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).check(request);
      if (r.hasDeniedResponse()) {
        out.printf("deny %d%n", r.getDeniedResponse().getStatus().getCodeValue());
        print(out, r.getDeniedResponse().getHeadersList());
        out.println(r.getDeniedResponse().getBody());
      } else {
        out.println("allow");
        print(out, r.getOkResponse().getHeadersList());
        r.getOkResponse().getHeadersToRemoveList().forEach(h -> out.println("  (removes " + h + ")"));
      }
      out.println("metadata: " + JsonFormat.printer().omittingInsignificantWhitespace().print(r.getDynamicMetadata()));
      return WardenCli.OK;
    } catch (StatusRuntimeException e) {
      spec.commandLine().getErr().println("error: cannot reach Warden at " + grpc + ": " + e.getStatus().getCode()
          + (e.getStatus().getDescription() == null ? "" : " (" + e.getStatus().getDescription() + ")"));
      return 1;
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      if (group != null) {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      }
    }
  }

  private CheckRequest build() throws Exception {
    // The method and path go as typed, as Envoy forwards them: Warden canonicalizes both, so
    // `poſt` or `/static/..;/admin` can be tried here. Header names are lower-cased, as Envoy's
    // codecs do, and must be HTTP tokens, as Envoy insists.
    AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder()
        .setMethod(method).setPath(path).setScheme("http").setProtocol("HTTP/1.1");
    for (Map.Entry<String, String> h : headers.entrySet()) {
      String name = HttpTokens.headerName(h.getKey());
      if (name == null) {
        throw new IllegalArgumentException("-H `" + h.getKey() + "`: not a header name (ASCII letters, digits, `-`…)");
      }
      http.putHeaders(name, h.getValue());
    }
    if (token != null) {
      http.putHeaders("authorization", "Bearer " + token);
    }
    AttributeContext.Builder attrs = AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder().setHttp(http));
    if (peer != null || from != null) {
      AttributeContext.Peer.Builder source = AttributeContext.Peer.newBuilder();
      if (peer != null) {
        source.setPrincipal(peer);
      }
      if (from != null) {
        source.setAddress(Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(from)));
      }
      attrs.setSource(source);
    }
    if (claims != null) {
      Object parsed;
      try {
        parsed = new ObjectMapper().readValue(claims, Object.class);
      } catch (Exception e) {
        throw new IllegalArgumentException("--claims is not valid JSON");
      }
      if (!(parsed instanceof Map)) {
        throw new IllegalArgumentException("--claims must be a JSON object such as '{\"sub\":\"alice\"}'");
      }
      Struct.Builder payload = Struct.newBuilder();
      JsonFormat.parser().merge(claims, payload);
      attrs.setMetadataContext(Metadata.newBuilder().putFilterMetadata("envoy.filters.http.jwt_authn",
          Struct.newBuilder().putFields("jwt_payload",
              com.google.protobuf.Value.newBuilder().setStructValue(payload).build()).build()));
    }
    return CheckRequest.newBuilder().setAttributes(attrs).build();
  }

  private static void print(PrintWriter out, List<HeaderValueOption> headers) {
    headers.forEach(h -> out.println("  " + h.getHeader().getKey() + ": " + h.getHeader().getValue()));
  }
}
