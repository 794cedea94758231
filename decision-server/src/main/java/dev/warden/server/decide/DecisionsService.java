package dev.warden.server.decide;

import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.IpAddress;
import dev.warden.policy.runtime.HttpTokens;
import dev.warden.policy.runtime.Printable;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.runtime.RuleRef;
import dev.warden.proto.v1.DecideRequest;
import dev.warden.proto.v1.DecideResponse;
import dev.warden.proto.v1.DecisionsGrpc;
import dev.warden.proto.v1.Rule;
import dev.warden.server.ActiveBundle;
import dev.warden.server.admin.ServerMetrics;
import dev.warden.server.authz.DecisionIds;
import dev.warden.server.authz.Deciding;
import dev.warden.server.authz.RequestMapper;
import dev.warden.server.authz.StructClaims;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * `warden.v1.Decisions/Decide`: the same decision as ext_authz, asked by an application about a
 * caller, an HTTP request or a route by name. The claims are the application's word, as the
 * jwt_authn payload is Envoy's: serve this only where ext_authz is served.
 */
public final class DecisionsService extends DecisionsGrpc.DecisionsImplBase {
  private static final Logger log = LoggerFactory.getLogger(DecisionsService.class);

  private final ActiveBundle bundle;
  private final ServerMetrics metrics;
  private final DecisionIds ids;
  private final Deciding deciding;
  private final Clock clock;

  public DecisionsService(ActiveBundle bundle, ServerMetrics metrics, DecisionIds ids, Deciding deciding, Clock clock) {
    this.bundle = bundle;
    this.metrics = metrics;
    this.ids = ids;
    this.deciding = deciding;
    this.clock = clock;
  }

  @Override
  public void decide(DecideRequest request, StreamObserver<DecideResponse> observer) {
    long start = System.nanoTime();
    String id = ids.next();
    Program program = bundle.snapshot().program();
    if (program == null) {
      observer.onError(Status.UNAVAILABLE.withDescription("no policy is loaded").asRuntimeException());
      return;
    }
    Request r;
    Program.RouteCall call = null;
    try {
      if (request.getTargetCase() == DecideRequest.TargetCase.ROUTE) {
        call = program.bind(request.getRoute().getName(), request.getRoute().getParamsMap());
      }
      r = request(request, call);
    } catch (IllegalArgumentException e) {
      observer.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return;
    } catch (RuntimeException e) {
      log.error("decision {}: internal error reading the request", id, e);
      metrics.internalError();
      observer.onError(Status.INTERNAL.withDescription("internal error, decision " + id).asRuntimeException());
      return;
    }
    Program.RouteCall bound = call;
    Deciding.Attempt attempt = bound != null
        ? (steps, deadline) -> program.tryDecide(bound, r, steps, deadline)
        : (steps, deadline) -> program.tryDecide(r, steps, deadline);
    deciding.decide(attempt, start, new Deciding.Outcome() {
      @Override
      public void decided(Decision d) {
        metrics.decided(d.allowed(), d.status(), System.nanoTime() - start);
        observer.onNext(response(d, id, request.getExplain()));
        observer.onCompleted();
      }

      @Override
      public void overloaded() {
        log.warn("decision {}: refused: the queue of heavy decisions is full", id);
        observer.onError(Status.RESOURCE_EXHAUSTED.withDescription("overloaded, decision " + id).asRuntimeException());
      }

      @Override
      public void failed(RuntimeException e) {
        log.error("decision {}: internal error", id, e);
        metrics.internalError();
        observer.onError(Status.INTERNAL.withDescription("internal error, decision " + id).asRuntimeException());
      }
    });
  }

  private static DecideResponse response(Decision d, String id, boolean explain) {
    DecideResponse.Builder out = DecideResponse.newBuilder()
        .setAllowed(d.allowed()).setStatus(d.status()).setReason(d.reason()).setRevision(d.revision())
        .setDecisionId(id);
    if (d.route() != null) {
      out.setRoute(d.route());
    }
    if (explain) {
      out.setExplanation(d.explanation());
    }
    for (RuleRef ref : d.rules()) {
      out.addRules(Rule.newBuilder().setId(ref.id()).setKind(ref.kind()).setLocation(ref.location()));
    }
    return out.build();
  }

  /**
   * The request to decide on. An HTTP target is read as the sidecar reads Envoy's request (the
   * program canonicalizes its method, path and query); a route call names its route, whose
   * method and canonical path the request then carries.
   */
  private Request request(DecideRequest in, Program.RouteCall call) {
    String method;
    String path;
    switch (in.getTargetCase()) {
      case HTTP -> {
        method = in.getHttp().getMethod();
        path = in.getHttp().getPath();
        if (method.isEmpty() || path.isEmpty()) {
          throw new IllegalArgumentException("http target needs a method and a path");
        }
      }
      case ROUTE -> {
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
    return Request.builder(method, path, time)
        .headers(headers)
        .source(source, 0, peer)
        .identity(new Identity(claims, peer))
        .build();
  }
}
