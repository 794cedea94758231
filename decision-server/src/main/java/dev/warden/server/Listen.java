package dev.warden.server;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/** A listen address: `HOST:PORT`, `[IPv6]:PORT`, or `unix:/path/to.sock`. Port 0 picks a free one. */
public record Listen(InetSocketAddress tcp, Path unix) {
  public static Listen parse(String s, String what) throws ServerConfig.ConfigException {
    if (s == null || s.isBlank()) {
      throw new ServerConfig.ConfigException("`" + what + "` is empty");
    }
    if (s.startsWith("unix:")) {
      String path = s.substring(5);
      if (path.isEmpty()) {
        throw new ServerConfig.ConfigException("`" + what + "`: `unix:` needs a socket path, such as `unix:/run/warden.sock`");
      }
      return new Listen(null, Path.of(path));
    }
    int colon = s.lastIndexOf(':');
    if (colon <= 0) {
      throw new ServerConfig.ConfigException("`" + what + "` must be HOST:PORT or unix:PATH, found `" + s + "`");
    }
    String host = s.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(s.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new ServerConfig.ConfigException("`" + what + "`: port `" + s.substring(colon + 1) + "` is not a number");
    }
    if (port < 0 || port > 65535) {
      throw new ServerConfig.ConfigException("`" + what + "`: port " + port + " is out of range");
    }
    return new Listen(new InetSocketAddress(host, port), null);
  }

  @Override
  public String toString() {
    return unix != null ? "unix:" + unix : tcp.getHostString() + ":" + tcp.getPort();
  }
}
