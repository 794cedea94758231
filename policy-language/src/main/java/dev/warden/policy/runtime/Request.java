package dev.warden.policy.runtime;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * The immutable view of one request that policies decide on. The sidecar builds it from Envoy's
 * CheckRequest; tests and `warden eval` build it from their own input. Time is an input, so the
 * same request decides the same way anywhere.
 *
 * @param method the method as received; the program reads it as an ASCII token ({@link HttpTokens})
 * @param path the request target as received: the path and perhaps `?query`; the program
 *     canonicalizes both ({@link RequestLine}) before matching routes
 * @param headers header values by lower-case name ({@link HttpTokens#headerName})
 * @param sourceIp may be null when unknown
 * @param destinationIp may be null when unknown
 * @param context Envoy's per-route `context_extensions`
 * @param sni the server name the client asked for in its TLS handshake, or null
 * @param body the body Envoy sent (parsed only when read), or null when there is none
 */
public record Request(
    String id,
    String method,
    String path,
    Map<String, String> headers,
    String host,
    String scheme,
    Instant time,
    IpAddress sourceIp,
    int sourcePort,
    String sourcePrincipal,
    IpAddress destinationIp,
    int destinationPort,
    String destinationPrincipal,
    Map<String, String> context,
    String sni,
    RequestBody body,
    Identity identity) {

  public Request {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(time, "time");
    id = id == null ? "" : id;
    headers = headers == null ? Map.of() : headers instanceof FrozenMap ? headers : Map.copyOf(headers);
    host = host == null ? "" : host;
    scheme = scheme == null ? "" : scheme;
    context = context == null ? Map.of() : context instanceof FrozenMap ? context : Map.copyOf(context);
    sni = sni == null || sni.isEmpty() ? null : sni;
    identity = identity == null ? Identity.anonymous() : identity;
  }

  /** This request as made by another caller. */
  public Request withIdentity(Identity newIdentity) {
    return new Request(id, method, path, headers, host, scheme, time, sourceIp, sourcePort, sourcePrincipal,
        destinationIp, destinationPort, destinationPrincipal, context, sni, body, newIdentity);
  }

  public static Builder builder(String method, String path, Instant time) {
    return new Builder(method, path, time);
  }

  /** Builds a request step by step; every field but method, path and time is optional. */
  public static final class Builder {
    private final String method;
    private final String path;
    private final Instant time;
    private String id;
    private Map<String, String> headers;
    private String host;
    private String scheme;
    private IpAddress sourceIp;
    private int sourcePort;
    private String sourcePrincipal;
    private IpAddress destinationIp;
    private int destinationPort;
    private String destinationPrincipal;
    private Identity identity;
    private Map<String, String> context;
    private String sni;
    private RequestBody body;

    private Builder(String method, String path, Instant time) {
      this.method = method;
      this.path = path;
      this.time = time;
    }

    public Builder id(String v) {
      id = v;
      return this;
    }

    public Builder headers(Map<String, String> v) {
      headers = v;
      return this;
    }

    public Builder host(String v) {
      host = v;
      return this;
    }

    public Builder scheme(String v) {
      scheme = v;
      return this;
    }

    public Builder source(IpAddress ip, int port, String principal) {
      sourceIp = ip;
      sourcePort = port;
      sourcePrincipal = principal;
      return this;
    }

    public Builder destination(IpAddress ip, int port, String principal) {
      destinationIp = ip;
      destinationPort = port;
      destinationPrincipal = principal;
      return this;
    }

    public Builder context(Map<String, String> v) {
      context = v;
      return this;
    }

    public Builder sni(String v) {
      sni = v;
      return this;
    }

    public Builder body(RequestBody v) {
      body = v;
      return this;
    }

    public Builder identity(Identity v) {
      identity = v;
      return this;
    }

    public Request build() {
      return new Request(id, method, path, headers, host, scheme, time, sourceIp, sourcePort,
          sourcePrincipal, destinationIp, destinationPort, destinationPrincipal, context, sni, body, identity);
    }
  }
}
