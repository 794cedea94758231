package dev.warden.server.identity;

import dev.warden.policy.runtime.Identity;
import dev.warden.server.authz.MappedRequest;
import java.util.Map;

/**
 * Decides who the caller is, before any policy runs: a bearer token verified here, or claims
 * Envoy's jwt_authn filter verified (when trusted), plus the mTLS peer's SPIFFE id. A token that
 * is present but does not verify is an error (401), never an anonymous caller.
 */
public final class IdentityResolver {
  private final JwtVerifier jwt;

  /** The identity, or why the presented credentials are invalid (for logs only). */
  public record Result(Identity identity, String error) {}

  /** @param jwt the verifier, or null when Warden does not verify tokens itself */
  public IdentityResolver(JwtVerifier jwt) {
    this.jwt = jwt;
  }

  public Result resolve(MappedRequest m) {
    String peer = m.request().sourcePrincipal();
    Map<String, Object> claims = null;
    if (m.bearer() != null && jwt != null) {
      try {
        claims = jwt.verify(m.bearer());
      } catch (JwtVerifier.InvalidToken e) {
        return new Result(null, "invalid bearer token: " + e.getMessage());
      }
    } else if (m.envoyClaims() != null) {
      claims = m.envoyClaims();
    }
    return new Result(new Identity(claims, peer), null);
  }
}
