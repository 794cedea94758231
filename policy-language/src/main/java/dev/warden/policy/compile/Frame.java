package dev.warden.policy.compile;

import dev.warden.policy.runtime.Deadline;
import dev.warden.policy.runtime.EvalError;
import dev.warden.policy.runtime.Request;

/**
 * The state of one decision: the request, the principal's slots and roles, the matched route's
 * parameters, the data, the quantifier locals and the step counter. Created per decision and
 * never shared between threads.
 */
final class Frame {
  private static final Object[] NO_LOCALS = new Object[0];

  final Request request;
  final Object[] principal;
  final boolean anonymous;
  final long[] roles;
  private final java.util.List<String> roleNames;
  private java.util.Set<String> roleSet;
  final Object[] data;
  final Object[] locals;
  final int budget;
  /** The steps this evaluation may take: the budget, or fewer on a first try. */
  private final int limit;
  private final Deadline deadline;
  Object[] params;
  String routeName;
  /** The canonical request line: what `request.method` and `request.query` read. */
  dev.warden.policy.runtime.RequestLine line;
  /** The canonical path, which is what `request.path` means. */
  String path;
  /** Set by a rule evaluation: the condition that did not hold, or why evaluation failed. */
  CompiledRule.Condition failed;
  /** The condition being evaluated: where an error without a place of its own is cited. */
  CompiledRule.Condition condition;
  /** Set when an allow's obligation could not be evaluated. */
  CompiledObligations.Failure obligationFailure;
  /** The evaluation errors met so far, in order; null until the first. */
  java.util.List<EvalError> errors;
  int steps;

  Frame(Request request, Object[] principal, boolean anonymous, long[] roles, java.util.List<String> roleNames,
      Object[] data, int frameSize, int budget, int limit, Deadline deadline) {
    this.request = request;
    this.principal = principal;
    this.anonymous = anonymous;
    this.roles = roles;
    this.roleNames = roleNames;
    this.data = data;
    this.locals = frameSize == 0 ? NO_LOCALS : new Object[frameSize];
    this.budget = budget;
    this.limit = Math.min(limit, budget);
    this.deadline = deadline;
  }

  /** Counts one evaluation step; throws once the budget is spent. */
  void step() {
    if (++steps > limit) {
      throw spent();
    }
    if ((steps & (Deadline.CHECK_EVERY - 1)) == 0) {
      checkDeadline();
    }
  }

  /**
   * Counts {@code n} steps at once, for work that grows with the size of a value (see
   * {@link Cost}); throws once the budget is spent. Called before the work, so an oversized
   * operation is refused instead of run.
   */
  void charge(long n) {
    if (n > limit - steps) {
      steps = limit + 1;
      throw spent();
    }
    int before = steps;
    steps += (int) n;
    if (before / Deadline.CHECK_EVERY != steps / Deadline.CHECK_EVERY) {
      checkDeadline();
    }
  }

  private void checkDeadline() {
    if (deadline.passed()) {
      throw new EvalException(EvalError.Kind.DEADLINE, null, "the decision ran past its deadline after " + steps + " steps");
    }
  }

  private EvalException spent() {
    return limit < budget ? EvalException.yielded(limit)
        : new EvalException(EvalError.Kind.BUDGET, null, "evaluation took more than " + budget + " steps");
  }

  /**
   * A fresh frame for the same decision, with the whole budget and no deadline: what an
   * explanation evaluates parts of a condition on, after the decision (see {@link Explainer}).
   */
  Frame copy() {
    Frame c = new Frame(request, principal, anonymous, roles, roleNames, data, locals.length, budget, budget,
        Deadline.NONE);
    c.params = params;
    c.line = line;
    c.path = path;
    c.routeName = routeName;
    return c;
  }

  private Object body;
  private boolean bodyRead;
  private Object query;

  /**
   * `request.query` typed by the route's schema, as {@code reader} reads the declared
   * parameters: a scalar from its one value, a list from its values, each converted as the
   * schema validated it (`int`, `decimal`, `bool`; text for the rest). The request reached the
   * rules because its query matched, so a mismatch here is a defect, and fails the decision.
   */
  Object typedQuery(BodyReader reader) {
    if (query == null) {
      Object read = reader.read(QueryValues.typed(line.query(), reader.type()), this);
      if (read == null) {
        throw new IllegalStateException("query parameters that passed the route's schema do not read as its type");
      }
      query = read;
    }
    return query;
  }

  /**
   * `request.body` as {@code reader} reads it: read the first time a rule asks, then kept for
   * the rest of the decision. Absent without a JSON body, or with one that is not valid JSON or
   * not of the route's body type.
   */
  Object body(BodyReader reader) {
    if (!bodyRead) {
      bodyRead = true;
      dev.warden.policy.runtime.RequestBody b = request.body();
      if (b != null && b.isJson() && !b.truncated()) {
        dev.warden.policy.runtime.RequestBody.Parsed parsed = b.json();
        body = parsed.ok() ? reader.read(parsed.value(), this) : null;
      }
    }
    return body;
  }

  /** Records an evaluation error of {@code rule}'s condition. */
  void error(CompiledRule rule, EvalError.Kind kind, dev.warden.policy.diag.Span span, String message) {
    error(rule == null ? null : rule.ref, kind, span != null ? span : condition != null ? condition.span() : null,
        message);
  }

  /** Records an evaluation error of a rule or an `on` block, at {@code span} when known. */
  void error(dev.warden.policy.runtime.RuleRef ref, EvalError.Kind kind, dev.warden.policy.diag.Span span,
      String message) {
    if (errors == null) {
      errors = new java.util.ArrayList<>(2);
    }
    errors.add(new EvalError(kind, ref, span == null ? ref == null ? "?" : ref.location() : span.toString(), message));
  }

  java.util.List<EvalError> errors() {
    return errors == null ? java.util.List.of() : errors;
  }

  /** The message of the error recorded last: why the condition just evaluated could not be. */
  String lastError() {
    return errors.get(errors.size() - 1).message();
  }

  /** `principal.roles`, built the first time a rule reads it. */
  java.util.Set<String> roleSet() {
    if (roleSet == null) {
      roleSet = PrincipalBuilder.roleSet(roleNames);
    }
    return roleSet;
  }

  boolean hasRole(int role) {
    int word = role >>> 6;
    return word < roles.length && (roles[word] & (1L << role)) != 0;
  }
}
