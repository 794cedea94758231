package dev.warden.server.quota;

import io.lettuce.core.RedisURI;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The {@code quota.redis} setting read into Lettuce's {@link RedisURI}, with messages that name
 * the setting and never show its password. Lettuce's own parser accepts much more (sentinels,
 * sockets, query options) and says less; here only {@code redis://[[user]:password@]host[:port][/db]}
 * and the same with {@code rediss://} (TLS) are taken.
 *
 * @param uri what the client connects to
 * @param display the URL without its password, for messages and logs
 */
record RedisUrl(RedisURI uri, String display) {
  static final String KEY = "quota.redis";
  private static final int DEFAULT_PORT = 6379;
  private static final String FORM = "redis://host:port[/db], rediss://host:port for TLS,"
      + " redis://:password@host:port with a password";

  static RedisUrl parse(String url, boolean cluster, Duration timeout, Path caFile) {
    if (url == null || url.isBlank()) {
      throw bad("is empty", "set it to " + FORM);
    }
    URI u;
    try {
      u = new URI(url.strip());
    } catch (URISyntaxException e) {
      throw bad("`" + redact(url) + "` is not a URL (" + e.getReason() + ")", "write it as " + FORM);
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!scheme.equals("redis") && !scheme.equals("rediss")) {
      throw bad("`" + redact(url) + "` is not a Redis URL", "write it as " + FORM);
    }
    String shown = redact(url);
    if (u.getHost() == null) {
      throw bad("`" + shown + "` " + authorityTrouble(u.getRawAuthority()), "write it as " + FORM);
    }
    int port = u.getPort() == -1 ? DEFAULT_PORT : u.getPort();
    if (port < 1 || port > 65535) {
      throw bad("`" + shown + "` has port " + port + ", not one from 1 to 65535", "Redis listens on 6379 by default");
    }
    if (u.getRawQuery() != null || u.getRawFragment() != null) {
      throw bad("`" + shown + "` has a query or fragment", "the URL takes no options; write it as " + FORM);
    }
    int db = database(u.getPath(), shown);
    if (cluster && db != 0) {
      throw bad("`" + shown + "` names database " + db + ", but Redis Cluster has only database 0",
          "drop the `/" + db + "`");
    }
    boolean tls = scheme.equals("rediss");
    if (caFile != null && !tls) {
      throw bad("has a CA file, `" + caFile + "`, but `" + shown + "` is not TLS", "use rediss:// for TLS");
    }
    if (caFile != null && !Files.isReadable(caFile)) {
      throw bad("has the CA file `" + caFile + "`, which cannot be read", "give a PEM file of CA certificates");
    }
    String host = u.getHost().startsWith("[") ? u.getHost().substring(1, u.getHost().length() - 1) : u.getHost();
    RedisURI.Builder b = RedisURI.Builder.redis(host, port).withSsl(tls).withDatabase(db).withTimeout(timeout);
    String userInfo = u.getUserInfo();
    if (userInfo != null && !userInfo.isEmpty()) {
      int colon = userInfo.indexOf(':');
      if (colon < 0) {
        b.withPassword(userInfo.toCharArray());
      } else if (colon == 0) {
        b.withPassword(userInfo.substring(1).toCharArray());
      } else {
        b.withAuthentication(userInfo.substring(0, colon), userInfo.substring(colon + 1).toCharArray());
      }
    }
    return new RedisUrl(b.build(), shown);
  }

  private static int database(String path, String shown) {
    if (path == null || path.isEmpty() || path.equals("/")) {
      return 0;
    }
    String n = path.substring(1);
    if (!n.matches("[0-9]{1,5}")) {
      throw bad("`" + shown + "` has the path `" + path + "`, not a database number", "write /0 for database 0, or no path");
    }
    return Integer.parseInt(n);
  }

  /** Why a URL with a scheme has no host: java.net.URI says only that its authority is not a server's. */
  private static String authorityTrouble(String authority) {
    if (authority == null || authority.isEmpty()) {
      return "names no host";
    }
    String hostPort = authority.substring(authority.lastIndexOf('@') + 1);
    int colon = hostPort.lastIndexOf(':');
    if (colon >= 0 && !hostPort.endsWith("]")) {
      return "has the port `" + hostPort.substring(colon + 1) + "`, not a number from 1 to 65535";
    }
    return "has a host that is not a host name or address";
  }

  /** The URL with any password replaced by {@code ***}. */
  static String redact(String url) {
    String s = url.strip();
    int scheme = s.indexOf("://");
    int from = scheme < 0 ? 0 : scheme + 3;
    int end = s.indexOf('/', from);
    int at = s.lastIndexOf('@', end < 0 ? s.length() : end);
    if (at < from) {
      return s;
    }
    String userInfo = s.substring(from, at);
    int colon = userInfo.indexOf(':');
    String user = colon < 0 ? "" : userInfo.substring(0, colon);
    return s.substring(0, from) + user + ":***" + s.substring(at);
  }

  private static IllegalArgumentException bad(String what, String hint) {
    return new IllegalArgumentException("`" + KEY + "` " + what + "; " + hint);
  }
}
