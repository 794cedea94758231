package dev.warden.policy.compile;

import dev.warden.policy.runtime.RuleRef;
import java.util.List;

/**
 * A grant, permit or forbid compiled for one route. The texts a decision carries when this rule
 * decides are built here, once, so that deciding allocates no strings on the common paths.
 */
final class CompiledRule {
  final RuleRef ref;
  /** The role a grant needs, or -1 for a permit or forbid. */
  final int role;
  final String roleName;
  final Condition[] conditions;
  /** The author's `because`, or null. */
  final String reason;
  /** {@code List.of(ref)}: the rules list of a decision this rule makes. */
  final List<RuleRef> refs;
  /** The explanation when this rule allows. */
  final String allowExplanation;
  final java.util.function.Supplier<String> allowExplanationSupplier;

  CompiledRule(RuleRef ref, int role, String roleName, Condition[] conditions, String reason) {
    this.ref = ref;
    this.role = role;
    this.roleName = roleName;
    this.conditions = conditions;
    this.reason = reason;
    this.refs = List.of(ref);
    String by = role >= 0 ? "role `" + roleName + "` via `" + ref.id() + "`" : "`" + ref.id() + "`";
    this.allowExplanation = "allowed by " + by + " at " + ref.location();
    this.allowExplanationSupplier = () -> allowExplanation;
  }

  /** A compiled `when` or `unless`, with the place of its expression. */
  record Condition(boolean unless, Eval eval, String text, dev.warden.policy.diag.Span span, Explainer explainer) {
    /** Whether the condition lets the rule apply. */
    boolean holds(Frame f) {
      return (eval.eval(f) == Boolean.TRUE) != unless;
    }

    /** Why the condition did not hold in decision {@code f}, with the values it compared. */
    String describeFailure(Frame f) {
      return explainer.why(f, !unless);
    }

    /** Why the condition held in decision {@code f}. */
    String describeHolding(Frame f) {
      return explainer.why(f, unless);
    }
  }

  /** The explanation when this rule, a forbid, applies because all its conditions held in {@code f}. */
  String explainApplying(Frame f) {
    if (conditions.length == 0) {
      return "forbid `" + ref.id() + "` applies: it has no condition";
    }
    StringBuilder b = new StringBuilder("forbid `").append(ref.id()).append("` applies: ");
    for (int i = 0; i < conditions.length; i++) {
      b.append(i == 0 ? "" : " and ").append(conditions[i].describeHolding(f));
    }
    return b.toString();
  }

  /** Null when the rule applies; otherwise the first condition that did not hold. */
  Condition firstFailing(Frame f) {
    for (Condition c : conditions) {
      f.condition = c;
      if (!c.holds(f)) {
        return c;
      }
    }
    return null;
  }
}
