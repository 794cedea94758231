package dev.warden.policy.compile;

import dev.warden.policy.diag.Span;
import dev.warden.policy.runtime.EvalError;

/**
 * A condition could not be evaluated: a limit of the decision was reached (the step budget, the
 * deadline, or the step limit of a first try), arithmetic overflowed, or a rule read a field of
 * an anonymous principal. A non-local exit out of the expression closures, without a stack trace;
 * it never leaves {@link Program}: the rule boundary turns it into an {@link EvalError} of the
 * decision.
 */
final class EvalException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final EvalError.Kind kind;
  /** The expression that failed, or null for a limit of the decision (the rule's condition is cited). */
  final transient Span span;
  /** The step limit of a first try ({@link Program#tryDecide}) was reached, not the budget. */
  final boolean yielded;

  EvalException(EvalError.Kind kind, Span span, String message) {
    this(kind, span, message, false);
  }

  private EvalException(EvalError.Kind kind, Span span, String message, boolean yielded) {
    super(message, null, false, false);
    this.kind = kind;
    this.span = span;
    this.yielded = yielded;
  }

  /** A limit of the whole decision, not a rule's failure: it ends the decision. */
  boolean budget() {
    return kind == EvalError.Kind.BUDGET || kind == EvalError.Kind.DEADLINE;
  }

  /** The first try used its steps: the decision is to be made again, without that limit. */
  static EvalException yielded(int steps) {
    return new EvalException(EvalError.Kind.BUDGET, null, "a first try took more than " + steps + " steps", true);
  }
}
