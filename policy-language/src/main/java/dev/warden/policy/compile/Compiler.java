package dev.warden.policy.compile;

import dev.warden.policy.ast.Decl;
import dev.warden.policy.check.CheckedBundle;
import dev.warden.policy.check.CheckedBundle.CheckedCondition;
import dev.warden.policy.check.CheckedBundle.CheckedGrant;
import dev.warden.policy.check.CheckedBundle.CheckedRule;
import dev.warden.policy.check.CheckedBundle.DataDocument;
import dev.warden.policy.check.CheckedBundle.RoleInfo;
import dev.warden.policy.check.CheckedBundle.RouteInfo;
import dev.warden.policy.check.Checked;
import dev.warden.policy.runtime.RuleRef;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The compile stage: turns a checked bundle into a {@link Program}. Routes go into a trie; role
 * inheritance, already flattened by the checker, becomes bitsets; each rule's conditions become
 * closures specialized for every route the rule covers (so path parameters are array slots).
 */
public final class Compiler {
  private Compiler() {}

  public static Program compile(CheckedBundle bundle) {
    Values values = new Values(bundle.fieldIds().names());
    List<String> principalNames = bundle.principal().stream().map(CheckedBundle.PrincipalSpec::name).toList();
    int roleCount = bundle.roles().size();

    Object[] data = new Object[bundle.data().size()];
    Map<String, Integer> dataSlots = new HashMap<>();
    for (DataDocument d : bundle.data()) {
      data[d.slot()] = d.json() == null ? empty(d) : values.fromJson(d.json(), d.type());
      dataSlots.put(d.name(), d.slot());
    }

    RouteTrie trie = new RouteTrie();
    List<CompiledRoute> routes = new ArrayList<>();
    for (RouteInfo r : bundle.routes()) {
      CompiledRoute route = new CompiledRoute(r.id(), r.qualifiedName(), r.method(), r.path(), r.sinceInstant(),
          r.retiredInstant(), new RuleRef(r.qualifiedName(), "route", r.span().fileLine()));
      route.schema = bundle.schemas().get(r.id());
      routes.add(route);
      trie.add(route);
    }
    trie.freeze();

    // Headers that some route's obligations write are stripped from the client's request on every
    // route, so that no upstream behind the bundle ever takes a client's copy for Warden's.
    java.util.Set<String> written = new java.util.LinkedHashSet<>();
    for (CheckedBundle.CheckedOnBlock b : bundle.obligations()) {
      for (CheckedBundle.CheckedHeaderAction a : b.actions()) {
        if (b.allow() && !a.response() && a.op() != Decl.HeaderOp.REMOVE) {
          written.add(a.name());
        }
      }
    }

    // Each route's rules and grants, in declaration order, found by walking each rule's routes once
    // (not every rule for every route: a 10,000-route bundle has millions of such pairs).
    List<List<Integer>> rulesOf = byRoute(routes.size(), bundle.rules().stream().map(CheckedRule::routes).toList());
    List<List<Integer>> grantsOf = byRoute(routes.size(), bundle.grants().stream().map(CheckedGrant::routes).toList());
    List<List<Integer>> blocksOf = byRoute(routes.size(),
        bundle.obligations().stream().map(CheckedBundle.CheckedOnBlock::routes).toList());
    List<List<Integer>> quotasOf = byRoute(routes.size(),
        bundle.quotas().stream().map(CheckedBundle.CheckedQuota::routes).toList());
    List<RuleRef> ruleRefs = bundle.rules().stream()
        .map(rule -> new RuleRef(rule.id(), (rule.shadow() ? "shadow " : "") + rule.effect().keyword(),
            rule.span().fileLine())).toList();
    List<RuleRef> grantRefs = bundle.grants().stream()
        .map(g -> new RuleRef(g.id(), "grant", g.span().fileLine())).toList();
    for (CompiledRoute route : routes) {
      ExprCompiler exprs = new ExprCompiler(values, route.paramSlots, principalNames);
      List<CheckedBundle.CheckedOnBlock> blocks = new ArrayList<>();
      blocksOf.get(route.id).forEach(index -> blocks.add(bundle.obligations().get(index)));
      route.obligations = obligations(blocks, exprs, written);
      if (!quotasOf.get(route.id).isEmpty()) {
        route.quotas = quotasOf.get(route.id).stream().map(i -> quota(bundle.quotas().get(i), exprs))
            .toArray(CompiledQuota[]::new);
      }
      List<CompiledRule> forbids = new ArrayList<>();
      List<CompiledRule> allows = new ArrayList<>();
      // With the shadow rules among the others, in declaration order: the would-be policy.
      List<CompiledRule> shadowForbids = new ArrayList<>();
      List<CompiledRule> shadowAllows = new ArrayList<>();
      boolean shadowed = false;
      for (int index : rulesOf.get(route.id)) {
        CheckedRule rule = bundle.rules().get(index);
        CompiledRule c = new CompiledRule(ruleRefs.get(index), -1, null, conditions(rule.conditions(), exprs),
            rule.reason());
        boolean forbid = rule.effect() == Decl.Effect.FORBID;
        if (!rule.shadow()) {
          (forbid ? forbids : allows).add(c);
        }
        shadowed |= rule.shadow();
        (forbid ? shadowForbids : shadowAllows).add(c);
      }
      BitSet open = new BitSet(roleCount);
      CompiledRule[] openGrants = new CompiledRule[roleCount];
      List<CompiledRule> conditionalGrants = new ArrayList<>();
      for (int index : grantsOf.get(route.id)) {
        CheckedGrant g = bundle.grants().get(index);
        CompiledRule c = new CompiledRule(grantRefs.get(index), g.role(), g.roleName(),
            conditions(g.conditions(), exprs), null);
        if (g.conditions().isEmpty()) {
          // A grant to role r opens the route to every role that implies r.
          for (RoleInfo holder : bundle.roles()) {
            if (holder.implies().get(g.role()) && openGrants[holder.id()] == null) {
              open.set(holder.id());
              openGrants[holder.id()] = c;
            }
          }
        } else {
          conditionalGrants.add(c);
        }
      }
      route.forbids = forbids.toArray(new CompiledRule[0]);
      if (shadowed) {
        route.shadowForbids = shadowForbids.toArray(new CompiledRule[0]);
        List<CompiledRule> withShadow = new ArrayList<>(conditionalGrants);
        withShadow.addAll(shadowAllows);
        route.shadowAllows = withShadow.toArray(new CompiledRule[0]);
      }
      conditionalGrants.addAll(allows);
      route.allows = conditionalGrants.toArray(new CompiledRule[0]);
      route.openRoles = open.toLongArray();
      route.openGrants = openGrants;
    }

    // Principal roles are checked with `implies` of the held role: holding `admin` makes the
    // principal also `support` and `customer` when admin extends them.
    Map<String, long[]> implies = new HashMap<>();
    for (RoleInfo r : bundle.roles()) {
      implies.put(r.name(), r.implies().toLongArray());
    }
    PrincipalBuilder principals = new PrincipalBuilder(bundle.principal(), implies);
    return new Program(bundle.manifest(), bundle.frameSize(), trie, routes, principals, data, dataSlots,
        bundle.packages(), bundle.logRedactions());
  }

