package dev.warden.policy.lint;

import dev.warden.policy.ast.Decl;
import dev.warden.policy.check.Checked;
import dev.warden.policy.check.CheckedBundle;
import dev.warden.policy.check.CheckedBundle.CheckedCondition;
import dev.warden.policy.check.CheckedBundle.CheckedGrant;
import dev.warden.policy.check.CheckedBundle.CheckedRule;
import dev.warden.policy.check.CheckedBundle.RouteInfo;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Diagnostics;
import dev.warden.policy.diag.Span;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The lint stage: warnings about rules that cannot matter: duplicates, permits that an
 * unconditional forbid always overrides, conditions that are always false, and routes that
 * nothing allows. Only warnings, so it also runs on a bundle whose check found errors, over the
 * routes, grants and rules that did check: one run shows both.
 */
public final class Lints {
  private final Diagnostics diagnostics;

  public Lints(Diagnostics diagnostics) {
    this.diagnostics = diagnostics;
  }

  public void run(CheckedBundle bundle) {
    run(bundle.routes(), bundle.grants(), bundle.rules());
  }

  private void run(List<RouteInfo> routes, List<CheckedGrant> grants, List<CheckedRule> rules) {
    BitSet alwaysForbidden = new BitSet();
    for (CheckedRule r : rules) {
      if (r.effect() == Decl.Effect.FORBID && r.conditions().isEmpty() && !r.shadow()) {
        alwaysForbidden.or(r.routes());
      }
    }
    Map<String, CheckedRule> seen = new HashMap<>();
    BitSet allowed = new BitSet();
    for (CheckedRule r : rules) {
      String key = (r.shadow() ? "shadow " : "") + r.effect() + " " + r.routes() + " " + texts(r.conditions());
      CheckedRule twin = seen.putIfAbsent(key, r);
      if (twin != null) {
        diagnostics.add(Diagnostic.warning("check.duplicate_rule", r.span(),
            "rule `" + r.id() + "` repeats `" + twin.id() + "` at " + twin.span().fileLine())
            .withHelp("remove one of them"));
      }
      neverTrue(r.id(), r.conditions());
      if (r.effect() == Decl.Effect.PERMIT && !r.shadow()) {
        shadowed(r.id(), r.routes(), alwaysForbidden, r.span());
        allowed.or(r.routes());
      }
    }
    Map<String, CheckedGrant> seenGrants = new HashMap<>();
    for (CheckedGrant g : grants) {
      String key = g.role() + " " + g.routes() + " " + texts(g.conditions());
      CheckedGrant twin = seenGrants.putIfAbsent(key, g);
      if (twin != null) {
        diagnostics.add(Diagnostic.warning("check.duplicate_rule", g.span(),
            "grant `" + g.id() + "` repeats `" + twin.id() + "` at " + twin.span().fileLine())
            .withHelp("remove one of them"));
      }
      shadowed(g.id(), g.routes(), alwaysForbidden, g.span());
      neverTrue(g.id(), g.conditions());
      allowed.or(g.routes());
    }
    for (RouteInfo r : routes) {
      if (!allowed.get(r.id()) && r.retired() == null) {
        diagnostics.add(Diagnostic.warning("check.unreachable_route", r.span(),
            "no grant or permit covers route `" + r.qualifiedName() + "`, so every request to it is denied")
            .withHelp("grant it to a role (`allow " + r.name() + "`) or remove it"));
      }
    }
  }

  private void shadowed(String id, BitSet routes, BitSet alwaysForbidden, Span span) {
    BitSet rest = (BitSet) routes.clone();
    rest.andNot(alwaysForbidden);
    if (rest.isEmpty() && !routes.isEmpty()) {
      diagnostics.add(Diagnostic.warning("check.unreachable_rule", span,
          "`" + id + "` can never allow: a `forbid` without conditions covers all its routes"));
    }
  }

  private void neverTrue(String id, List<CheckedCondition> conditions) {
    for (CheckedCondition c : conditions) {
      if (c.expr() instanceof Checked.Const k && k.value() instanceof Boolean b && b == c.unless()) {
        diagnostics.add(Diagnostic.warning("check.unreachable_rule", c.span(),
            "`" + id + "` can never apply: its condition `" + c.text() + "` is always " + (c.unless() ? "true" : "false")));
      }
    }
  }

  private static String texts(List<CheckedCondition> conditions) {
    StringBuilder b = new StringBuilder();
    conditions.forEach(c -> b.append(c.unless() ? "unless " : "when ").append(c.text()).append(';'));
    return b.toString();
  }
}
