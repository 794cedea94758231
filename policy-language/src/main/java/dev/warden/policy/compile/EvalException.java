package dev.warden.policy.compile;

/**
 * A condition could not be evaluated: the step budget ran out, arithmetic overflowed, or a rule
 * read a field of an anonymous principal. Carries no stack trace: it is an expected outcome.
 */
final class EvalException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final boolean budget;

  EvalException(String message, boolean budget) {
    super(message, null, false, false);
    this.budget = budget;
  }
}
