package dev.warden.server.authz;

import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.Deadline;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Outcome;
import dev.warden.policy.runtime.Request;
import dev.warden.proto.v1.DecideRequest;
import dev.warden.server.ActiveBundle;
import dev.warden.server.BundleSet;
import dev.warden.server.authz.DecisionRecord.Api;
import dev.warden.server.authz.DecisionRecord.Cause;
import dev.warden.server.identity.IdentityResolver;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way a call becomes a decision, for ext_authz and the decide API alike: read the
 * request, resolve the caller, let the active program decide ({@link Deciding}: on the calling
 * thread, or on the heavy pool for the few decisions that need more steps) and hand back a
 * {@link DecisionRecord}. Every path ends in a record, never in an exception: no policy loaded,
 * a request that cannot be read, credentials that do not verify, an overload, an internal error
 * (any exception, a stack overflow included) and the program's own `error` outcome are denials
 * with their {@link DecisionRecord.Cause}; an `error` outcome carries `authz.failure_status`.
 *
 * <p>The stage is complete when the method returns for nearly every call: it was decided on the
 * calling thread, with no hop and no waiting. A heavy decision completes it later, from the
 * heavy pool; if nothing has completed it within twice the decision deadline (a pool shut down
 * under it, say), it completes as an internal error, so that every call is answered, once.
 * Nothing here blocks.
 */
public final class Authorizer {
  private static final Logger log = LoggerFactory.getLogger(Authorizer.class);

  private final BundleSet bundles;
  private final RequestMapper requests;
  private final DecideRequestMapper decideRequests;
  private final Callers identities;
  private final DecisionIds ids;
  private final Deciding deciding;
  private final int failureStatus;
  private final Evaluation evaluation;
  private final Charging charging;

  /**
   * Charges an allow's quotas ({@link Decision#charges}) and answers with the decision that stands
   * ({@link Decision#withQuotas}): the sidecar's local buckets and Redis. Called only for a decision
   * with charges; never blocks; the stage it returns always completes.
   */
  @FunctionalInterface
  public interface Charging {
    CompletionStage<Decision> charge(Decision allowed);

    /** Charges nothing: the decision stands as the program made it (`warden replay`). */
    Charging NONE = CompletableFuture::completedFuture;
  }

  /**
   * How the program decides one request: {@link Program#tryDecide}. A seam for tests, which
   * simulate here the defects that the checker keeps out of real programs.
   */
  @FunctionalInterface
  interface Evaluation {
    /** The decision, or null when {@code steps} were not enough. */
    Decision tryDecide(Program program, Program.RouteCall call, Request request, int steps, Deadline deadline);
  }

  /**
   * @param failureStatus the status of a denial caused by an error inside Warden (403, 500 or
   *     503: `authz.failure_status`)
   */
  public Authorizer(BundleSet bundles, RequestMapper requests, DecideRequestMapper decideRequests,
      IdentityResolver identities, DecisionIds ids, Deciding deciding, int failureStatus) {
    this(bundles, requests, decideRequests, identities, ids, deciding, failureStatus, Authorizer::tryDecide);
  }

  /** An authorizer of one bundle. */
  public Authorizer(ActiveBundle bundle, RequestMapper requests, DecideRequestMapper decideRequests,
      IdentityResolver identities, DecisionIds ids, Deciding deciding, int failureStatus) {
    this(BundleSet.of(bundle), requests, decideRequests, identities, ids, deciding, failureStatus,
        Authorizer::tryDecide);
  }

  Authorizer(ActiveBundle bundle, RequestMapper requests, DecideRequestMapper decideRequests,
      IdentityResolver identities, DecisionIds ids, Deciding deciding, int failureStatus, Evaluation evaluation) {
    this(BundleSet.of(bundle), requests, decideRequests, identities, ids, deciding, failureStatus, evaluation);
  }

