package dev.warden.policy.api;

import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.RuleRef;
import java.util.List;
import java.util.Map;

/**
 * Warden's answer to one request: allow or deny, the HTTP status and public reason for the
 * client, the rules that decided and, for people, an explanation. On allow, the headers the
 * request must go on with changed. Immutable.
 */
public final class Verdict {
  private final Decision decision;

  Verdict(Decision decision) {
    this.decision = decision;
  }

  public boolean allowed() {
    return decision.allowed();
  }

  /**
   * What kind of answer this is, as in decision logs and metrics: `allow`, `forbid`,
   * `default_deny`, `no_route`, `not_yet`, `retired`, `bad_request`, `unauthenticated`, `budget`
   * or `error` (docs/language.md, "Decisions").
   */
  public String outcome() {
    return decision.outcome().label();
  }

  /**
   * The evaluation errors met while deciding, one line each: kind, rule, place in the policy and
   * message (`overflow in `shop.permit#2` at orders.warden:12:30: arithmetic overflow`). Empty
   * for almost every decision; never shown to a client.
   */
  public List<String> errors() {
    return decision.errors().stream().map(Object::toString).toList();
  }

  /** 200 on allow; 400, 401, 403, 404 or 410 on deny. */
  public int status() {
    return decision.status();
  }

  /** A short reason, safe to show the client: it names no rule and no data. */
  public String reason() {
    return decision.reason();
  }

  /** The matched route's qualified name (`orders.read`), or null when none matched. */
  public String route() {
    return decision.route();
  }

  /** The ids of the rules that decided, most decisive first (`role.customer#1`, `orders.owner-only`). */
  public List<String> rules() {
    return decision.rules().stream().map(RuleRef::id).toList();
  }

  /** The rules that decided with where each is declared (`orders.warden:31`). */
  public List<String> ruleLocations() {
    return decision.rules().stream().map(RuleRef::location).toList();
  }

  /** The bundle revision that decided. */
  public String revision() {
    return decision.revision();
  }

  /**
   * For logs and tests, never for the client: which condition failed, in words, or which rule
   * allowed. Built when first asked for.
   */
  public String explanation() {
    return decision.explanation();
  }

  /** Headers to remove from the request before it goes on (method overrides Warden did not decide on). */
  public List<String> headersToRemove() {
    return decision.obligations().removeUpstreamHeaders();
  }

  /** Query parameters to remove from the request before it goes on. */
  public List<String> queryParametersToRemove() {
    return decision.obligations().removeQueryParameters();
  }

  /**
   * `remove header` patterns (`x-internal-*`): the request's headers they match, in any spelling
   * with `_` for `-`, are removed before it goes on.
   */
  public List<String> headerPatternsToRemove() {
    return decision.obligations().removeUpstreamPatterns();
  }

  /**
   * Headers to set on the request before it goes on (`on allow` blocks), each replacing every
   * copy the client sent; the values of an appended header joined by `, `.
   */
  public Map<String, String> headersToSet() {
    return single(decision.obligations().upstream(Map.of()));
  }

  /** Headers to add to the client's response (`set response header`, `append response header`). */
  public Map<String, String> responseHeaders() {
    return single(decision.obligations().response());
  }

  private static Map<String, String> single(Map<String, List<String>> joined) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    joined.forEach((name, values) -> out.put(name, values.get(0)));
    return java.util.Collections.unmodifiableMap(out);
  }

  @Override
  public String toString() {
    return (allowed() ? "allow" : "deny " + status() + " (" + reason() + ")")
        + (rules().isEmpty() ? "" : " by " + rules().get(0)) + (route() == null ? "" : " on " + route());
  }
}
