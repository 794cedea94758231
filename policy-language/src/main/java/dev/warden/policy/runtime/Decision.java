package dev.warden.policy.runtime;

import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The answer to one request. Immutable. The explanation is built only when someone reads it
 * (tests, `warden eval --explain`, debug logs), so that deciding allocates no text on the hot
 * path.
 */
public final class Decision {
  private final Outcome outcome;
  private final boolean allowed;
  private final int status;
  private final String reason;
  private final Supplier<String> explain;
  private final List<RuleRef> rules;
  private final String route;
  private final String revision;
  private final Obligations obligations;
  private final List<EvalError> errors;
  /** The would-be decision with the route's shadow rules enforced, or null when none covers it. */
  private final Decision shadow;
  /** Why the request does not match its route's schema (outcome SCHEMA); empty otherwise. */
  private final List<dev.warden.policy.runtime.Violation> violations;
  /** On allow: what the route's quotas ask of the request, before they are charged; empty otherwise. */
  private final List<QuotaCharge> charges;
  /** What the quotas answered, once charged ({@link #withQuotas}); empty before and without quotas. */
  private final List<QuotaResult> quotas;
  // Benign race: two threads may both build the same immutable string.
  private String explanation;

  /**
   * @param outcome what kind of answer this is; it says whether the request is allowed
   * @param status the HTTP status for the client: 200 on allow; 400, 401, 403, 404, 410 on deny
   * @param reason a short public reason, safe to show the caller (no internals)
   * @param explain builds the explanation on demand
   * @param rules the rules that decided, most decisive first
   * @param route the matched route's qualified name, or null when none matched
   * @param revision the revision of the bundle that decided
   * @param obligations headers to set or strip
   * @param errors the evaluation errors met while deciding, in evaluation order
   */
  public Decision(Outcome outcome, int status, String reason, Supplier<String> explain, List<RuleRef> rules,
      String route, String revision, Obligations obligations, List<EvalError> errors) {
    this.outcome = Objects.requireNonNull(outcome, "outcome");
    this.allowed = outcome.allowed();
    this.status = status;
    this.reason = Objects.requireNonNull(reason, "reason");
    this.explain = Objects.requireNonNull(explain, "explain");
    this.rules = List.copyOf(rules);
    this.route = route;
    this.revision = revision;
    this.obligations = obligations == null ? Obligations.NONE : obligations;
    this.errors = List.copyOf(errors);
    this.shadow = null;
    this.violations = List.of();
    this.charges = List.of();
    this.quotas = List.of();
  }

  private Decision(Decision d, Decision shadow, List<dev.warden.policy.runtime.Violation> violations) {
    this(d, shadow, violations, d.charges, d.quotas);
  }

  private Decision(Decision d, Decision shadow, List<dev.warden.policy.runtime.Violation> violations,
      List<QuotaCharge> charges, List<QuotaResult> quotas) {
    this.outcome = d.outcome;
    this.allowed = d.allowed;
    this.status = d.status;
    this.reason = d.reason;
    this.explain = d.explain;
    this.rules = d.rules;
    this.route = d.route;
    this.revision = d.revision;
    this.obligations = d.obligations;
    this.errors = d.errors;
    this.shadow = shadow;
    this.violations = List.copyOf(violations);
    this.charges = List.copyOf(charges);
    this.quotas = List.copyOf(quotas);
  }

  /** This allow, with what the route's quotas ask of it: charged by whoever runs the program ({@link #withQuotas}). */
  public Decision withCharges(List<QuotaCharge> asked) {
    if (!allowed && !asked.isEmpty()) {
      throw new IllegalArgumentException("only an allowed request is charged");
    }
    return new Decision(this, shadow, violations, asked, quotas);
  }

  /**
   * What the route's quotas ask of this request, before they are charged: empty for a denial (a
   * denied request spends no quota), for a route without quotas, and once {@link #withQuotas} has
   * answered them.
   */
  public List<QuotaCharge> charges() {
    return charges;
  }

  /** What the quotas answered, in the order of the charges; empty when none was charged. */
  public List<QuotaResult> quotas() {
    return quotas;
  }

