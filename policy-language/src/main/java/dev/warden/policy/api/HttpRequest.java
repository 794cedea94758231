package dev.warden.policy.api;

import dev.warden.policy.runtime.HttpTokens;
import dev.warden.policy.runtime.IpAddress;
import dev.warden.policy.runtime.Request;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One HTTP request to decide, as it arrived: method, target (path and query, still escaped),
 * headers, caller, time. Warden canonicalizes the target itself, exactly as the sidecar does.
 * The time is an input: Warden reads no clock, so pass `Instant.now()` or the request's own
 * time. Immutable; each `with…` returns a changed copy. A request is ready to decide once made:
 * deciding the same request again (a benchmark, a retry) builds nothing.
 */
public final class HttpRequest {
  private final String method;
  private final String target;
  private final Caller caller;
  private final Instant at;
  private final Map<String, String> headers;
  private final String scheme;
  private final String host;
  private final IpAddress source;
  // Invariant: the very request the fields above describe, built once.
  private final Request request;

  private HttpRequest(String method, String target, Caller caller, Instant at, Map<String, String> headers,
      String scheme, String host, IpAddress source) {
    this.method = Objects.requireNonNull(method, "method");
    this.target = Objects.requireNonNull(target, "target");
    this.caller = Objects.requireNonNull(caller, "caller");
    this.at = Objects.requireNonNull(at, "at");
    this.headers = Map.copyOf(headers);
    this.scheme = scheme;
    this.host = host;
    this.source = source;
    this.request = Request.builder(method, target, at)
        .headers(this.headers)
        .scheme(scheme)
        .host(host)
        .source(source, 0, caller.identity.peer())
        .identity(caller.identity)
        .build();
  }

  /**
   * A request without headers, over https.
   *
   * @param target the path, perhaps with `?query`, as received (`/orders/42?expand=items`)
   */
  public static HttpRequest of(String method, String target, Caller caller, Instant at) {
    return new HttpRequest(method, target, caller, at, Map.of(), "https", "", null);
  }

  /** This request with one more header; names are case-insensitive, a second value replaces the first. */
  public HttpRequest withHeader(String name, String value) {
    String key = HttpTokens.headerName(name);
    if (key == null) {
      throw new IllegalArgumentException("`" + name + "` is not an HTTP header name");
    }
    Map<String, String> more = new LinkedHashMap<>(headers);
    more.put(key, Objects.requireNonNull(value, "value"));
    return new HttpRequest(method, target, caller, at, more, scheme, host, source);
  }

  /** This request from the client address {@code ip} (what `source.ip` reads). */
  public HttpRequest withSource(String ip) {
    IpAddress parsed = IpAddress.parse(ip);
    if (parsed == null) {
      throw new IllegalArgumentException("`" + ip + "` is not an IP address");
    }
    return new HttpRequest(method, target, caller, at, headers, scheme, host, parsed);
  }

  /** This request with another scheme (`http`) and authority (`shop.example`). */
  public HttpRequest withOrigin(String newScheme, String newHost) {
    return new HttpRequest(method, target, caller, at, headers, newScheme, newHost, source);
  }

  Request request() {
    return request;
  }

  @Override
  public String toString() {
    return method + " " + target + " by " + caller + " at " + at;
  }
}
