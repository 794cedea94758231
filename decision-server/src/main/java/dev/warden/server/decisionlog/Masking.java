package dev.warden.server.decisionlog;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What never leaves the process in a decision record. Header values of credential headers and
 * query values of secret parameters are replaced with {@link #MASK}; a JWT anywhere in a header
 * value (three base64url segments) keeps its header and claims, which say who the caller is, and
 * loses its signature, which would let a reader replay it. Names are matched case-insensitively.
 *
 * <p>Invariant: a value is either kept or replaced whole; nothing is truncated into something that
 * still holds a secret.
 */
public final class Masking {
  /** What a masked value reads as. */
  public static final String MASK = "[masked]";

  /** Headers whose whole value is a credential. */
  public static final Set<String> DEFAULT_HEADERS = Set.of("authorization", "proxy-authorization", "cookie",
      "set-cookie", "x-api-key", "x-auth-token", "x-amz-security-token", "x-csrf-token", "x-xsrf-token",
      "x-forwarded-access-token", "x-goog-iap-jwt-assertion");

  /** Query parameters whose value is a secret (OAuth tokens, API keys, signed-URL signatures). */
  public static final Set<String> DEFAULT_QUERY = Set.of("access_token", "id_token", "refresh_token", "token",
      "api_key", "apikey", "key", "secret", "client_secret", "password", "passwd", "pwd", "signature", "sig",
      "x-amz-signature", "x-amz-credential", "x-amz-security-token", "code", "session", "sessionid", "auth");

  /** A JWS compact serialization: header.payload.signature, each base64url. */
  private static final Pattern JWT =
      Pattern.compile("(eyJ[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]{2,}\\.)([A-Za-z0-9_-]{2,})");

  private final Set<String> headers;
  private final Set<String> query;

  /** The defaults, plus the API-key header Warden reads ({@code identity.api_key.header}). */
  public static Masking defaults(String apiKeyHeader) {
    Set<String> h = new TreeSet<>(DEFAULT_HEADERS);
    if (apiKeyHeader != null && !apiKeyHeader.isBlank()) {
      h.add(apiKeyHeader.toLowerCase(Locale.ROOT));
    }
    return new Masking(h, DEFAULT_QUERY);
  }

  public Masking(Set<String> headers, Set<String> query) {
    this.headers = lower(headers);
    this.query = lower(query);
  }

  private static Set<String> lower(Set<String> names) {
    Set<String> out = new TreeSet<>();
    names.forEach(n -> out.add(n.toLowerCase(Locale.ROOT)));
    return Set.copyOf(out);
  }

  /** A header value as it may be logged; {@code masked} gets the path of what was changed. */
  String header(String name, String value, java.util.List<String> masked) {
    String n = name.toLowerCase(Locale.ROOT);
    if (headers.contains(n)) {
      masked.add("request.headers." + n);
      return MASK;
    }
    if (value.indexOf("eyJ") < 0) { // no JWT can start here: spare the regex
      return value;
    }
    java.util.regex.Matcher m = JWT.matcher(value);
    if (m.find()) {
      masked.add("request.headers." + n + "#signature");
      return m.replaceAll(r -> java.util.regex.Matcher.quoteReplacement(r.group(1) + MASK));
    }
    return value;
  }

  /** A query parameter's value as it may be logged. */
  String queryValue(String name, String value, java.util.List<String> masked) {
    String n = name.toLowerCase(Locale.ROOT);
    if (query.contains(n)) {
      masked.add("request.query." + n);
      return MASK;
    }
    if (value.indexOf("eyJ") < 0) {
      return value;
    }
    java.util.regex.Matcher m = JWT.matcher(value);
    if (m.find()) {
      masked.add("request.query." + n + "#signature");
      return m.replaceAll(r -> java.util.regex.Matcher.quoteReplacement(r.group(1) + MASK));
    }
    return value;
  }
}