  /**
   * With several bundles, each request is decided by the one whose routes it goes to
   * ({@link BundleSet.View#select}), after it is mapped and before its caller is resolved: the
   * identity comes from that bundle's principal and data.
   */
  Authorizer(BundleSet bundles, RequestMapper requests, DecideRequestMapper decideRequests,
      IdentityResolver identities, DecisionIds ids, Deciding deciding, int failureStatus, Evaluation evaluation) {
    this.bundles = bundles;
    this.requests = requests;
    this.decideRequests = decideRequests;
    this.identities = identities::resolve;
    this.ids = ids;
    this.deciding = deciding;
    this.failureStatus = failureStatus;
    this.evaluation = evaluation;
    this.charging = Charging.NONE;
  }

  private Authorizer(Authorizer a, Charging charging) {
    this.bundles = a.bundles;
    this.requests = a.requests;
    this.decideRequests = a.decideRequests;
    this.identities = a.identities;
    this.ids = a.ids;
    this.deciding = a.deciding;
    this.failureStatus = a.failureStatus;
    this.evaluation = a.evaluation;
    this.charging = charging;
  }

  /** This authorizer, charging the quotas of the requests it allows with {@code charging}. */
  public Authorizer withCharging(Charging charging) {
    return new Authorizer(this, java.util.Objects.requireNonNull(charging, "charging"));
  }

  /** The status of a denial caused by an error inside Warden. */
  public int failureStatus() {
    return failureStatus;
  }

  /**
   * Who the caller of a mapped request is: {@link IdentityResolver#resolve} for a live call;
   * `warden replay` reads it from the decision record instead, whose credential was masked.
   */
  @FunctionalInterface
  public interface Callers {
    IdentityResolver.Result resolve(MappedRequest request, Program program);
  }

  /** Decides Envoy's Check: maps the request, resolves the caller, decides. */
  public CompletionStage<DecisionRecord> check(CheckRequest check) {
    return check(check, identities);
  }

  /**
   * {@link #check(CheckRequest)} with the caller resolved by {@code callers}: everything else (the
   * mapping, the choice of bundle, staleness, deciding, the status of an error) is the live path's,
   * which is what lets `warden replay` promise the decision the sidecar would make.
   */
  public CompletionStage<DecisionRecord> check(CheckRequest check, Callers callers) {
    long arrived = System.nanoTime();
    String id = ids.next();
    Request request = null;
    try {
      BundleSet.View view = bundles.view();
      if (view.empty()) {
        return done(noPolicy(Api.EXT_AUTHZ, id, arrived));
      }
      MappedRequest m;
      try {
        m = requests.map(check);
      } catch (RequestMapper.BadCheckRequest e) {
        return done(refused(Api.EXT_AUTHZ, id, arrived, null, Cause.BAD_REQUEST, Outcome.BAD_REQUEST, 400,
            "bad request", e.getMessage(), view.first().revision()));
      }
      ActiveBundle.Snapshot active = view.select(m.request());
      Program program = active.program();
      if (active.refusesAsStale()) {
        return done(stale(Api.EXT_AUTHZ, id, arrived, active));
      }
      IdentityResolver.Result who = callers.resolve(m, program);
      if (who.error() != null) {
        return done(refused(Api.EXT_AUTHZ, id, arrived, m.request(), Cause.BAD_CREDENTIALS, Outcome.UNAUTHENTICATED,
            401, "invalid credentials", who.error(), program.revision()));
      }
      request = m.withIdentity(who.identity());
      return decide(Api.EXT_AUTHZ, id, arrived, program, null, request);
    } catch (RuntimeException | StackOverflowError e) {
      return done(internalError(Api.EXT_AUTHZ, id, arrived, request, e));
    }
  }

