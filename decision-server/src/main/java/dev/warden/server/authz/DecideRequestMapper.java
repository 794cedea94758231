package dev.warden.server.authz;

import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.HttpTokens;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.IpAddress;
import dev.warden.policy.runtime.Printable;
import dev.warden.policy.runtime.Request;
import dev.warden.proto.v1.DecideRequest;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Maps the decide API's {@link DecideRequest} to the policy's {@link Request}, as
 * {@link RequestMapper} maps Envoy's: an HTTP target is read as the sidecar reads Envoy's
 * request (the program canonicalizes its method, path and query); a route call names its route,
 * whose method and canonical path the request then carries. The claims are the application's
 * word, as the jwt_authn payload is Envoy's.
 */
public final class DecideRequestMapper {
  private final Clock clock;

  public DecideRequestMapper(Clock clock) {
    this.clock = clock;
  }

  /**
   * A decide request read: the request, and the route call when the target names a route.
   *
   * @param call the bound route call, or null for an HTTP target
   */
  public record Mapped(Program.RouteCall call, Request request) {}

  /**
   * Reads the request against the program that will decide it (a route target binds to its
   * routes).
   *
   * @throws IllegalArgumentException for a request that cannot be read, with a message for the
   *     caller naming what is wrong
   */
  public Mapped map(Program program, DecideRequest in) {
    String method;
    String path;
    Program.RouteCall call = null;
    switch (in.getTargetCase()) {
      case HTTP -> {
        method = in.getHttp().getMethod();
        path = in.getHttp().getPath();
        if (method.isEmpty() || path.isEmpty()) {
          throw new IllegalArgumentException("http target needs a method and a path");
        }
      }
      case ROUTE -> {
        call = program.bind(in.getRoute().getName(), in.getRoute().getParamsMap());
        method = call.method();
        path = call.path();
      }
      default -> throw new IllegalArgumentException("a DecideRequest needs a target: http or route");
    }
    IpAddress source = null;
    if (!in.getSourceIp().isEmpty()) {
      source = IpAddress.parse(in.getSourceIp());
      if (source == null) {
        throw new IllegalArgumentException("source_ip `" + in.getSourceIp() + "` is not an IP address");
      }
    }
    if (in.getHeadersCount() > RequestMapper.MAX_HEADERS) {
      throw new IllegalArgumentException("the request has " + in.getHeadersCount() + " headers; the limit is "
          + RequestMapper.MAX_HEADERS);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (Map.Entry<String, String> h : in.getHeadersMap().entrySet()) {
      String name = HttpTokens.headerName(h.getKey());
      if (name == null) {
        throw new IllegalArgumentException("header name `" + Printable.of(h.getKey()) + "` is not an HTTP token");
      }
      headers.merge(name, h.getValue(), (a, b) -> a + "," + b);
    }
    Instant time = in.hasTime() ? Instant.ofEpochSecond(in.getTime().getSeconds(), in.getTime().getNanos())
        : clock.instant();
    Map<String, Object> claims = in.hasClaims() ? StructClaims.of(in.getClaims()) : null;
    String peer = in.getPeer().isEmpty() ? null : in.getPeer();
    Request request = Request.builder(method, path, time)
        .headers(headers)
        .source(source, 0, peer)
        .identity(new Identity(claims, peer))
        .body(in.getBody().isEmpty() ? null
            : dev.warden.policy.runtime.RequestBody.ofBytes(in.getBody().asReadOnlyByteBuffer(), headers.get("content-type"),
                false))
        .build();
    return new Mapped(call, request);
  }
}
