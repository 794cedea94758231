package dev.warden.policy.runtime;

import java.util.List;
import java.util.Set;

/**
 * Which headers a policy's obligations may touch, and how a client's header is matched against
 * them. The checker refuses what a policy may not name; the sidecar uses the same rules when it
 * expands `remove header` patterns against the headers a request really carries.
 *
 * <p>Names are compared with `_` and `-` as one character: CGI, Rack, PHP and many frameworks
 * read `x_user_id` and `x-user-id` as the same variable, so a client that cannot send one must
 * not be able to send the other.
 */
public final class HeaderRules {
  /** Warden's own headers, such as `x-warden-decision-id`: never the policy's to touch. */
  public static final String WARDEN_PREFIX = "x-warden-";

  /**
   * Headers that frame the message or concern one connection (RFC 9110 §7.6.1), and `host`:
   * Envoy and the upstream own them, and a policy changing them could split or misroute a request.
   */
  public static final Set<String> CONNECTION_HEADERS = Set.of("host", "content-length", "transfer-encoding",
      "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "http2-settings");

  /** The method overrides Warden strips (requests.method_override); a policy must not send one. */
  static final List<String> METHOD_OVERRIDES = MethodOverrides.HEADERS;

  private HeaderRules() {}

  /** What a header name is used for in a policy, for the rules that differ. */
  public enum Use {
    /** `set header` / `append header`: a header of the request the upstream receives. */
    UPSTREAM_SET,
    /** `remove header`: a header the client sent. */
    UPSTREAM_REMOVE,
    /** `set response header` / `append response header` in `on allow`. */
    RESPONSE_ON_ALLOW,
    /** `set response header` / `append response header` in `on deny`. */
    RESPONSE_ON_DENY
  }

  /**
   * Why a policy may not name this header here, or null when it may. A `remove` name may be a
   * pattern: a prefix and one final `*`. The message and the help are for a diagnostic, joined
   * by a newline.
   */
  public static String problem(String name, Use use) {
    if (name.isEmpty()) {
      return "a header name is empty\nwrite a name such as `x-user-id`";
    }
    if (name.startsWith(":")) {
      return "`" + Printable.of(name) + "` is a pseudo-header\nEnvoy sets `:path`, `:method`, `:authority` and `:status`"
          + " itself; a policy cannot change them";
    }
    boolean pattern = name.endsWith("*");
    String body = pattern ? name.substring(0, name.length() - 1) : name;
    if (body.indexOf('*') >= 0 || (pattern && use != Use.UPSTREAM_REMOVE)) {
      return use == Use.UPSTREAM_REMOVE
          ? "`" + Printable.of(name) + "` has a `*` before its end\npatterns are a prefix and one final `*`, such as"
              + " `x-internal-*`"
          : "`" + Printable.of(name) + "` is a pattern\nonly `remove header` takes a pattern; name one header here";
    }
    if (pattern && body.isEmpty()) {
      return "`*` would remove every header\nname a prefix, such as `x-internal-*`";
    }
    String lower = HttpTokens.headerName(body);
    if (lower == null) {
      return "`" + Printable.of(name) + "` is not a header name\nheader names are ASCII letters, digits and"
          + " ``!#$%&'*+-.^_`|~``";
    }
    if (!lower.equals(body)) {
      return "header name `" + name + "` is not in lower case\nwrite `" + lower + (pattern ? "*" : "")
          + "`: Envoy hands header names over in lower case";
    }
    if (body.indexOf('_') >= 0) {
      String hyphens = body.replace('_', '-');
      return "header name `" + name + "` has `_`\nwrite `" + hyphens + (pattern ? "*" : "")
          + "`: Warden strips `_` spellings of a header along with it, and many servers drop or refuse names with `_`";
    }
    if (isWarden(body) || body.startsWith("x-warden")) {
      return "`" + name + "` is reserved for Warden\nheaders named `x-warden-…` are Warden's own; pick another name";
    }
    if (CONNECTION_HEADERS.contains(body) && !pattern) {
      return "`" + name + "` cannot be changed by a policy\nEnvoy and the upstream own `" + name
          + "`: it frames the message or concerns one connection";
    }
    if (use == Use.UPSTREAM_SET && METHOD_OVERRIDES.contains(body)) {
      return "`" + name + "` is a method override\nWarden strips method overrides (`requests.method_override`); a policy"
          + " cannot send one";
    }
    if (use == Use.RESPONSE_ON_DENY && (body.equals("content-type") || body.equals("www-authenticate"))) {
      return "`" + name + "` is set by Warden on its denials\nWarden's denials carry a JSON body and, on a 401, a"
          + " `Bearer` challenge";
    }
    return null;
  }

  /** Whether a header name is Warden's own, in any spelling: `x-warden-…`, `x_warden_…`. */
  public static boolean isWarden(String name) {
    return name.length() > WARDEN_PREFIX.length() && startsAs(name, WARDEN_PREFIX, WARDEN_PREFIX.length());
  }

  /**
   * Whether the first {@code n} characters of a client's header {@code name} are those of
   * {@code policyName} (written with `-` only), each `-` also matched by `_`. The one comparison
   * behind {@link #isWarden}, {@link #sameName} and {@link #matches}.
   */
  private static boolean startsAs(String name, String policyName, int n) {
    for (int i = 0; i < n; i++) {
      char c = name.charAt(i);
      char p = policyName.charAt(i);
      if (c != p && !(p == '-' && c == '_')) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether the sidecar may remove a client's header of this name when a pattern matches it: not
   * pseudo-headers, the connection headers, nor Warden's own.
   */
  public static boolean removable(String name) {
    return !name.startsWith(":") && !CONNECTION_HEADERS.contains(name) && !isWarden(name);
  }

  /**
   * Whether a client's header {@code name} is {@code policyName} (written with `-` only), in any
   * spelling of `_` for `-`.
   */
  public static boolean sameName(String name, String policyName) {
    return name.length() == policyName.length() && startsAs(name, policyName, name.length());
  }

  /**
   * Whether a client's header {@code name} matches a pattern (`x-internal-*`), with `_` for `-`,
   * and may be removed.
   */
  public static boolean matches(String name, String pattern) {
    int n = pattern.length() - 1;
    return name.length() >= n && removable(name) && startsAs(name, pattern, n);
  }

  /**
   * Why a value cannot be a header value, or null when it can: a control character (a line break
   * would start another header), or blanks at either end, which HTTP drops, so that the upstream
   * would read another value than the one decided on.
   */
  public static String valueProblem(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        return c == '\r' || c == '\n' ? "a line break" : "a control character";
      }
    }
    if (!value.isEmpty() && (isBlank(value.charAt(0)) || isBlank(value.charAt(value.length() - 1)))) {
      return "a blank at its start or end";
    }
    return null;
  }

  private static boolean isBlank(char c) {
    return c == ' ' || c == '\t';
  }
}
