package dev.warden.policy.compile;

/**
 * A condition could not be evaluated: a limit of the decision was reached (the step budget, the
 * deadline, or the step limit of a first try), arithmetic overflowed, or a rule read a field of
 * an anonymous principal. Carries no stack trace: it is an expected outcome.
 */
final class EvalException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A limit of the whole decision, not a rule's failure: it ends the decision. */
  final boolean budget;
  /** The step limit of a first try ({@link Program#tryDecide}) was reached, not the budget. */
  final boolean yielded;
  /** The condition read a principal field of an anonymous caller. */
  final boolean anonymous;

  EvalException(String message, boolean budget) {
    this(message, budget, false);
  }

  EvalException(String message, boolean budget, boolean anonymous) {
    this(message, budget, anonymous, false);
  }

  private EvalException(String message, boolean budget, boolean anonymous, boolean yielded) {
    super(message, null, false, false);
    this.budget = budget;
    this.anonymous = anonymous;
    this.yielded = yielded;
  }

  /** The first try used its steps: the decision is to be made again, without that limit. */
  static EvalException yielded(int steps) {
    return new EvalException("a first try took more than " + steps + " steps", true, false, true);
  }
}
