package dev.warden.server.authz;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.warden.policy.runtime.FrozenMap;
import dev.warden.policy.runtime.IpAddress;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.runtime.RequestBody;
import dev.warden.policy.runtime.HttpTokens;
import dev.warden.policy.runtime.Printable;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Maps Envoy's CheckRequest to the policy's {@link Request}. Only mapping lives here: the method,
 * path and query are canonicalized by the program itself ({@link dev.warden.policy.runtime.RequestLine}),
 * so that the sidecar, the decide API and `warden test` read a request alike, and every decision
 * is the program's. Header names must be HTTP tokens; Envoy sends nothing else, and a request
 * that holds one is refused rather than guessed at.
 */
public final class RequestMapper {
  /** Headers beyond this count are refused: a request carrying more is denied, not truncated. */
  public static final int MAX_HEADERS = 512;

  private final Clock clock;
  private final String jwtAuthnKey;
  private final AddressCache addresses = new AddressCache();

  /**
   * @param jwtAuthnKey the metadata key under which Envoy's jwt_authn filter puts the verified
   *     payload (its `payload_in_metadata`), or null to ignore jwt_authn metadata
   */
  public RequestMapper(Clock clock, String jwtAuthnKey) {
    this.clock = clock;
    this.jwtAuthnKey = jwtAuthnKey;
  }

  /** Thrown for a CheckRequest that cannot describe a valid HTTP request. */
  public static final class BadCheckRequest extends Exception {
    private static final long serialVersionUID = 1L;

    public BadCheckRequest(String message) {
      super(message, null, false, false);
    }
  }

  public MappedRequest map(CheckRequest check) throws BadCheckRequest {
    AttributeContext attrs = check.getAttributes();
    AttributeContext.HttpRequest http = attrs.getRequest().getHttp();
    if (http.getMethod().isEmpty() || http.getPath().isEmpty()) {
      throw new BadCheckRequest("CheckRequest has no HTTP method or path");
    }
    Map<String, String> headers = headers(http);
    // Envoy's `path` is the request target with its query; `query` repeats the query.
    String target = http.getPath().indexOf('?') < 0 && !http.getQuery().isEmpty()
        ? http.getPath() + "?" + http.getQuery() : http.getPath();
    Instant time = attrs.getRequest().hasTime()
        ? Instant.ofEpochSecond(attrs.getRequest().getTime().getSeconds(), attrs.getRequest().getTime().getNanos())
        : clock.instant();
    String host = http.getHost().isEmpty() ? headers.getOrDefault(":authority", "") : http.getHost();
    String sourcePrincipal = principal(attrs.getSource());
    Request.Builder request = Request.builder(http.getMethod(), target, time)
        .id(http.getId().isEmpty() ? headers.getOrDefault("x-request-id", "") : http.getId())
        .headers(headers)
        .host(host)
        .scheme(http.getScheme())
        .source(ip(attrs.getSource().getAddress()), port(attrs.getSource().getAddress()), sourcePrincipal)
        .destination(ip(attrs.getDestination().getAddress()), port(attrs.getDestination().getAddress()),
            principal(attrs.getDestination()))
        .context(attrs.getContextExtensionsCount() == 0 ? null : FrozenMap.view(attrs.getContextExtensionsMap()))
        .sni(attrs.getTlsSession().getSni())
        .body(body(http, headers));
    return new MappedRequest(request, headers, sourcePrincipal, bearer(headers.get("authorization")),
        envoyClaims(attrs));
  }

  /** The header Envoy adds when it sent only the first `max_request_bytes` of the body. */
  static final String PARTIAL_BODY_HEADER = "x-envoy-auth-partial-body";

  /**
   * The body Envoy buffered: `raw_body` (bytes, with `pack_as_bytes`) or `body` (text), kept as
   * received and parsed only if something reads it; null when Envoy sent none.
   */
  private static RequestBody body(AttributeContext.HttpRequest http, Map<String, String> headers) {
    if (http.getRawBody().isEmpty() && http.getBody().isEmpty()) {
      return null;
    }
    // Header lookups only for requests that have a body: most Checks (GET, HEAD) have none.
    boolean truncated = "true".equalsIgnoreCase(headers.get(PARTIAL_BODY_HEADER));
    String contentType = headers.get("content-type");
    return http.getRawBody().isEmpty() ? RequestBody.ofText(http.getBody(), contentType, truncated)
        : RequestBody.ofBytes(http.getRawBody().asReadOnlyByteBuffer(), contentType, truncated);
  }

  /** Headers from both `headers` and `header_map`, names lower-cased, repeats joined by `,`. */
  private static Map<String, String> headers(AttributeContext.HttpRequest http) throws BadCheckRequest {
    int count = http.getHeadersCount() + http.getHeaderMap().getHeadersCount();
    if (count > MAX_HEADERS) {
      throw new BadCheckRequest("request has " + count + " headers; the limit is " + MAX_HEADERS);
    }
    Map<String, String> envoyHeaders = http.getHeadersMap();
    if (http.getHeaderMap().getHeadersCount() == 0 && lowerCaseTokens(envoyHeaders)) {
      // What Envoy sends: one map with lower-case names. The message's own read-only map: a
      // parsed CheckRequest never changes, so there is nothing to copy or merge.
      return FrozenMap.view(envoyHeaders);
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : envoyHeaders.entrySet()) {
      merge(out, e.getKey(), e.getValue());
    }
    for (HeaderValue h : http.getHeaderMap().getHeadersList()) {
      String value = h.getRawValue().isEmpty() ? h.getValue() : h.getRawValue().toString(StandardCharsets.UTF_8);
      merge(out, h.getKey(), value);
    }
    return out;
  }

  private static boolean lowerCaseTokens(Map<String, String> headers) {
    for (String name : headers.keySet()) {
      if (!HttpTokens.isLowerCaseName(name)) {
        return false;
      }
    }
    return true;
  }

  private static void merge(Map<String, String> out, String name, String value) throws BadCheckRequest {
    String lower = HttpTokens.headerName(name);
    if (lower == null) {
      throw new BadCheckRequest("header name `" + Printable.of(name) + "` is not an HTTP token");
    }
    out.merge(lower, value, (a, b) -> a.equals(b) ? a : a + "," + b);
  }

  static String bearer(String authorization) {
    if (authorization == null || authorization.length() < 8
        || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = authorization.substring(7).trim();
    return token.isEmpty() ? null : token;
  }

  private IpAddress ip(Address a) {
    return a.hasSocketAddress() ? addresses.parse(a.getSocketAddress().getAddress()) : null;
  }

  private static int port(Address a) {
    return a.hasSocketAddress() ? a.getSocketAddress().getPortValue() : 0;
  }

  private static String principal(AttributeContext.Peer peer) {
    return peer.getPrincipal().isEmpty() ? null : peer.getPrincipal();
  }

  private Map<String, Object> envoyClaims(AttributeContext attrs) {
    if (jwtAuthnKey == null || attrs.getMetadataContext().getFilterMetadataCount() == 0) {
      return null;
    }
    Struct filter = attrs.getMetadataContext().getFilterMetadataMap().get("envoy.filters.http.jwt_authn");
    if (filter == null || !filter.containsFields(jwtAuthnKey)) {
      return null;
    }
    Value payload = filter.getFieldsOrThrow(jwtAuthnKey);
    return payload.hasStructValue() ? StructClaims.of(payload.getStructValue()) : null;
  }
}
