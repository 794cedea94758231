package dev.warden.bench;

import dev.warden.policy.api.Caller;
import dev.warden.policy.api.HttpRequest;
import java.time.Instant;
import java.util.Map;

/**
 * One request as every engine receives it: method, path and the verified token's claims (null for
 * an anonymous caller). {@code request} is the same input as Warden's front door takes it, built
 * once up front because building it is the sidecar's job, not the decision's.
 */
public record Input(String method, String path, Map<String, Object> claims, HttpRequest request) {
  static final Instant TIME = Instant.parse("2026-11-01T12:00:00Z");

  public static Input of(String method, String path, Map<String, Object> claims) {
    Caller caller = claims == null ? Caller.anonymous() : Caller.withClaims(claims);
    return new Input(method, path, claims, HttpRequest.of(method, path, caller, TIME));
  }
}
