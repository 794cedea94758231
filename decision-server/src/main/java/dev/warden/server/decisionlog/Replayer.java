package dev.warden.server.decisionlog;

import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Identity;
import dev.warden.proto.v1.DecisionLog;
import dev.warden.proto.v1.LoggedPrincipal;
import dev.warden.proto.v1.LoggedRequest;
import dev.warden.server.ActiveBundle;
import dev.warden.server.admin.ServerMetrics;
import dev.warden.server.authz.Authorizer;
import dev.warden.server.authz.DecideRequestMapper;
import dev.warden.server.authz.DecisionIds;
import dev.warden.server.authz.Deciding;
import dev.warden.server.authz.RequestMapper;
import dev.warden.server.authz.StructClaims;
import dev.warden.server.identity.IdentityResolver;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Decides the request of a decision record again, with another program, the way the sidecar
 * decided it: the record's request is rebuilt as Envoy's {@link CheckRequest} (the logged method,
 * path and query, headers, host, scheme, source address, mTLS peer and arrival time as the
 * request's time) and handed to the server's own {@link Authorizer}, whose {@link RequestMapper}
 * reads it and whose program decides, an `error` outcome answered with the failure status. Only
 * the caller comes from the record (its credential's kind and verified claims, and the peer), in
 * place of identity resolution, which needs the credential the record masked. The front class
 * `warden replay` drives.
 *
 * <p>What the record does not keep cannot be replayed as it was: a masked value reads as
 * `[masked]`; repeated query parameters were logged joined by `,` and come back as one value;
 * the query's order is the log's (sorted by name); the source port, the destination, the body,
 * the SNI and Envoy's context extensions were not logged and are absent. A decide API call of a
 * route by name is replayed as the method and path it was logged with.
 */
public final class Replayer {
  /** How long one replayed decision may take; the bundle's step budget bounds it first. */
  private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final Authorizer authorizer;

  /**
   * @param source where the program comes from, as its status would show it
   * @param failureStatus the sidecar's `authz.failure_status` (403, 500 or 503)
   */
  public Replayer(Program program, String source, int failureStatus) {
    Clock clock = Clock.systemUTC();
    ActiveBundle active = new ActiveBundle();
    active.activate(program, source, clock.instant());
    // Every call decided whole where it is asked: no heavy pool, so nothing is offloaded or counted.
    this.authorizer = new Authorizer(active, new RequestMapper(clock, null), new DecideRequestMapper(clock),
        new IdentityResolver(null, "x-api-key", "api_keys"), new DecisionIds(),
        new Deciding(null, DEADLINE_NANOS, new ServerMetrics()), failureStatus);
  }

  /**
   * The decision the program makes of the record's request, by the caller it states; the record
   * must have a request and state its caller ({@link #statesCaller}).
   */
  public Decision decide(DecisionLog r) {
    return authorizer.check(check(r), caller(r)).toCompletableFuture().join().decision();
  }

  /** The Check the record answered. */
  static CheckRequest check(DecisionLog r) {
    LoggedRequest q = r.getRequest();
    StringBuilder target = new StringBuilder(q.getPath());
    char sep = '?';
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(q.getQueryMap()).entrySet()) {
      target.append(sep).append(e.getKey()).append('=').append(e.getValue());
      sep = '&';
    }
    AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder().setMethod(q.getMethod())
        .setPath(target.toString()).putAllHeaders(q.getHeadersMap()).setHost(q.getHost()).setScheme(q.getScheme());
    AttributeContext.Request.Builder request = AttributeContext.Request.newBuilder().setHttp(http);
    if (r.hasTime()) {
      request.setTime(r.getTime());
    }
    AttributeContext.Peer.Builder source = AttributeContext.Peer.newBuilder().setPrincipal(q.getSourcePrincipal());
    if (!q.getSourceIp().isEmpty()) {
      source.setAddress(Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(q.getSourceIp())));
    }
    return CheckRequest.newBuilder()
        .setAttributes(AttributeContext.newBuilder().setRequest(request).setSource(source)).build();
  }

  /**
   * Whether the record states its caller fully: a caller with a credential needs the logged
   * claims (records written before they were logged have none).
   */
  public static boolean statesCaller(DecisionLog r) {
    String credential = r.getPrincipal().getCredential();
    return !(credential.equals("jwt") || credential.equals("api_key")) || r.getPrincipal().hasClaims();
  }

  /** The caller as the record states it; the peer is the mapped request's, as the live resolver takes it. */
  private static Authorizer.Callers caller(DecisionLog r) {
    LoggedPrincipal p = r.getPrincipal();
    Identity.Credential credential = switch (p.getCredential()) {
      case "api_key" -> Identity.Credential.API_KEY;
      case "jwt" -> Identity.Credential.JWT;
      default -> null;
    };
    Map<String, Object> claims = credential != null && p.hasClaims() ? StructClaims.of(p.getClaims()) : null;
    return (m, program) -> new IdentityResolver.Result(new Identity(claims, credential, m.sourcePrincipal()), null);
  }
}
