package dev.warden.server.authz;

import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.Request;
import java.util.Map;

/**
 * A CheckRequest mapped to the policy's view, but for the caller's identity, which is resolved
 * next; plus what identity resolution needs and the policy does not see: the bearer token and
 * the claims Envoy's jwt_authn filter verified.
 *
 * @param builder the request, to be completed with the identity (built once, on the hot path)
 * @param headers the request headers, lower-case names
 * @param sourcePrincipal the mTLS peer's SPIFFE id, or null
 * @param bearer the token from `authorization: Bearer …`, or null
 * @param envoyClaims the jwt_authn payload from metadata, or null
 */
public record MappedRequest(Request.Builder builder, Map<String, String> headers, String sourcePrincipal,
    String bearer, Map<String, Object> envoyClaims) {

  /** The request as made by this caller. */
  public Request withIdentity(Identity identity) {
    return builder.identity(identity).build();
  }

  /** The request before identity resolution (an anonymous caller). */
  public Request request() {
    return builder.build();
  }
}
