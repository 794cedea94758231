package dev.warden.policy.compile;

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
  Object[] params;
  String routeName;
  /** The canonical request line: what `request.method` and `request.query` read. */
  dev.warden.policy.runtime.RequestLine line;
  /** The canonical path, which is what `request.path` means. */
  String path;
  /** Set by a rule evaluation: the condition that did not hold, or why evaluation failed. */
  CompiledRule.Condition failed;
  String error;
  int steps;

  Frame(Request request, Object[] principal, boolean anonymous, long[] roles, java.util.List<String> roleNames,
      Object[] data, int frameSize, int budget) {
    this.request = request;
    this.principal = principal;
    this.anonymous = anonymous;
    this.roles = roles;
    this.roleNames = roleNames;
    this.data = data;
    this.locals = frameSize == 0 ? NO_LOCALS : new Object[frameSize];
    this.budget = budget;
  }

  /** Counts one evaluation step; throws once the budget is spent. */
  void step() {
    if (++steps > budget) {
      throw spent();
    }
  }

  /**
   * Counts {@code n} steps at once, for work that grows with the size of a value (see
   * {@link Cost}); throws once the budget is spent. Called before the work, so an oversized
   * operation is refused instead of run.
   */
  void charge(long n) {
    if (n > budget - steps) {
      steps = budget + 1;
      throw spent();
    }
    steps += (int) n;
  }

  private EvalException spent() {
    return new EvalException("evaluation took more than " + budget + " steps", true);
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
