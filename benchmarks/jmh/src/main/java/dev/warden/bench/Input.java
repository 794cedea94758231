package dev.warden.bench;

import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.Request;
import java.time.Instant;
import java.util.Map;

/**
 * One request as every engine receives it: method, path and the verified token's claims (null for
 * an anonymous caller). {@code request} is the same input in Warden's own carrier type, built once
 * up front because building it is the sidecar's job, not the decision's.
 */
public record Input(String method, String path, Map<String, Object> claims, Request request) {
  static final Instant TIME = Instant.parse("2026-11-01T12:00:00Z");

  public static Input of(String method, String path, Map<String, Object> claims) {
    Identity identity = claims == null ? Identity.anonymous() : Identity.ofClaims(claims);
    return new Input(method, path, claims, Request.builder(method, path, TIME).identity(identity).build());
  }
}