  /** Decides a call of the decide API: reads its target and parameters, decides. */
  public CompletionStage<DecisionRecord> decide(DecideRequest in) {
    long arrived = System.nanoTime();
    String id = ids.next();
    Request request = null;
    try {
      BundleSet.View view = bundles.view();
      if (view.empty()) {
        return done(noPolicy(Api.DECIDE, id, arrived));
      }
      // A route call is decided by the bundle that declares the route; an HTTP target, once read,
      // by the one whose routes its path goes to.
      boolean byRoute = in.getTargetCase() == DecideRequest.TargetCase.ROUTE;
      ActiveBundle.Snapshot active = byRoute ? view.selectRoute(in.getRoute().getName()) : view.first();
      DecideRequestMapper.Mapped m;
      try {
        m = decideRequests.map(active.program(), in);
      } catch (IllegalArgumentException e) {
        // The message names what is wrong with the caller's own input: the decide API returns it.
        return done(refused(Api.DECIDE, id, arrived, null, Cause.BAD_REQUEST, Outcome.BAD_REQUEST, 400,
            "bad request", e.getMessage(), active.revision()));
      }
      if (!byRoute) {
        active = view.select(m.request());
      }
      Program program = active.program();
      if (active.refusesAsStale()) {
        return done(stale(Api.DECIDE, id, arrived, active));
      }
      request = m.request();
      return decide(Api.DECIDE, id, arrived, program, m.call(), request);
    } catch (RuntimeException | StackOverflowError e) {
      return done(internalError(Api.DECIDE, id, arrived, request, e));
    }
  }

  /**
   * The record of a call whose stage failed or that could not be answered from its record: an
   * internal error under a new decision id. Only the services' last line of defence calls this.
   */
  public DecisionRecord lost(Api api, Throwable e) {
    return internalError(api, ids.next(), System.nanoTime(), null, e);
  }

  /** The record of an internal error met while answering {@code r}: same id, request and timings. */
  public DecisionRecord failed(DecisionRecord r, Throwable e) {
    return refused(r.api(), r.id(), r.arrivedNanos(), r.request(), Cause.INTERNAL, Outcome.ERROR, failureStatus,
        "internal error", "internal error: " + e, r.decision().revision(), e);
  }

  private CompletionStage<DecisionRecord> decide(Api api, String id, long arrived, Program program,
      Program.RouteCall call, Request request) {
    Call pending = new Call(arrived + deciding.deadlineNanos());
    Decision first = evaluation.tryDecide(program, call, request, deciding.firstTrySteps(), pending);
    if (first != null) {
      answer(pending, api, id, arrived, request, first, false);
      return pending;
    }
    boolean queued = deciding.offload(() -> {
      DecisionRecord r;
      try {
        Decision whole = evaluation.tryDecide(program, call, request, Deciding.WHOLE, pending);
        if (whole != null && !whole.charges().isEmpty()) {
          answer(pending, api, id, arrived, request, whole, true);
          return;
        }
        r = whole != null ? decided(api, id, arrived, request, whole, true)
            : internalError(api, id, arrived, request, new IllegalStateException("no decision with the whole budget"));
      } catch (RuntimeException | StackOverflowError e) {
        r = internalError(api, id, arrived, request, e);
      }
      if (!pending.complete(r)) {
        log.warn("decision {}: decided on the heavy pool after it was answered as an internal error", id);
      }
    });
    if (!queued) {
      return done(refused(api, id, arrived, request, Cause.OVERLOADED, Outcome.ERROR, failureStatus, "overloaded",
          "the queue of heavy decisions is full", program.revision()));
    }
    // A bound on the wait, in case nothing ever completes it: the decision's own deadline ends
    // a decision that runs, so this fires only for one that never ran.
    long bound = Math.max(2 * deciding.deadlineNanos() - (System.nanoTime() - arrived), 0);
    return pending.orTimeout(bound, TimeUnit.NANOSECONDS).exceptionally(e -> internalError(api, id, arrived, request,
        e instanceof TimeoutException ? new TimeoutException("no decision within twice `authz.decision_deadline` ("
            + TimeUnit.NANOSECONDS.toMillis(2 * deciding.deadlineNanos()) + " ms)") : e));
  }

