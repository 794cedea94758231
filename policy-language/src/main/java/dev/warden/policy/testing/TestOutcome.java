package dev.warden.policy.testing;

import dev.warden.policy.runtime.Decision;

/**
 * The result of one policy test.
 *
 * @param location `file:line` of the test
 * @param expected what the test expected, as written (`deny 403 by orders.forbid#1`)
 * @param decision what the program decided
 * @param failure why the test failed, or null when it passed
 */
public record TestOutcome(String name, String location, String expected, Decision decision, String failure) {
  public boolean passed() {
    return failure == null;
  }

  /** How the decision reads in a test report: `allow by role.customer#1 (orders.warden:12)`. */
  public static String describe(Decision d) {
    StringBuilder b = new StringBuilder(d.allowed() ? "allow" : "deny " + d.status());
    if (!d.rules().isEmpty()) {
      b.append(" by ").append(d.rules().get(0));
    }
    if (!d.allowed()) {
      b.append(" (reason \"").append(d.reason()).append("\")");
    }
    return b.toString();
  }
}
