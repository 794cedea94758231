package dev.warden.policy.runtime;

import java.util.Map;
import java.util.Objects;

/**
 * What the caller proved about itself, after the sidecar verified it: the claims of its
 * credential and the SPIFFE id of an mTLS peer. The policy's `principal` block turns this into a
 * typed principal: `jwt.<claim>` reads the claims of a token (verified by Warden or by Envoy's
 * jwt_authn filter), `apikey.<field>` those of an API key's record in the bundle's data.
 *
 * @param claims verified claims as JSON values (String, Number, Boolean, List, Map), or null when
 *     the caller presented no credential
 * @param credential where the claims come from; null when there are none
 * @param peer the SPIFFE id of the mTLS peer, or null
 */
public record Identity(Map<String, Object> claims, Credential credential, String peer) {
  private static final Identity ANONYMOUS = new Identity(null, null, null);

  /** The kinds of credential that carry claims. */
  public enum Credential {
    JWT,
    API_KEY
  }

  public Identity {
    // Not Map.copyOf: JSON claims may hold nulls.
    claims = claims == null || claims instanceof FrozenMap ? claims
        : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(claims));
    credential = claims == null ? null : credential == null ? Credential.JWT : credential;
  }

  /** Claims of a token (or none), and a peer id (or none). */
  public Identity(Map<String, Object> claims, String peer) {
    this(claims, claims == null ? null : Credential.JWT, peer);
  }

  public static Identity anonymous() {
    return ANONYMOUS;
  }

  public static Identity ofClaims(Map<String, Object> claims) {
    return new Identity(Objects.requireNonNull(claims, "claims"), Credential.JWT, null);
  }

  /** True when the caller proved nothing at all. */
  public boolean isAnonymous() {
    return claims == null && peer == null;
  }
}
