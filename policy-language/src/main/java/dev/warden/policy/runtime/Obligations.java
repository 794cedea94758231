package dev.warden.policy.runtime;

import java.util.List;
import java.util.Map;

/**
 * What the sidecar must do beyond allow or deny: headers for the upstream, headers to strip, and
 * headers for the client's response. Policies fill this through `on allow` / `on deny` blocks,
 * which arrive in a later release; until then it is always empty.
 */
public record Obligations(
    Map<String, String> upstreamHeaders, List<String> removeUpstreamHeaders, Map<String, String> responseHeaders) {
  public static final Obligations NONE = new Obligations(Map.of(), List.of(), Map.of());

  public Obligations {
    upstreamHeaders = Map.copyOf(upstreamHeaders);
    removeUpstreamHeaders = List.copyOf(removeUpstreamHeaders);
    responseHeaders = Map.copyOf(responseHeaders);
  }
}
