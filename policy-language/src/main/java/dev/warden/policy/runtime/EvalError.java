package dev.warden.policy.runtime;

import java.util.Objects;

/**
 * A condition that could not be evaluated, as data: which rule, where in the policy, what went
 * wrong. A decision lists every such error it met, also when the decision did not depend on it
 * (a permit whose condition failed to evaluate does not allow, and the next rule may still allow),
 * so that no error is silent.
 *
 * @param kind what went wrong
 * @param rule the rule whose condition it was (or the `on` block whose value it was), or null for
 *     a limit reached outside any rule
 * @param location `file:line:column` of the expression that failed (or of the condition)
 * @param message for policy authors and logs; never shown to the client
 */
public record EvalError(Kind kind, RuleRef rule, String location, String message) {
  /** The kinds of evaluation error. */
  public enum Kind {
    /** Arithmetic overflowed (`int` is 64-bit; time and duration have bounds too). */
    OVERFLOW,
    /** A rule read a principal field of an anonymous caller. */
    ANONYMOUS,
    /** The step budget of the decision was spent. */
    BUDGET,
    /** The decision ran past its deadline. */
    DEADLINE,
    /**
     * An obligation's value cannot be a header value: a line break or another control
     * character, or a blank at either end.
     */
    HEADER_VALUE,
    /** A quota's cost came out negative. */
    COST,
    /** A defect: an evaluation failed in a way a well-typed program cannot. */
    INTERNAL;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public EvalError {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return kind.label() + (rule == null ? "" : " in `" + rule.id() + "`") + " at " + location + ": " + message;
  }
}
