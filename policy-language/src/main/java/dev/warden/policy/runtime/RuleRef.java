package dev.warden.policy.runtime;

/**
 * A rule that took part in a decision.
 *
 * @param id stable identifier, such as `orders.forbid#1`, `orders.owner-only` or `role.admin#1`
 * @param kind `permit`, `forbid`, `grant` or `route`
 * @param location `file:line` of the rule
 */
public record RuleRef(String id, String kind, String location) {
  @Override
  public String toString() {
    return id + " (" + location + ")";
  }
}
