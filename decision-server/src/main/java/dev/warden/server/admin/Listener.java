package dev.warden.server.admin;

import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelInitializer;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpDecoderConfig;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpServerCodec;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Sets up each connection one admin listener accepts, and caps how many are open at once: a
 * connection beyond the cap is closed before it reads a byte, so a flood of idle connections
 * costs the listener file descriptors up to the cap and no more.
 */
final class Listener extends ChannelInitializer<Channel> {
  private final Endpoints endpoints;
  private final long timeoutNanos;
  private final int maxConnections;
  private final AtomicInteger open = new AtomicInteger();
  private final LongAdder rejected;

  Listener(Endpoints endpoints, long timeoutNanos, int maxConnections, LongAdder rejected) {
    this.endpoints = endpoints;
    this.timeoutNanos = timeoutNanos;
    this.maxConnections = maxConnections;
    this.rejected = rejected;
  }

  @Override
  protected void initChannel(Channel ch) {
    if (open.incrementAndGet() > maxConnections) {
      open.decrementAndGet();
      rejected.increment();
      ch.close();
      return;
    }
    ch.closeFuture().addListener(f -> open.decrementAndGet());
    HttpDecoderConfig limits = new HttpDecoderConfig()
        .setMaxInitialLineLength(AdminConnection.MAX_LINE_BYTES)
        .setMaxHeaderSize(AdminConnection.MAX_HEADER_BYTES);
    ch.pipeline().addLast(new HttpServerCodec(limits), new AdminConnection(endpoints, timeoutNanos));
  }
}