  /**
   * The decision once its charges are answered: a 429 (`quota`) when an enforced quota refused,
   * listing the quotas that refused as its rules and carrying `retry-after` and the quota fields
   * in {@code style} as response headers; else this allow, with the quota fields added to its
   * response headers when {@code remainingOnAllow}. Shadow quotas never refuse; their answers are
   * kept, for the log and the metrics.
   */
  public Decision withQuotas(List<QuotaResult> results, RateLimitHeaders.Style style, boolean remainingOnAllow) {
    if (results.size() != charges.size()) {
      throw new IllegalArgumentException(results.size() + " quota answers for " + charges.size() + " charges");
    }
    List<RuleRef> refusing = new java.util.ArrayList<>(1);
    List<QuotaResult> refused = new java.util.ArrayList<>(1);
    for (QuotaResult r : results) {
      if (r.refuses()) {
        refusing.add(r.quota().ref());
        refused.add(r);
      }
    }
    if (refusing.isEmpty()) {
      Obligations o = obligations;
      if (remainingOnAllow) {
        List<Obligations.Header> added = RateLimitHeaders.of(results, style, false);
        if (!added.isEmpty()) {
          List<Obligations.Header> response = new java.util.ArrayList<>(o.responseHeaders());
          response.addAll(added);
          o = new Obligations(o.upstreamHeaders(), o.removeUpstreamHeaders(), o.removeUpstreamPatterns(),
              o.removeQueryParameters(), response);
        }
      }
      Decision allowedOne = new Decision(outcome, status, reason, explain, rules, route, revision, o, errors);
      return new Decision(allowedOne, shadow, violations, List.of(), results);
    }
    Obligations headers = new Obligations(List.of(), List.of(), List.of(), List.of(),
        RateLimitHeaders.of(results, style, true));
    Supplier<String> why = () -> {
      StringBuilder b = new StringBuilder();
      for (QuotaResult r : refused) {
        b.append(b.isEmpty() ? "" : "; ").append("quota `").append(r.quota().id()).append("` (")
            .append(r.quota().ref().location()).append(") refused: the request costs ").append(r.charge().cost())
            .append(r.charge().cost() == 1 ? " token" : " tokens").append(", ").append(r.remaining())
            .append(" left");
        b.append(r.retryAfterNanos() == Long.MAX_VALUE ? ", more than the bucket holds (burst "
            + r.quota().burst() + ")" : ", admitted again in " + java.time.Duration.ofNanos(r.retryAfterNanos()));
      }
      return b.toString();
    };
    Decision limited = new Decision(Outcome.QUOTA, 429, "rate limit exceeded", why, refusing, route, revision, headers,
        errors);
    return new Decision(limited, shadow, List.of(), List.of(), results);
  }

  /** This decision, with {@code shadow} as what it would have been had the shadow rules been enforced. */
  public Decision withShadow(Decision shadow) {
    if (shadow != null && shadow.shadow != null) {
      throw new IllegalArgumentException("a would-be decision has no would-be decision of its own");
    }
    return new Decision(this, shadow, violations);
  }

  /** This decision, listing why the request does not match its route's schema. */
  public Decision withViolations(List<dev.warden.policy.runtime.Violation> found) {
    return new Decision(this, shadow, found);
  }

  /**
   * The field paths and problems of a request that does not match its route's schema (outcome
   * {@link Outcome#SCHEMA}), at most {@link dev.warden.policy.schema.RouteSchema#MAX_VIOLATIONS};
   * empty for any other decision. Never the values.
   */
  public List<dev.warden.policy.runtime.Violation> violations() {
    return violations;
  }

  /**
   * What the decision would have been with the route's `shadow` rules enforced beside the others,
   * or null when no shadow rule covers the route (or the request was refused before its rules:
   * a request that cannot be read, an invalid identity, no route, a route not yet or no longer
   * served). Never enforced: the sidecar logs and counts it.
   */
  public Decision shadow() {
    return shadow;
  }

  /** Whether the would-be decision answers differently: allowed, status or outcome. False without one. */
  public boolean shadowChanges() {
    return shadow != null && !answersAs(shadow);
  }

  /** Whether {@code other} gives the same answer: allowed, status and outcome. */
  public boolean answersAs(Decision other) {
    return other.allowed == allowed && other.status == status && other.outcome == outcome;
  }

  /**
   * A denial made outside the program, by whoever runs it: no policy loaded, credentials that do
   * not verify, a request that cannot be read, an overload, an internal error.
   */
  public static Decision refused(Outcome outcome, int status, String reason, String explanation, String revision) {
    if (outcome.allowed()) {
      throw new IllegalArgumentException("a refusal cannot be " + outcome.label());
    }
    return new Decision(outcome, status, reason, () -> explanation, List.of(), null, revision, Obligations.NONE,
        List.of());
  }

  /** What kind of answer this is. */
  public Outcome outcome() {
    return outcome;
  }

  /**
   * The evaluation errors met while deciding: a permit whose condition could not be evaluated
   * does not allow, a forbid whose condition could not be evaluated applies, and either way the
   * error is here.
   */
  public List<EvalError> errors() {
    return errors;
  }

  /** Whether the request may proceed. */
  public boolean allowed() {
    return allowed;
  }

  public int status() {
    return status;
  }

  /** A short public reason, safe to show the caller. */
  public String reason() {
    return reason;
  }

  /**
   * For people reading logs and tests: on deny, the condition that failed, in words; on allow,
   * the rule that allowed.
   */
  public String explanation() {
    String e = explanation;
    if (e == null) {
      e = explain.get();
      explanation = e;
    }
    return e;
  }

  public List<RuleRef> rules() {
    return rules;
  }

  public String route() {
    return route;
  }

  public String revision() {
    return revision;
  }

  public Obligations obligations() {
    return obligations;
  }

  /** The id of the most decisive rule, or null when no rule decided (default deny). */
  public String decidingRule() {
    return rules.isEmpty() ? null : rules.get(0).id();
  }

  /** Decisions are equal when everything they say is, explanation included. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Decision d && outcome == d.outcome && status == d.status && reason.equals(d.reason)
        && rules.equals(d.rules) && Objects.equals(route, d.route) && Objects.equals(revision, d.revision)
        && obligations.equals(d.obligations) && errors.equals(d.errors) && Objects.equals(shadow, d.shadow)
        && explanation().equals(d.explanation());
  }

  @Override
  public int hashCode() {
    return Objects.hash(outcome, status, reason, rules, route, revision);
  }

  @Override
  public String toString() {
    return (allowed ? "allow" : "deny") + " " + status + " " + outcome.label() + " (" + reason + ")"
        + (rules.isEmpty() ? "" : " by " + rules.get(0)) + ": " + explanation();
  }
}
