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
 */
public record JwtConfig(String issuer, List<String> audiences, List<String> algorithms, Path jwksFile, URI jwksUrl,
    Duration refresh, Duration clockSkew) {
  public JwtConfig {
    Objects.requireNonNull(issuer, "issuer");
    audiences = List.copyOf(audiences);
    algorithms = List.copyOf(algorithms);
    if ((jwksFile == null) == (jwksUrl == null)) {
      throw new IllegalArgumentException("identity.jwt needs exactly one of `jwks_file` and `jwks_url`");
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
  }
}
