package dev.warden.server.admin;

import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.channel.ChannelFuture;
import io.grpc.netty.shaded.io.netty.channel.ChannelFutureListener;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.socket.DuplexChannel;
import io.grpc.netty.shaded.io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.grpc.netty.shaded.io.netty.handler.codec.http.FullHttpResponse;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpContent;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpHeaderNames;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpHeaderValues;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpMethod;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpObject;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpRequest;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpResponseStatus;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpUtil;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpVersion;
import io.grpc.netty.shaded.io.netty.handler.codec.http.LastHttpContent;
import io.grpc.netty.shaded.io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.grpc.netty.shaded.io.netty.handler.codec.http.TooLongHttpLineException;
import io.grpc.netty.shaded.io.netty.util.ReferenceCountUtil;
import io.grpc.netty.shaded.io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One admin connection, after {@code HttpServerCodec}: answers each request and enforces the
 * limits that keep a handful of slow or hostile clients from holding the listener.
 *
 * <p>The deadline is one timer that always runs: it restarts when a request is complete and
 * when its answer has been written, and closes the connection when it fires. A read timeout
 * would not do, because it restarts on every byte and a client dripping bytes never trips it;
 * this way a request must arrive whole, and an answer must leave, within the timeout, and an
 * idle keep-alive connection is closed after it too.
 */
final class AdminConnection extends ChannelInboundHandlerAdapter {
  static final int MAX_LINE_BYTES = 4096;
  static final int MAX_HEADER_BYTES = 8192;
  static final int MAX_BODY_BYTES = 1024;

  private static final Logger log = LoggerFactory.getLogger(AdminConnection.class);

  private final Endpoints endpoints;
  private final long timeoutNanos;
  private ScheduledFuture<?> deadline;
  /** The request whose headers are in and whose body (usually none) is still arriving. */
  private HttpRequest request;
  private long bodyBytes;
  /** Set once the connection is on its way out; whatever the decoder still hands over is dropped. */
  private boolean closing;

