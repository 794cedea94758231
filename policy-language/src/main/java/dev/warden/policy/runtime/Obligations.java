package dev.warden.policy.runtime;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the sidecar must do beyond allow or deny: headers for the upstream, headers and query
 * parameters to strip from the client's request, and headers for the client's response. The
 * program fills it from the policy's `on allow` / `on deny` blocks and from the method overrides
 * it strips ({@link RequestLine}). Immutable.
 *
 * <p>Invariant: a header the obligations write is never among the headers removed, since Envoy
 * removes after it sets. The client's own copy of a written header is replaced, not kept; the
 * values of a name reach the upstream as one line, joined by `, ` (RFC 9110 §5.3), which every
 * Envoy applies alike.
 *
 * @param upstreamHeaders the headers Warden writes to the upstream request, in order: one value
 *     for a `set` header, one or more for an `append`ed one
 * @param removeUpstreamHeaders names of client headers to strip, each also in its spellings with
 *     `_` for `-` ({@link HeaderRules#sameName})
 * @param removeUpstreamPatterns `remove header` patterns (`x-internal-*`), matched the same way
 *     against the headers a request carries ({@link HeaderRules#matches})
 * @param removeQueryParameters query parameters to strip
 * @param responseHeaders headers for the client's response, in order: on allow added to the
 *     upstream's response (a `set` replaces the upstream's value, an `append` adds to it), on
 *     deny to the denial
 */
public record Obligations(List<Header> upstreamHeaders, List<String> removeUpstreamHeaders,
    List<String> removeUpstreamPatterns, List<String> removeQueryParameters, List<Header> responseHeaders) {
  public static final Obligations NONE = new Obligations(List.of(), List.of(), List.of(), List.of(), List.of());

  /** One header value; {@code append} when the policy appended it rather than set it. */
  public record Header(String name, String value, boolean append) {}

  public Obligations {
    upstreamHeaders = List.copyOf(upstreamHeaders);
    removeUpstreamHeaders = List.copyOf(removeUpstreamHeaders);
    removeUpstreamPatterns = List.copyOf(removeUpstreamPatterns);
    removeQueryParameters = List.copyOf(removeQueryParameters);
    responseHeaders = List.copyOf(responseHeaders);
  }

  /** What stripping a request line's method overrides takes; {@link #NONE} when there are none. */
  public static Obligations of(RequestLine line) {
    return line.stripHeaders().isEmpty() && line.stripQuery().isEmpty() ? NONE
        : new Obligations(List.of(), line.stripHeaders(), List.of(), line.stripQuery(), List.of());
  }

  /** Whether there is nothing to do. */
  public boolean isEmpty() {
    return upstreamHeaders.isEmpty() && removeUpstreamHeaders.isEmpty() && removeUpstreamPatterns.isEmpty()
        && removeQueryParameters.isEmpty() && responseHeaders.isEmpty();
  }

  /** Whether Warden writes a header of this name to the upstream. */
  public boolean writes(String name) {
    for (Header h : upstreamHeaders) {
      if (h.name.equals(name)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the client's header {@code name} (lower case, as Envoy sends it) is stripped: it is
   * removed by name or by pattern, or it is another spelling of a header Warden writes
   * (`x_user_id` when Warden sets `x-user-id`). A header Warden writes is never stripped: the
   * written value replaces the client's.
   */
  public boolean strips(String name) {
    if (upstreamHeaders.isEmpty() && removeUpstreamHeaders.isEmpty() && removeUpstreamPatterns.isEmpty()) {
      return false;
    }
    if (writes(name)) {
      return false;
    }
    for (Header h : upstreamHeaders) {
      if (HeaderRules.sameName(name, h.name)) {
        return true;
      }
    }
    for (String r : removeUpstreamHeaders) {
      if (HeaderRules.sameName(name, r)) {
        return true;
      }
    }
    for (String p : removeUpstreamPatterns) {
      if (HeaderRules.matches(name, p)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The headers the upstream receives for a request with these headers (lower-case names): the
   * client's headers that are not stripped, then what Warden writes, which replaces the client's
   * copy, the values of a name joined by `, `. This is what `warden test` asserts, and what the
   * sidecar has Envoy do.
   */
  public Map<String, List<String>> upstream(Map<String, String> requestHeaders) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : requestHeaders.entrySet()) {
      if (!strips(e.getKey())) {
        out.put(e.getKey(), List.of(e.getValue()));
      }
    }
    out.putAll(joined(upstreamHeaders));
    return Collections.unmodifiableMap(out);
  }

  /** The headers of the client's response that Warden adds, the values of a name joined by `, `. */
  public Map<String, List<String>> response() {
    return Collections.unmodifiableMap(joined(responseHeaders));
  }

  private static Map<String, List<String>> joined(List<Header> headers) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Header h : headers) {
      out.merge(h.name, List.of(h.value), (a, b) -> List.of(a.get(0) + ", " + b.get(0)));
    }
    return out;
  }
}
