package dev.warden.policy.runtime;

/**
 * HTTP tokens (RFC 9110 §5.6.2): request methods and header names. Only ASCII is a token, and
 * case is folded with ASCII rules alone: Unicode case rules turn `poſt` into `POST` and
 * `x-api-\u212Aey` (Kelvin sign) into `x-api-key`.
 */
public final class HttpTokens {
  /** The longest method accepted. */
  public static final int MAX_METHOD_LENGTH = 32;

  private HttpTokens() {}

  /**
   * The method as Warden decides on it: an ASCII token with its letters upper-cased (`get` is
   * decided as `GET`, the stricter reading for upstreams that fold case and for those that refuse
   * it), or null when it is not a token.
   */
  public static String method(String m) {
    switch (m) {
      case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS":
        return m;
      default:
        break;
    }
    if (m.isEmpty() || m.length() > MAX_METHOD_LENGTH) {
      return null;
    }
    char[] out = new char[m.length()];
    for (int i = 0; i < m.length(); i++) {
      char c = m.charAt(i);
      if (!isTokenChar(c)) {
        return null;
      }
      out[i] = c >= 'a' && c <= 'z' ? (char) (c - 32) : c;
    }
    return new String(out);
  }

  /**
   * A header name in lower case, or null when it is not a token. HTTP/2 pseudo-headers
   * (`:authority`, `:path`), which Envoy passes along with the others, keep their colon.
   */
  public static String headerName(String name) {
    int start = name.startsWith(":") ? 1 : 0;
    if (name.length() == start) {
      return null;
    }
    boolean lower = true;
    for (int i = start; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!isTokenChar(c)) {
        return null;
      }
      lower &= c < 'A' || c > 'Z';
    }
    if (lower) {
      return name;
    }
    char[] out = name.toCharArray();
    for (int i = start; i < out.length; i++) {
      if (out[i] >= 'A' && out[i] <= 'Z') {
        out[i] = (char) (out[i] + 32);
      }
    }
    return new String(out);
  }

  /** Whether {@code name} is already a lower-case header name (the form Envoy sends). */
  public static boolean isLowerCaseName(String name) {
    return name.equals(headerName(name));
  }

  /** RFC 9110 tchar: ASCII letters, digits and ``!#$%&'*+-.^_`|~``. */
  static boolean isTokenChar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      return true;
    }
    return "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }
}
