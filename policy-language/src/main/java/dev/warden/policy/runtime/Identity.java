package dev.warden.policy.runtime;

import java.util.Map;
import java.util.Objects;

/**
 * What the caller proved about itself, after the sidecar verified it: the claims of a token
 * (JWT, Envoy jwt_authn metadata or an API key's record) and the SPIFFE id of an mTLS peer. The
 * policy's `principal` block turns this into a typed principal.
 *
 * @param claims verified claims as JSON values (String, Number, Boolean, List, Map), or null when
 *     the caller presented no token
 * @param peer the SPIFFE id of the mTLS peer, or null
 */
public record Identity(Map<String, Object> claims, String peer) {
  private static final Identity ANONYMOUS = new Identity(null, null);

  public Identity {
    // Not Map.copyOf: JSON claims may hold nulls.
    claims = claims == null ? null : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(claims));
  }

  public static Identity anonymous() {
    return ANONYMOUS;
  }

  public static Identity ofClaims(Map<String, Object> claims) {
    return new Identity(Objects.requireNonNull(claims, "claims"), null);
  }

  /** True when the caller proved nothing at all. */
  public boolean isAnonymous() {
    return claims == null && peer == null;
  }
}