  /** For each route id, the indexes of the rules (or grants) covering it, in declaration order. */
  private static List<List<Integer>> byRoute(int routeCount, List<BitSet> covered) {
    List<List<Integer>> out = new ArrayList<>(routeCount);
    for (int i = 0; i < routeCount; i++) {
      out.add(new ArrayList<>(2));
    }
    for (int index = 0; index < covered.size(); index++) {
      BitSet b = covered.get(index);
      for (int id = b.nextSetBit(0); id >= 0 && id < routeCount; id = b.nextSetBit(id + 1)) {
        out.get(id).add(index);
      }
    }
    return out;
  }

  /**
   * A route's obligations from the blocks covering it, or null when there are none and the bundle
   * writes no header.
   */
  private static CompiledObligations obligations(List<CheckedBundle.CheckedOnBlock> blocks, ExprCompiler exprs,
      java.util.Set<String> written) {
    List<CompiledObligations.Write> onAllow = new ArrayList<>();
    List<CompiledObligations.Write> onDeny = new ArrayList<>();
    List<String> remove = new ArrayList<>();
    List<String> patterns = new ArrayList<>();
    java.util.Set<String> writesHere = new java.util.HashSet<>();
    for (CheckedBundle.CheckedOnBlock b : blocks) {
      RuleRef ref = new RuleRef(b.id(), "obligation", b.span().fileLine());
      for (CheckedBundle.CheckedHeaderAction a : b.actions()) {
        if (a.op() == Decl.HeaderOp.REMOVE) {
          List<String> into = a.pattern() ? patterns : remove;
          if (!into.contains(a.name())) {
            into.add(a.name());
          }
          continue;
        }
        if (!a.response()) {
          writesHere.add(a.name());
        }
        (b.allow() ? onAllow : onDeny).add(new CompiledObligations.Write(a.op() == Decl.HeaderOp.APPEND, a.response(),
            a.name(), exprs.compile(a.value()), ref, a.value().span(), a.describe()));
      }
    }
    for (String name : written) {
      if (!writesHere.contains(name) && !remove.contains(name)) {
        remove.add(name);
      }
    }
    if (onAllow.isEmpty() && onDeny.isEmpty() && remove.isEmpty() && patterns.isEmpty()) {
      return null;
    }
    return new CompiledObligations(onAllow, onDeny, remove, patterns);
  }

  private static CompiledQuota quota(CheckedBundle.CheckedQuota q, ExprCompiler exprs) {
    CompiledRule rule = new CompiledRule(q.spec().ref(), -1, null, conditions(q.conditions(), exprs), null);
    return new CompiledQuota(q.spec(), rule, q.key() == null ? null : exprs.compile(q.key()),
        q.key() == null ? null : q.key().span(), q.cost() == null ? null : exprs.compile(q.cost()),
        q.cost() == null ? null : q.cost().span());
  }

  private static CompiledRule.Condition[] conditions(List<CheckedCondition> conditions, ExprCompiler exprs) {
    return conditions.stream()
        .map(c -> new CompiledRule.Condition(c.unless(), exprs.compile(c.expr()), c.text(), c.span(),
            Explainer.of(c.text(), c.source(), c.expr(), exprs::compileLater)))
        .toArray(CompiledRule.Condition[]::new);
  }

  private static Object empty(DataDocument d) {
    dev.warden.policy.types.Type t = d.type();
    if (t instanceof dev.warden.policy.types.Type.MapType) {
      return Map.of();
    }
    if (t instanceof dev.warden.policy.types.Type.SetType) {
      return java.util.Set.of();
    }
    return t instanceof dev.warden.policy.types.Type.ListType ? List.of() : null;
  }

  /** Evaluates a constant checked expression (test values) to a runtime value. */
  public static Object constant(Checked c, List<String> fieldIds) {
    Eval e = new ExprCompiler(new Values(fieldIds), Map.of(), List.of()).compile(c);
    return e.eval(null);
  }
}
