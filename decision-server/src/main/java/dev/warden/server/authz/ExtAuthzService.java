package dev.warden.server.authz;

import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Printable;
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
 * lets the active program decide ({@link Deciding}: on the transport thread, or on the heavy pool
 * for the few decisions that need more steps), maps the decision back. Never blocks and never
 * throws to the client: anything unexpected is a denial with a generic reason and a decision id,
 * and the details go to the log under that id.
 */
public final class ExtAuthzService extends AuthorizationGrpc.AuthorizationImplBase {
  private static final Logger log = LoggerFactory.getLogger(ExtAuthzService.class);

  private final ActiveBundle bundle;
  private final RequestMapper requests;
  private final IdentityResolver identities;
  private final ResponseMapper responses;
  private final ServerMetrics metrics;
  private final DecisionIds ids;
  private final Deciding deciding;
  private final int failureStatus;

  /** @param failureStatus the status of a denial caused by an internal error (403 or 5xx) */
  public ExtAuthzService(ActiveBundle bundle, RequestMapper requests, IdentityResolver identities,
      ResponseMapper responses, ServerMetrics metrics, DecisionIds ids, Deciding deciding, int failureStatus) {
    this.bundle = bundle;
    this.requests = requests;
    this.identities = identities;
    this.responses = responses;
    this.metrics = metrics;
    this.ids = ids;
    this.deciding = deciding;
    this.failureStatus = failureStatus;
  }

  @Override
  public void check(CheckRequest request, StreamObserver<CheckResponse> observer) {
    long start = System.nanoTime();
    String id = ids.next();
    try {
      Program program = bundle.snapshot().program();
      if (program == null) {
        respond(observer, start, false, failureStatus, responses.denied(failureStatus, "no policy is loaded", id));
        return;
      }
      MappedRequest m = requests.map(request);
      IdentityResolver.Result who = identities.resolve(m, program);
      if (who.error() != null) {
        log.info("decision {}: 401: {}", id, who.error());
        respond(observer, start, false, 401, responses.denied(401, "invalid credentials", id));
        return;
      }
      Request r = m.withIdentity(who.identity());
      deciding.decide((steps, deadline) -> program.tryDecide(r, steps, deadline), start, new Deciding.Outcome() {
        @Override
        public void decided(Decision d) {
          if (log.isDebugEnabled()) {
            log.debug("decision {}: {} {} {} {}: {}", id, d.allowed() ? "allow" : "deny", d.status(),
                Printable.of(r.method()), d.route(), d.explanation());
          }
          respond(observer, start, d.allowed(), d.status(), responses.toResponse(d, id, m.headers()));
        }

        @Override
        public void overloaded() {
          log.warn("decision {}: denied: the queue of heavy decisions is full", id);
          respond(observer, start, false, failureStatus, responses.denied(failureStatus, "overloaded", id));
        }

        @Override
        public void failed(RuntimeException e) {
          internalError(observer, start, id, e);
        }
      });
    } catch (RequestMapper.BadCheckRequest e) {
      log.info("decision {}: 400: {}", id, e.getMessage());
      respond(observer, start, false, 400, responses.denied(400, "bad request", id));
    } catch (RuntimeException | StackOverflowError e) {
      internalError(observer, start, id, e);
    }
  }

  private void internalError(StreamObserver<CheckResponse> observer, long start, String id, Throwable e) {
    log.error("decision {}: internal error, denied", id, e);
    metrics.internalError();
    respond(observer, start, false, failureStatus, responses.denied(failureStatus, "internal error", id));
  }

  private void respond(StreamObserver<CheckResponse> observer, long start, boolean allowed, int status,
      CheckResponse response) {
    metrics.decided(allowed, status, System.nanoTime() - start);
    observer.onNext(response);
    observer.onCompleted();
  }
}
