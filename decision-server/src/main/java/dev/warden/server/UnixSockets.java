package dev.warden.server;

import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;

/**
 * gRPC over a Unix domain socket without TCP's keep-alive option.
 *
 * <p>gRPC's Netty transport sets `SO_KEEPALIVE` on every connection it opens or accepts. A Unix
 * socket has no such option, so Netty logged, at WARN and once per connection, "Unknown channel
 * option 'SO_KEEPALIVE' for channel … of type EpollDomainSocketChannel" (logger
 * `io.grpc.netty.shaded.io.netty.bootstrap.ServerBootstrap` on the server, `Bootstrap` on the
 * client): a line for each of Envoy's connections that said nothing. Netty removes an option set
 * to null, and gRPC applies the builder's options after its own, so this removes the cause rather
 * than silencing the logger, which would also hide the warnings that matter. Keep-alive is not
 * needed there: a peer that goes away closes its end of the socket, and gRPC's own HTTP/2 pings
 * still run.
 */
public final class UnixSockets {
  private UnixSockets() {}

  /** The server side: no `SO_KEEPALIVE` on accepted connections. */
  public static NettyServerBuilder withoutKeepAlive(NettyServerBuilder builder) {
    return builder.withChildOption(ChannelOption.SO_KEEPALIVE, null);
  }

  /** The client side, for `warden request --grpc unix:PATH`. */
  public static NettyChannelBuilder withoutKeepAlive(NettyChannelBuilder builder) {
    return builder.withOption(ChannelOption.SO_KEEPALIVE, null);
  }
}
