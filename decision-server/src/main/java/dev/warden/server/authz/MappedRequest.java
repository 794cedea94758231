package dev.warden.server.authz;

import dev.warden.policy.runtime.Request;
import java.util.Map;

/**
 * A CheckRequest mapped to the policy's view, plus what identity resolution needs and the
 * policy does not see: the bearer token and the claims Envoy's jwt_authn filter verified.
 *
 * @param bearer the token from `authorization: Bearer …`, or null
 * @param envoyClaims the jwt_authn payload from metadata, or null
 * @param contextExtensions the route's `context_extensions`
 */
public record MappedRequest(Request request, String bearer, Map<String, Object> envoyClaims,
    Map<String, String> contextExtensions, String sni) {}