  AdminConnection(Endpoints endpoints, long timeoutNanos) {
    this.endpoints = endpoints;
    this.timeoutNanos = timeoutNanos;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    // An accepted channel is connected before its pipeline is built, so the clock starts here.
    restartDeadline(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancelDeadline();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancelDeadline();
    ctx.fireChannelInactive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (closing) {
        return;
      }
      if (msg instanceof HttpObject o && o.decoderResult().isFailure()) {
        malformed(ctx, o);
        return;
      }
      if (msg instanceof HttpRequest r) {
        begin(ctx, r);
      } else if (msg instanceof HttpContent c && request != null) {
        body(ctx, c);
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  /**
   * The decoder gave up: on the request line or headers (then the object is a request), or on
   * the body's chunk framing. Either way it reads nothing more from this connection.
   */
  private void malformed(ChannelHandlerContext ctx, HttpObject o) {
    Throwable cause = o.decoderResult().cause();
    if (o instanceof HttpRequest && cause instanceof TooLongHttpLineException) {
      refuse(ctx, 414, "the request line is longer than " + MAX_LINE_BYTES + " bytes\n");
    } else if (o instanceof HttpRequest && cause instanceof TooLongHttpHeaderException) {
      refuse(ctx, 431, "the request headers are larger than " + MAX_HEADER_BYTES + " bytes\n");
    } else {
      refuse(ctx, 400, "malformed request\n");
    }
  }

  private void begin(ChannelHandlerContext ctx, HttpRequest r) {
    if (!ctx.channel().isWritable()) {
      // The client sends requests without reading the answers; answering more would only
      // pile them up in memory.
      closing = true;
      ctx.close();
      return;
    }
    if (HttpUtil.getContentLength(r, -1L) > MAX_BODY_BYTES) {
      refuse(ctx, 413, "the request body is larger than " + MAX_BODY_BYTES + " bytes\n");
      return;
    }
    request = r;
    bodyBytes = 0;
    if (HttpUtil.is100ContinueExpected(r)) {
      ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    }
  }

  private void body(ChannelHandlerContext ctx, HttpContent c) {
    bodyBytes += c.content().readableBytes();
    if (bodyBytes > MAX_BODY_BYTES) {
      // Chunked bodies have no length up front; this is where they are caught.
      refuse(ctx, 413, "the request body is larger than " + MAX_BODY_BYTES + " bytes\n");
      return;
    }
    if (c instanceof LastHttpContent) {
      HttpRequest r = request;
      request = null;
      answer(ctx, r);
    }
  }

  private void answer(ChannelHandlerContext ctx, HttpRequest r) {
    restartDeadline(ctx);
    HttpMethod method = r.method();
    boolean head = method.equals(HttpMethod.HEAD);
    Reply reply;
    if (method.equals(HttpMethod.POST)) {
      CompletableFuture<Reply> later;
      try {
        later = endpoints.post(path(r.uri()));
      } catch (RuntimeException e) {
        log.warn("admin endpoint POST `{}` failed", path(r.uri()), e);
        later = CompletableFuture.completedFuture(Reply.text(500, "internal error\n"));
      }
      if (later != null) {
        // Answered when the check is done, on this connection's event loop; nothing more is read
        // from it meanwhile (a pipelined request would be answered out of order), so it closes after.
        closing = true;
        later.whenComplete((done, error) -> ctx.executor().execute(() -> {
          if (error != null) {
            log.warn("admin endpoint POST `{}` failed", path(r.uri()), error);
          }
          Reply answer = error != null ? Reply.text(500, "internal error\n") : done;
          closing = false;
          send(ctx, response(answer, false), false);
        }));
        return;
      }
    }
    if (!head && !method.equals(HttpMethod.GET)) {
      reply = Reply.text(405, "only GET and HEAD\n");
    } else {
      String path = path(r.uri());
      try {
        reply = endpoints.get(path);
      } catch (RuntimeException e) {
        log.warn("admin endpoint `{}` failed", path, e);
        reply = Reply.text(500, "internal error\n");
      }
    }
    boolean keepAlive = HttpUtil.isKeepAlive(r);
    FullHttpResponse response = response(reply, head);
    if (keepAlive) {
      HttpUtil.setKeepAlive(response.headers(), r.protocolVersion(), true);
    }
    send(ctx, response, keepAlive);
  }

  private void refuse(ChannelHandlerContext ctx, int status, String why) {
    request = null;
    send(ctx, response(Reply.text(status, why), false), false);
  }

  private void send(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
    if (!keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      closing = true;
    }
    ChannelFuture written = ctx.writeAndFlush(response);
    if (keepAlive) {
      written.addListener((ChannelFutureListener) f -> {
        if (f.isSuccess()) {
          restartDeadline(ctx);
        } else {
          ctx.close();
        }
      });
    } else {
      written.addListener((ChannelFutureListener) f -> {
        if (f.isSuccess() && ctx.channel() instanceof DuplexChannel duplex) {
          // Half-close and let the client finish: closing with its unread bytes still queued
          // (the rest of an oversized request) would reset the connection, and a reset can
          // destroy the answer before the client reads it. The client's own close, or the
          // deadline, ends the connection.
          duplex.shutdownOutput().addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        } else {
          ctx.close();
        }
      });
    }
  }

  private static FullHttpResponse response(Reply reply, boolean head) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(reply.status()),
        head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(reply.body()));
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, reply.contentType())
        .setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
    if (reply.status() == 405) {
      response.headers().set(HttpHeaderNames.ALLOW, reply.allow() != null ? reply.allow() : "GET, HEAD");
    }
    return response;
  }

  /**
   * The path alone. A scraper may add query parameters the endpoints have no use for, and
   * HTTP/1.1 lets a client send the absolute form (`http://host/path`), as proxies do.
   */
  private static String path(String uri) {
    String path = uri;
    if (path.startsWith("http://") || path.startsWith("https://")) {
      int slash = path.indexOf('/', path.indexOf("//") + 2);
      path = slash < 0 ? "/" : path.substring(slash);
    }
    int query = path.indexOf('?');
    return query < 0 ? path : path.substring(0, query);
  }

  private void restartDeadline(ChannelHandlerContext ctx) {
    cancelDeadline();
    if (!ctx.channel().isActive()) {
      // A write can complete just as the connection closes; a timer then would only linger.
      return;
    }
    deadline = ctx.executor().schedule(() -> {
      closing = true;
      ctx.close();
    }, timeoutNanos, TimeUnit.NANOSECONDS);
  }

  private void cancelDeadline() {
    if (deadline != null) {
      deadline.cancel(false);
      deadline = null;
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Resets and broken pipes are what probes and scrapers do when they give up; not worth a warning.
    log.debug("admin connection failed", cause);
    closing = true;
    ctx.close();
  }
}
