package dev.warden.policy.runtime;

import java.util.List;
import java.util.Map;

/**
 * What the sidecar must do beyond allow or deny: headers for the upstream, headers and query
 * parameters to strip, and headers for the client's response. Today the program fills only the
 * strip lists, with the method overrides it stripped ({@link RequestLine}); policies' own
 * `on allow` / `on deny` blocks arrive in a later release.
 */
public record Obligations(Map<String, String> upstreamHeaders, List<String> removeUpstreamHeaders,
    List<String> removeQueryParameters, Map<String, String> responseHeaders) {
  public static final Obligations NONE = new Obligations(Map.of(), List.of(), List.of(), Map.of());

  public Obligations {
    upstreamHeaders = Map.copyOf(upstreamHeaders);
    removeUpstreamHeaders = List.copyOf(removeUpstreamHeaders);
    removeQueryParameters = List.copyOf(removeQueryParameters);
    responseHeaders = Map.copyOf(responseHeaders);
  }

  /** What stripping a request line's method overrides takes; {@link #NONE} when there are none. */
  public static Obligations of(RequestLine line) {
    return line.stripHeaders().isEmpty() && line.stripQuery().isEmpty() ? NONE
        : new Obligations(Map.of(), line.stripHeaders(), line.stripQuery(), Map.of());
  }
}
