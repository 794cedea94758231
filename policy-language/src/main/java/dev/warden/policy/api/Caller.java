package dev.warden.policy.api;

import dev.warden.policy.runtime.Identity;
import java.util.Map;
import java.util.Objects;

/**
 * Who makes a request, as already verified by the embedding service: the claims of its token
 * (what the policy's `jwt.` sources read), or the record of its API key (`apikey.`), and the
 * SPIFFE id of an mTLS peer. Warden does not verify credentials here: pass only what you verified.
 * Immutable.
 */
public final class Caller {
  private static final Caller ANONYMOUS = new Caller(Identity.anonymous());

  final Identity identity;

  private Caller(Identity identity) {
    this.identity = identity;
  }

  /** A caller that proved nothing. */
  public static Caller anonymous() {
    return ANONYMOUS;
  }

  /** A caller with a verified token's claims, as JSON values (String, Number, Boolean, List, Map). */
  public static Caller withClaims(Map<String, ?> claims) {
    return new Caller(new Identity(copy(claims), Identity.Credential.JWT, null));
  }

  /** A caller with an API key, given as the key's record (what `apikey.FIELD` reads). */
  public static Caller withApiKey(Map<String, ?> record) {
    return new Caller(new Identity(copy(record), Identity.Credential.API_KEY, null));
  }

  /** This caller, also known by the SPIFFE id of its mTLS certificate. */
  public Caller withPeer(String spiffeId) {
    return new Caller(new Identity(identity.claims(), identity.credential(), Objects.requireNonNull(spiffeId, "spiffeId")));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> copy(Map<String, ?> m) {
    return (Map<String, Object>) Objects.requireNonNull(m, "claims");
  }

  @Override
  public String toString() {
    return identity.isAnonymous() ? "anonymous caller" : "caller " + identity;
  }
}
