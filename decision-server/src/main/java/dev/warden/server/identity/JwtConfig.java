package dev.warden.server.identity;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How Warden verifies bearer tokens.
 *
 * @param issuer the required `iss`
 * @param audiences accepted `aud` values; a token must name at least one (empty: `aud` not checked)
 * @param algorithms the allow-list of JWS algorithms (never `none`; never HS* with public keys)
 * @param jwksFile a local JWKS file, or null
 * @param jwksUrl a JWKS URL, or null (exactly one of file and URL)
 * @param refresh how often the JWKS is refreshed
 * @param clockSkew tolerance for `exp` and `nbf`, at most 5 minutes
 * @param allowLoopbackHttp whether a plain `http://` JWKS URL is accepted, and then only on a
 *     loopback host: keys fetched over plain HTTP from anywhere else could be replaced by anyone
 *     on the path, who could then sign any token
 * @param jwksMaxAge how long keys stay trusted when the JWKS cannot be refreshed: past it no
 *     token verifies, as a key the identity provider has withdrawn would otherwise stay good
 */
public record JwtConfig(String issuer, List<String> audiences, List<String> algorithms, Path jwksFile, URI jwksUrl,
    Duration refresh, Duration clockSkew, boolean allowLoopbackHttp, Duration jwksMaxAge) {
  /** The default of `identity.jwt.jwks_max_age`. */
  public static final Duration DEFAULT_JWKS_MAX_AGE = Duration.ofHours(24);

  /** With the default {@link #jwksMaxAge}. */
  public JwtConfig(String issuer, List<String> audiences, List<String> algorithms, Path jwksFile, URI jwksUrl,
      Duration refresh, Duration clockSkew, boolean allowLoopbackHttp) {
    this(issuer, audiences, algorithms, jwksFile, jwksUrl, refresh, clockSkew, allowLoopbackHttp, DEFAULT_JWKS_MAX_AGE);
  }

  public JwtConfig {
    Objects.requireNonNull(issuer, "issuer");
    audiences = List.copyOf(audiences);
    algorithms = List.copyOf(algorithms);
    if ((jwksFile == null) == (jwksUrl == null)) {
      throw new IllegalArgumentException("identity.jwt needs exactly one of `jwks_file` and `jwks_url`");
    }
    if (jwksUrl != null) {
      checkUrl(jwksUrl, allowLoopbackHttp);
    }
    if (algorithms.isEmpty()) {
      throw new IllegalArgumentException("identity.jwt.algorithms must list at least one algorithm");
    }
    for (String a : algorithms) {
      if (a.equalsIgnoreCase("none") || a.toUpperCase().startsWith("HS")) {
        throw new IllegalArgumentException("identity.jwt.algorithms: `" + a
            + "` is not allowed; use asymmetric algorithms such as RS256 or ES256");
      }
    }
    if (clockSkew.isNegative() || clockSkew.compareTo(Duration.ofMinutes(5)) > 0) {
      throw new IllegalArgumentException("identity.jwt.clock_skew must be between 0s and 5m");
    }
    if (refresh.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("`identity.jwt.refresh` must be at least 1s, found `" + refresh + "`");
    }
    if (jwksMaxAge.compareTo(refresh) <= 0) {
      throw new IllegalArgumentException("`identity.jwt.jwks_max_age` must be longer than `identity.jwt.refresh`"
          + " (keys are trusted that long after the last successful refresh), found `" + jwksMaxAge + "`");
    }
  }

  private static void checkUrl(URI url, boolean allowLoopbackHttp) {
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (url.getHost() == null || !(scheme.equals("https") || scheme.equals("http"))) {
      throw new IllegalArgumentException("`identity.jwt.jwks_url` must be an https:// URL, found `" + url + "`");
    }
    if (scheme.equals("http")) {
      if (!isLoopback(url.getHost())) {
        throw new IllegalArgumentException("`identity.jwt.jwks_url` must use https: `" + url
            + "` would fetch signing keys over plain HTTP, which anyone on the path can replace");
      }
      if (!allowLoopbackHttp) {
        throw new IllegalArgumentException("`identity.jwt.jwks_url` `" + url + "` uses plain HTTP; set"
            + " `identity.jwt.allow_loopback_http: true` to fetch keys from this loopback address");
      }
    }
  }

  /** Loopback by its literal name: no DNS lookup decides whether keys may travel in clear. */
  static boolean isLoopback(String host) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    return h.equalsIgnoreCase("localhost") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1")
        || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  }
}
