package dev.warden.policy.compile;

import dev.warden.policy.runtime.RuleRef;

/**
 * A grant, permit or forbid compiled for one route.
 *
 * @param role the role a grant needs, or -1 for a permit or forbid
 * @param reason the author's `because`, or null
 */
record CompiledRule(RuleRef ref, int role, String roleName, Condition[] conditions, String reason) {

  /** A compiled `when` or `unless`. */
  record Condition(boolean unless, Eval eval, String text) {
    /** Whether the condition lets the rule apply. */
    boolean holds(Frame f) {
      return (eval.eval(f) == Boolean.TRUE) != unless;
    }

    String describeFailure() {
      return "`" + text + "` is " + unless;
    }

    String describeHolding() {
      return "`" + text + "` is " + !unless;
    }
  }

  /** Why the rule applied, in words, for a rule whose conditions all held. */
  String describeApplying() {
    if (conditions.length == 0) {
      return "it has no condition";
    }
    StringBuilder b = new StringBuilder();
    for (Condition c : conditions) {
      b.append(b.length() == 0 ? "" : " and ").append(c.describeHolding());
    }
    return b.toString();
  }

  /** Null when the rule applies; otherwise the first condition that did not hold. */
  Condition firstFailing(Frame f) {
    for (Condition c : conditions) {
      if (!c.holds(f)) {
        return c;
      }
    }
    return null;
  }
}
