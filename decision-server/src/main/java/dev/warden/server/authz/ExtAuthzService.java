package dev.warden.server.authz;

import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Request;
import dev.warden.server.ActiveBundle;
import dev.warden.server.admin.ServerMetrics;
import dev.warden.server.identity.IdentityResolver;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envoy's `envoy.service.auth.v3.Authorization/Check`. Maps the request, resolves the caller,
 * lets the active program decide, maps the decision back. Never blocks and never throws to the
 * client: anything unexpected is a denial with a generic reason and a decision id, and the
 * details go to the log under that id.
 */
public final class ExtAuthzService extends AuthorizationGrpc.AuthorizationImplBase {
  private static final Logger log = LoggerFactory.getLogger(ExtAuthzService.class);

  private final ActiveBundle bundle;
  private final RequestMapper requests;
  private final IdentityResolver identities;
  private final ResponseMapper responses;
  private final ServerMetrics metrics;
  private final DecisionIds ids;
  private final int failureStatus;

  /** @param failureStatus the status of a denial caused by an internal error (403 or 5xx) */
  public ExtAuthzService(ActiveBundle bundle, RequestMapper requests, IdentityResolver identities,
      ResponseMapper responses, ServerMetrics metrics, DecisionIds ids, int failureStatus) {
    this.bundle = bundle;
    this.requests = requests;
    this.identities = identities;
    this.responses = responses;
    this.metrics = metrics;
    this.ids = ids;
    this.failureStatus = failureStatus;
  }

  @Override
  public void check(CheckRequest request, StreamObserver<CheckResponse> observer) {
    long start = System.nanoTime();
    String id = ids.next();
    CheckResponse response;
    int status;
    boolean allowed = false;
    try {
      Program program = bundle.snapshot().program();
      if (program == null) {
        status = failureStatus;
        response = responses.denied(status, "no policy is loaded", id);
      } else {
        MappedRequest m = requests.map(request);
        IdentityResolver.Result who = identities.resolve(m, program);
        if (who.error() != null) {
          log.info("decision {}: 401: {}", id, who.error());
          status = 401;
          response = responses.denied(401, "invalid credentials", id);
        } else {
          Request r = m.withIdentity(who.identity());
          Decision d = program.decide(r);
          if (log.isDebugEnabled()) {
            log.debug("decision {}: {} {} {} {}: {}", id, d.allowed() ? "allow" : "deny", d.status(),
                r.method(), d.route(), d.explanation());
          }
          status = d.status();
          allowed = d.allowed();
          response = responses.toResponse(d, id, m.headers());
        }
      }
    } catch (RequestMapper.BadCheckRequest e) {
      log.info("decision {}: 400: {}", id, e.getMessage());
      status = 400;
      response = responses.denied(400, "bad request", id);
    } catch (RuntimeException | StackOverflowError e) {
      log.error("decision {}: internal error, denied", id, e);
      metrics.internalError();
      status = failureStatus;
      response = responses.denied(status, "internal error", id);
    }
    metrics.decided(allowed, status, System.nanoTime() - start);
    observer.onNext(response);
    observer.onCompleted();
  }

}
