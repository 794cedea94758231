package dev.warden.server.authz;

import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.EvalError;
import dev.warden.policy.runtime.Printable;
import dev.warden.server.admin.ServerMetrics;
import dev.warden.server.authz.DecisionRecord.Cause;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the exit of each API does with a decision once it has answered: counts it
 * (`warden_decisions_total` by API, result, outcome and status, `warden_route_decisions_total`
 * by route and outcome, the latency, the evaluation errors by kind, internal errors and
 * overloads), logs it in one line (with the key-value `decision_id`, which JSON logs show as a
 * field), and offers it to the {@link DecisionSink}s. One per API; its service calls {@link #answered} exactly once per call.
 *
 * <p>The line's level says who should look: ERROR for an internal error (with the stack trace),
 * WARN for an overload, INFO for a denial caused by bad input (a request that cannot be read,
 * credentials that do not verify), no policy, or a decision with evaluation errors other than
 * an anonymous caller's (a permit that overflowed, a budget reached), and DEBUG for every other
 * decision: those the program refuses with 400 are what scanners send by the thousand. Nothing is
 * formatted for a level that is off.
 */
public final class DecisionRecorder {
  private static final Logger log = LoggerFactory.getLogger(DecisionRecorder.class);

  private final ServerMetrics metrics;
  private final ServerMetrics.Decisions decisions;
  private final DecisionSink[] sinks;
  /** Shadow bundles, or null when none is configured. */
  private final ShadowBundles shadows;

  /**
   * @param shadows the shadow bundles, decided once the answer is out; null or empty for none
   */
  public DecisionRecorder(DecisionRecord.Api api, ServerMetrics metrics, List<DecisionSink> sinks,
      ShadowBundles shadows) {
    this.metrics = metrics;
    this.decisions = metrics.decisions(api.label());
    this.sinks = sinks.toArray(new DecisionSink[0]);
    this.shadows = shadows == null || shadows.isEmpty() ? null : shadows;
  }

  public DecisionRecorder(DecisionRecord.Api api, ServerMetrics metrics, List<DecisionSink> sinks) {
    this(api, metrics, sinks, null);
  }

  /** A recorder without sinks. */
  public DecisionRecorder(DecisionRecord.Api api, ServerMetrics metrics) {
    this(api, metrics, List.of());
  }

  /**
   * Counts, logs and offers one call's decision, answered at {@code answeredNanos}
   * ({@link System#nanoTime()}).
   */
  public void answered(DecisionRecord r, long answeredNanos) {
    Decision d = r.decision();
    decisions.decided(d.outcome(), d.status(), d.route(), answeredNanos - r.arrivedNanos());
    List<EvalError> errors = d.errors();
    boolean serious = false;
    for (int i = 0; i < errors.size(); i++) {
      EvalError.Kind kind = errors.get(i).kind();
      metrics.evaluationError(kind);
      serious |= kind != EvalError.Kind.ANONYMOUS;
    }
    if (r.internalError()) {
      metrics.internalError();
    } else if (r.cause() == Cause.OVERLOADED) {
      metrics.overloaded();
    }
    if (d.shadow() != null) {
      metrics.shadowDecision("rules", "", d.shadowChanges());
    }
    if (shadows != null) {
      try {
        r = shadows.evaluate(r);
      } catch (RuntimeException | StackOverflowError e) {
        log.warn("decision {}: shadow bundles could not decide", r.id(), e);
      }
      for (DecisionRecord.ShadowDecision s : r.shadowBundles()) {
        metrics.shadowDecision("bundle", s.bundle(), s.changed());
      }
    }
    log(r, serious);
    for (DecisionSink sink : sinks) {
      try {
        sink.offer(r);
      } catch (RuntimeException e) {
        log.warn("decision {}: a decision sink failed", r.id(), e);
      }
    }
  }

  private static void log(DecisionRecord r, boolean seriousErrors) {
    if (r.internalError()) {
      if (log.isErrorEnabled()) {
        log.atError().addKeyValue("decision_id", r.id()).setCause(r.failure()).log(line(r));
      }
    } else if (r.cause() == Cause.OVERLOADED) {
      if (log.isWarnEnabled()) {
        log.atWarn().addKeyValue("decision_id", r.id()).log(line(r));
      }
    } else if (r.cause() != Cause.POLICY || seriousErrors) {
      if (log.isInfoEnabled()) {
        log.atInfo().addKeyValue("decision_id", r.id()).log(line(r));
      }
    } else if (log.isDebugEnabled()) {
      log.atDebug().addKeyValue("decision_id", r.id()).log(line(r));
    }
  }

  /**
   * `decision ID: API allow|deny STATUS OUTCOME METHOD ROUTE: EXPLANATION; errors: …`, with `-`
   * for what is unknown. The method is escaped; explanations and refusal reasons escape the
   * client text they quote themselves.
   */
  static String line(DecisionRecord r) {
    Decision d = r.decision();
    StringBuilder s = new StringBuilder(128).append("decision ").append(r.id()).append(": ")
        .append(r.api().label()).append(' ').append(d.allowed() ? "allow" : "deny").append(' ').append(d.status())
        .append(' ').append(d.outcome().label()).append(' ')
        .append(r.request() == null ? "-" : Printable.of(r.request().method())).append(' ')
        .append(d.route() == null ? "-" : d.route());
    if (r.heavy()) {
      s.append(" (heavy pool)");
    }
    s.append(": ").append(d.explanation());
    if (!d.errors().isEmpty()) {
      s.append("; errors: ");
      for (int i = 0; i < d.errors().size(); i++) {
        s.append(i == 0 ? "" : "; ").append(d.errors().get(i));
      }
    }
    return s.toString();
  }
}
