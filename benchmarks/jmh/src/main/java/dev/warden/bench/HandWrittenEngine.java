package dev.warden.bench;

import dev.warden.bench.Scenario.Obj;
import java.util.List;
import java.util.Map;

/**
 * The same rules written by hand, as a service would without a policy engine: the practical
 * floor. It still parses the raw request (method, path, claims) like every other engine.
 */
public final class HandWrittenEngine extends HostEngine {
  public HandWrittenEngine(Scenario scenario) {
    super("hand-written", scenario);
  }

  @Override
  boolean decide(Map<String, Object> claims, List<String> roles, HostIndex.Match match) {
    HostIndex.Access access = index.access(roles, match.entry().route());
    if (access != HostIndex.Access.GRANTED || match.id() == null) {
      return access != HostIndex.Access.DENIED;
    }
    Obj o = match.entry().objects().get(match.id());
    return o != null && o.tenant().equals(claims.get("tenant"))
        && (!match.entry().route().action().ownerOnly() || o.owner().equals(claims.get("sub")));
  }
}
