package dev.warden.server.decisionlog;

import dev.warden.policy.runtime.LogRedaction.Action;
import dev.warden.policy.runtime.LogRedaction.Field;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What never leaves the process in a decision record. Header values of credential headers and
 * query values of secret parameters are replaced with {@link #MASK}; a JWT anywhere in a header
 * value (three base64url segments) keeps its header and claims, which say who the caller is, and
 * loses its signature, which would let a reader replay it. Names are matched case-insensitively,
 * query names once percent-decoded.
 *
 * <p>On top of these defaults, the deciding bundle's `redact log` entries ({@link
 * PolicyRedactions}) rewrite more fields: `mask`, `remove` (the field is left out), `hash`
 * ({@link ValueHasher}) or `last4` (the last four characters kept after {@link #MASK} when the
 * value has at least eight, else masked whole; a value holding a JWT is masked whole, since its
 * last four are its signature's). A policy cannot weaken a default: a default-masked name stays
 * masked whatever the policy says, unless it says `remove`, which is stricter.
 *
 * <p>Every field changed is named in the record's `masked` list: its path for a masked value
 * (`request.headers.authorization`), the path and `#` and the action for the others
 * (`request.headers.x-user-email#hash`, `…#last4`, `…#remove`), `#signature` for a JWT whose
 * signature was cut.
 *
 * <p>Invariant: a value is kept, replaced whole, reduced to its last four characters of eight or
 * more, or left out; nothing is truncated into something that still holds a secret.
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

  /** The `masked` path of each default-masked name, by name, built once: nearly every record lists one. */
  private final java.util.Map<String, String> headerPaths;
  private final java.util.Map<String, String> queryPaths;
  private final ValueHasher hasher;

  /**
   * The defaults, plus the API-key header Warden reads ({@code identity.api_key.header}).
   *
   * @param hasher what `hash` redactions hash with
   */
  public static Masking defaults(String apiKeyHeader, ValueHasher hasher) {
    Set<String> h = new TreeSet<>(DEFAULT_HEADERS);
    if (apiKeyHeader != null && !apiKeyHeader.isBlank()) {
      h.add(apiKeyHeader.toLowerCase(Locale.ROOT));
    }
    return new Masking(h, DEFAULT_QUERY, hasher);
  }

  public Masking(Set<String> headers, Set<String> query, ValueHasher hasher) {
    this.headerPaths = paths(Field.HEADER, lower(headers));
    this.queryPaths = paths(Field.QUERY, lower(query));
    this.hasher = hasher;
  }

  private static java.util.Map<String, String> paths(Field field, Set<String> names) {
    java.util.Map<String, String> out = new java.util.HashMap<>();
    names.forEach(n -> out.put(n, field.path() + "." + n));
    return java.util.Map.copyOf(out);
  }

  private static Set<String> lower(Set<String> names) {
    Set<String> out = new TreeSet<>();
    names.forEach(n -> out.add(n.toLowerCase(Locale.ROOT)));
    return Set.copyOf(out);
  }

  /**
   * A header value (by its lower-case name) as it may be logged, or null when the policy removes
   * the header; {@code masked} gets the path of what was changed.
   */
  String header(String name, String value, PolicyRedactions policy, List<String> masked) {
    return apply(Field.HEADER, name, value, headerPaths.get(name), policy, masked);
  }

  /** A query parameter's value (by its decoded name) as it may be logged, or null when removed. */
  String queryValue(String name, String value, PolicyRedactions policy, List<String> masked) {
    String n = name.toLowerCase(Locale.ROOT);
    return apply(Field.QUERY, n, value, queryPaths.get(n), policy, masked);
  }

  /**
   * A claim's value, as text, as it may be logged under `principal.claims`, or null when the
   * policy removes the claim. No claim is masked by default; a JWT inside one loses its signature.
   */
  public String claim(String name, String value, PolicyRedactions policy, List<String> masked) {
    return apply(Field.CLAIM, name, value, null, policy, masked);
  }

  // Invariant: a value left as it is costs no allocation (no path is built for it); most are.
  /** @param secretPath the `masked` path of a default-masked name, null for any other */
  private String apply(Field field, String n, String value, String secretPath, PolicyRedactions policy,
      List<String> masked) {
    Action action = policy.action(field, n);
    if (action == Action.REMOVE) {
      masked.add(field.path() + "." + n + "#remove");
      return null;
    }
    if (secretPath != null) {
      masked.add(secretPath);
      return MASK;
    }
    // No JWT can start without `eyJ`: most values spare the regex.
    java.util.regex.Matcher jwt = value.indexOf("eyJ") < 0 ? null : JWT.matcher(value);
    boolean hasJwt = jwt != null && jwt.find();
    if (action == Action.MASK || (action == Action.LAST4 && (hasJwt || value.codePointCount(0, value.length()) < 8))) {
      masked.add(field.path() + "." + n);
      return MASK;
    }
    if (action == Action.LAST4) {
      masked.add(field.path() + "." + n + "#last4");
      return MASK + value.substring(value.offsetByCodePoints(value.length(), -4));
    }
    if (action == Action.HASH) {
      masked.add(field.path() + "." + n + "#hash");
      return hasher.hash(value);
    }
    if (hasJwt) {
      masked.add(field.path() + "." + n + "#signature");
      return jwt.replaceAll(r -> java.util.regex.Matcher.quoteReplacement(r.group(1) + MASK));
    }
    return value;
  }
}
