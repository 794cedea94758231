package dev.warden.server.oci;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Credentials for a registry, as the caller read them from a file or the environment: a bearer
 * token sent as is, or a user and password, sent as HTTP basic auth when the registry asks for
 * it and to the token service of a bearer challenge. {@link #toString} never shows the secret.
 */
public final class OciCredentials {
  private final String token;
  private final String user;
  private final String password;

  private OciCredentials(String token, String user, String password) {
    this.token = token;
    this.user = user;
    this.password = password;
  }

  /** A bearer token, sent as {@code Authorization: Bearer …} from the first request. */
  public static OciCredentials bearer(String token) {
    String t = token == null ? "" : token.strip();
    if (t.isEmpty() || t.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
      throw new IllegalArgumentException("the registry token is empty or holds spaces or control characters");
    }
    return new OciCredentials(t, null, null);
  }

  /** A user and password for basic auth. */
  public static OciCredentials basic(String user, String password) {
    if (user == null || user.isEmpty() || user.indexOf(':') >= 0 || password == null) {
      throw new IllegalArgumentException("the registry user is empty or holds `:`");
    }
    return new OciCredentials(null, user, password);
  }

  /** {@code user:password} (one line; a trailing newline is dropped), as a user file holds it. */
  public static OciCredentials parseBasic(String userColonPassword) {
    String s = userColonPassword == null ? "" : userColonPassword.strip();
    int colon = s.indexOf(':');
    if (colon <= 0 || s.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("the registry credentials are not one line `user:password`");
    }
    return basic(s.substring(0, colon), s.substring(colon + 1));
  }

  /** Whether these are a bearer token (else a user and password). */
  public boolean isBearer() {
    return token != null;
  }

  /** The {@code Authorization} value for the registry itself when these are a token, or for basic auth. */
  String authorization() {
    if (token != null) {
      return "Bearer " + token;
    }
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return token != null ? "bearer token (hidden)" : "user `" + user + "` with a password (hidden)";
  }
}
