package dev.warden.bench;

import java.util.List;
import java.util.Map;

/**
 * An engine that parses the request with the host-side index before it decides: anonymous
 * callers, undeclared routes and a malformed roles claim are denied before the engine is asked.
 */
abstract class HostEngine implements Engine {
  final HostIndex index;
  private final String name;

  HostEngine(String name, Scenario scenario) {
    this.name = name;
    this.index = new HostIndex(scenario);
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final boolean allowed(Input input) {
    Map<String, Object> claims = input.claims();
    HostIndex.Match match = index.find(input.method(), input.path());
    if (claims == null || match == null) {
      return false;
    }
    List<String> roles = HostIndex.roleClaim(claims);
    return roles != null && decide(claims, roles, match);
  }

  /** Decides a request to a declared route by a caller with a token. */
  abstract boolean decide(Map<String, Object> claims, List<String> roles, HostIndex.Match match);
}
