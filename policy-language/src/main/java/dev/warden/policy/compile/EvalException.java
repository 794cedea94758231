package dev.warden.policy.compile;

/**
 * A condition could not be evaluated: the step budget ran out, arithmetic overflowed, or a rule
 * read a field of an anonymous principal. Carries no stack trace: it is an expected outcome.
 */
final class EvalException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final boolean budget;
  /** The condition read a principal field of an anonymous caller. */
  final boolean anonymous;

  EvalException(String message, boolean budget) {
    this(message, budget, false);
  }

  EvalException(String message, boolean budget, boolean anonymous) {
    super(message, null, false, false);
    this.budget = budget;
    this.anonymous = anonymous;
  }
}
