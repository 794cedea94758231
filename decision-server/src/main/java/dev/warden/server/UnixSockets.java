package dev.warden.server;

import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Unix domain socket gRPC listens on: what may be replaced at its path, its file mode, and
 * connections without TCP's keep-alive option.
 *
 * <p>Binding needs the path free, but only a socket left behind by a process that is gone may be
 * removed for it: a regular file, directory or link at that path is someone's data (a mistyped
 * `grpc.listen` must not delete `/etc/passwd`), and a socket something still listens on is
 * another process's endpoint, so both are start errors naming the path.
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
  private static final Logger log = LoggerFactory.getLogger(UnixSockets.class);
  /** `st_mode`'s file type bits, and the type of a socket (`S_IFMT`, `S_IFSOCK`). */
  private static final int TYPE_MASK = 0170000;
  private static final int SOCKET = 0140000;

  private UnixSockets() {}

  /**
   * Makes {@code path} free to bind: nothing there, or a stale socket, which is removed.
   *
   * @throws IOException naming the path when something else is there or a process listens on it
   */
  public static void prepare(Path path) throws IOException {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    }
    if (!isSocket(path, attributes)) {
      throw new IOException("`" + path + "` exists and is not a socket (it is " + kind(attributes)
          + "); refusing to replace it: remove it, or set `grpc.listen` to another path");
    }
    requireStale(path);
    Files.delete(path);
    log.info("replaced the stale socket `{}` left by a process that is gone", path);
  }

  private static boolean isSocket(Path path, BasicFileAttributes attributes) throws IOException {
    if (!attributes.isOther()) {
      return false;
    }
    Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    return mode instanceof Integer m && (m & TYPE_MASK) == SOCKET;
  }

  private static String kind(BasicFileAttributes a) {
    return a.isSymbolicLink() ? "a symbolic link" : a.isDirectory() ? "a directory"
        : a.isRegularFile() ? "a regular file" : "a device or pipe";
  }

  /**
   * Returns when nothing listens on the socket: connecting is refused at once. Not blocking, so
   * that a listener with a full backlog (the connection stays pending) counts as one; any other
   * failure (no permission to connect, say) leaves the socket in place, as it may be live.
   */
  private static void requireStale(Path path) throws IOException {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.configureBlocking(false);
      channel.connect(UnixDomainSocketAddress.of(path));
    } catch (ConnectException refused) {
      return;
    } catch (IOException e) {
      throw new IOException("cannot tell whether a process listens on `" + path + "` (" + e.getMessage()
          + "); remove the socket if it is stale, or set `grpc.listen` to another path", e);
    }
    throw new IOException("a process already listens on `" + path + "`; stop it, or set `grpc.listen` to another path");
  }

  /**
   * Sets the socket's permission bits, right after bind; until then it has what the process
   * umask left (0755 under the usual umask 022, so only Warden's own user could connect).
   */
  public static void restrict(Path path, int mode) throws IOException {
    Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] bits = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
    for (int i = 0; i < bits.length; i++) {
      if ((mode & (1 << i)) != 0) {
        permissions.add(bits[i]);
      }
    }
    try {
      Files.setPosixFilePermissions(path, permissions);
    } catch (IOException | UnsupportedOperationException e) {
      throw new IOException("cannot set the mode of `" + path + "` to `" + String.format("%04o", mode) + "` (`grpc.unix_socket_mode`): "
          + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
    }
  }

  /** The server side: no `SO_KEEPALIVE` on accepted connections. */
  public static NettyServerBuilder withoutKeepAlive(NettyServerBuilder builder) {
    return builder.withChildOption(ChannelOption.SO_KEEPALIVE, null);
  }

  /** The client side, for `warden request --grpc unix:PATH`. */
  public static NettyChannelBuilder withoutKeepAlive(NettyChannelBuilder builder) {
    return builder.withOption(ChannelOption.SO_KEEPALIVE, null);
  }
}
