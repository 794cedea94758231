package dev.warden.policy.runtime;

import java.util.List;
import java.util.Objects;

/**
 * The answer to one request.
 *
 * @param allowed whether the request may proceed
 * @param status the HTTP status for the client: 200 on allow; 401, 403, 404, 410 on deny
 * @param reason a short public reason, safe to show the caller (no internals)
 * @param explanation for people reading logs and tests: on deny, the condition that failed, in
 *     words; on allow, the rule that allowed
 * @param rules the rules that decided, most decisive first
 * @param route the matched route's qualified name, or null when none matched
 * @param revision the revision of the bundle that decided
 * @param obligations headers to set or strip; empty until obligations arrive
 */
public record Decision(
    boolean allowed,
    int status,
    String reason,
    String explanation,
    List<RuleRef> rules,
    String route,
    String revision,
    Obligations obligations) {

  public Decision {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(explanation, "explanation");
    rules = List.copyOf(rules);
    obligations = obligations == null ? Obligations.NONE : obligations;
  }

  /** The id of the most decisive rule, or null when no rule decided (default deny). */
  public String decidingRule() {
    return rules.isEmpty() ? null : rules.get(0).id();
  }
}