  /**
   * Completes {@code pending} with the record of {@code d}: at once, or, for an allow with quotas
   * to charge, when they have answered (an internal error should charging fail).
   */
  private void answer(Call pending, Api api, String id, long arrived, Request request, Decision d, boolean heavy) {
    if (d.charges().isEmpty()) {
      pending.complete(decided(api, id, arrived, request, d, heavy));
      return;
    }
    CompletionStage<Decision> charged;
    try {
      charged = charging.charge(d);
    } catch (RuntimeException e) {
      pending.complete(internalError(api, id, arrived, request, e));
      return;
    }
    charged.whenComplete((c, e) -> pending.complete(e == null && c != null ? decided(api, id, arrived, request, c, heavy)
        : internalError(api, id, arrived, request, e != null ? e : new IllegalStateException("no quota answer"))));
  }

  /**
   * One call being decided: its deadline, counted from its arrival, and the stage of its record.
   * One object is both, so that a call decided at once costs nothing beyond it and its record.
   */
  private static final class Call extends CompletableFuture<DecisionRecord> implements Deadline {
    private final long end;

    Call(long end) {
      this.end = end;
    }

    @Override
    public boolean passed() {
      return System.nanoTime() - end > 0;
    }
  }

  private static Decision tryDecide(Program program, Program.RouteCall call, Request request, int steps,
      Deadline deadline) {
    return call != null ? program.tryDecide(call, request, steps, deadline)
        : program.tryDecide(request, steps, deadline);
  }

  /**
   * The program's decision as a record. Its own `error` outcome (a defect inside evaluation) is
   * answered with `authz.failure_status`, as every internal error is; everything else it said
   * (errors, rules, route) is kept.
   */
  private DecisionRecord decided(Api api, String id, long arrived, Request request, Decision d, boolean heavy) {
    Decision answered = d;
    if (d.outcome() == Outcome.ERROR && d.status() != failureStatus) {
      answered = new Decision(Outcome.ERROR, failureStatus, d.reason(), d::explanation, d.rules(), d.route(),
          d.revision(), d.obligations(), d.errors());
    }
    return new DecisionRecord(id, api, answered, Cause.POLICY, request, arrived, System.nanoTime(), heavy, null);
  }

  private DecisionRecord noPolicy(Api api, String id, long arrived) {
    return refused(api, id, arrived, null, Cause.NO_POLICY, Outcome.ERROR, failureStatus, "no policy is loaded",
        "no bundle is active", null);
  }

  /** Fail closed on a bundle too old to trust (`reload.stale_action: deny`): the reason is public, the why is logged. */
  private DecisionRecord stale(Api api, String id, long arrived, ActiveBundle.Snapshot active) {
    return refused(api, id, arrived, null, Cause.STALE_POLICY, Outcome.ERROR, failureStatus, "policy is stale",
        active.stale(), active.revision());
  }

  private DecisionRecord internalError(Api api, String id, long arrived, Request request, Throwable e) {
    return refused(api, id, arrived, request, Cause.INTERNAL, Outcome.ERROR, failureStatus, "internal error",
        "internal error: " + e, revision(), e);
  }

  private static DecisionRecord refused(Api api, String id, long arrived, Request request, Cause cause,
      Outcome outcome, int status, String reason, String explanation, String revision) {
    return refused(api, id, arrived, request, cause, outcome, status, reason, explanation, revision, null);
  }

  private static DecisionRecord refused(Api api, String id, long arrived, Request request, Cause cause,
      Outcome outcome, int status, String reason, String explanation, String revision, Throwable failure) {
    return new DecisionRecord(id, api, Decision.refused(outcome, status, reason, explanation, revision), cause,
        request, arrived, System.nanoTime(), false, failure);
  }

  /** The first bundle's active revision, for records made without the program at hand; null with none active. */
  private String revision() {
    ActiveBundle.Snapshot first = bundles.view().first();
    return first == null ? null : first.revision();
  }

  private static CompletionStage<DecisionRecord> done(DecisionRecord r) {
    return CompletableFuture.completedFuture(r);
  }
}
