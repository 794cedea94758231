package dev.warden.server.admin;

import dev.warden.server.ActiveBundle;
import dev.warden.server.BundleSet;
import io.grpc.netty.shaded.io.netty.bootstrap.ServerBootstrap;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelFuture;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.IoHandlerFactory;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The HTTP admin listener: `/health` (the process is up), `/ready` (a bundle is active, and
 * the server is not shutting down),
 * `/status` (JSON: active revision, when activated, last load error, the reload state) and
 * `/metrics` (Prometheus text), plus `POST /bundles/reload` where `/status` is served. GET and
 * HEAD otherwise; it serves operators and probes, never the data path.
 *
 * <p>Kubernetes restarts the sidecar when its probes fail, so nothing a client does may keep
 * this listener from answering them: every connection lives on one event loop thread and none
 * can hold it, a request must arrive whole within {@link Settings#requestTimeout()}, requests
 * are small and bounded, and each listener takes at most {@link Settings#maxConnections()}
 * connections. With {@link Settings#opsAddress()} set, `/status` and `/metrics` move to their
 * own listener, and the one the probes use answers `/health` and `/ready` only.
 */
public final class AdminServer implements AutoCloseable {
  /**
   * Where and how the admin listener listens.
   *
   * @param address the main listener: probes, and everything else unless {@code opsAddress} is set
   * @param opsAddress a second listener for `/status` and `/metrics`, or null to serve them on {@code address}
   * @param requestTimeout how long a connection may take to send a whole request (from opening, or from
   *     the previous answer), or to take an answer, before it is closed
   * @param maxConnections open connections per listener; more are closed as they arrive
   */
  public record Settings(InetSocketAddress address, InetSocketAddress opsAddress, Duration requestTimeout,
      int maxConnections) {
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_CONNECTIONS = 1024;

    public Settings {
      if (address == null) {
        throw new IllegalArgumentException("the admin listener needs an address");
      }
      if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
        throw new IllegalArgumentException("the admin request timeout must be positive, found `"
            + requestTimeout + "`");
      }
      if (maxConnections < 1) {
        throw new IllegalArgumentException("the admin listener must allow at least 1 connection, found `"
            + maxConnections + "`");
      }
    }

    /** One listener on {@code address} with the default timeout and connection cap. */
    public static Settings defaults(InetSocketAddress address) {
      return new Settings(address, null, DEFAULT_REQUEST_TIMEOUT, DEFAULT_MAX_CONNECTIONS);
    }
  }

  /**
   * The bundle's reload state and trigger, for `/status` and `POST /bundles/reload`. Both are
   * called on the admin thread and must not block: {@link #reload} only enqueues a check.
   */
  public interface BundleControl {
    /** Each bundle's reload state, in configuration order: the `bundles` of `/status` (the first is `bundle`). */
    List<Map<String, Object>> status();

    /** Checks the bundle now; the future completes, on another thread, with the check's outcome. */
    CompletableFuture<Map<String, Object>> reload(String cause);

    /**
     * Activates bundle {@code name}'s previous revision (null: the only bundle's) and pins it until
     * its source changes; the future completes with the outcome (`result` `ok`, or `failed` with
     * stage `rollback` when there is none).
     *
     * @throws IllegalArgumentException when there is no such bundle, or several and no name
     */
    CompletableFuture<Map<String, Object>> rollback(String name, String cause);

    /** `/status`'s `quota`: the mode and the shared store's connection; null leaves it out. */
    default Map<String, Object> quota() {
      return null;
    }
  }

  private final EventLoopGroup loop;
  private final Channel main;
  private final Channel ops;
  private final LongAdder rejected = new LongAdder();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean draining = new AtomicBoolean();

  /** Binds with {@link Settings#defaults}. */
  public AdminServer(InetSocketAddress address, ActiveBundle bundle, ServerMetrics metrics) throws IOException {
    this(Settings.defaults(address), bundle, metrics);
  }

  /**
   * Binds the listeners; connections queue in the kernel until {@link #start()}.
   *
   * @throws IOException when an address cannot be bound; the message names it
   */
  public AdminServer(Settings settings, ActiveBundle bundle, ServerMetrics metrics) throws IOException {
    this(settings, BundleSet.of(bundle), metrics, null, Epoll.isAvailable());
  }

  /**
   * Binds the listeners, with `POST /bundles/reload` and the `bundle` object of `/status` served
   * through {@code control} (on the listener that serves `/status`).
   */
  public AdminServer(Settings settings, BundleSet bundles, ServerMetrics metrics, BundleControl control)
      throws IOException {
    this(settings, bundles, metrics, control, Epoll.isAvailable());
  }

  /** {@link #AdminServer(Settings, BundleSet, ServerMetrics, BundleControl)} for one bundle. */
  public AdminServer(Settings settings, ActiveBundle bundle, ServerMetrics metrics, BundleControl control)
      throws IOException {
    this(settings, BundleSet.of(bundle), metrics, control, Epoll.isAvailable());
  }

  AdminServer(Settings settings, ActiveBundle bundle, ServerMetrics metrics, boolean epoll) throws IOException {
    this(settings, BundleSet.of(bundle), metrics, null, epoll);
  }

  /** @param epoll whether to use the native transport; a parameter so that tests can cover NIO too */
  AdminServer(Settings settings, BundleSet bundle, ServerMetrics metrics, BundleControl control, boolean epoll)
      throws IOException {
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends ServerChannel> type = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    // One thread for both listeners: admin traffic is a few probes and scrapes, and no
    // answer waits on anything but memory.
    loop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("warden-admin", true), io);
    try {
      boolean split = settings.opsAddress() != null;
      long timeoutNanos = settings.requestTimeout().toNanos();
      main = bind(type, "admin", settings.address(),
          new Listener(new Endpoints(bundle, metrics, control, !split, draining::get), timeoutNanos, settings.maxConnections(), rejected));
      ops = !split ? null : bind(type, "admin ops", settings.opsAddress(),
          new Listener(new Endpoints(bundle, metrics, control, true, draining::get), timeoutNanos, settings.maxConnections(), rejected));
    } catch (IOException | RuntimeException e) {
      shutdown();
      throw e;
    }
  }

  private Channel bind(Class<? extends ServerChannel> type, String name, InetSocketAddress address, Listener listener)
      throws IOException {
    ChannelFuture bound = new ServerBootstrap()
        .group(loop)
        .channel(type)
        .option(ChannelOption.SO_REUSEADDR, true)
        .option(ChannelOption.SO_BACKLOG, 128)
        // Accept nothing before start(), as the JDK server this replaced did.
        .option(ChannelOption.AUTO_READ, false)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(listener)
        .bind(address)
        .awaitUninterruptibly();
    if (!bound.isSuccess()) {
      Throwable cause = bound.cause();
      String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
      throw new IOException(name + " listener cannot bind `" + address.getHostString() + ":" + address.getPort()
          + "`: " + why, cause);
    }
    return bound.channel();
  }

  /** Starts accepting connections. */
  public void start() {
    main.config().setAutoRead(true);
    if (ops != null) {
      ops.config().setAutoRead(true);
    }
  }

  /** The main listener's address, with port 0 resolved to the port bound. */
  public InetSocketAddress address() {
    return (InetSocketAddress) main.localAddress();
  }

  /** The ops listener's address, with port 0 resolved, or null when there is none. */
  public InetSocketAddress opsAddress() {
    return ops == null ? null : (InetSocketAddress) ops.localAddress();
  }

  /** Connections closed as they arrived because their listener had {@link Settings#maxConnections()} open. */
  public long rejectedConnections() {
    return rejected.sum();
  }

  /**
   * From now on `/ready` answers 503 (and `/status` says not ready) while everything else still
   * answers: the first step of a shutdown, so that the kubelet takes the pod out of its Service
   * before the listeners close.
   */
  public void draining() {
    draining.set(true);
  }

  /** Closes the listeners and every open connection, and stops the event loop thread. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      shutdown();
    }
  }

  private void shutdown() {
    // No quiet period: there is no work worth waiting for, and the caller wants the port back.
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
