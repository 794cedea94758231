package dev.warden.policy.check;

import dev.warden.policy.ast.Decl;
import dev.warden.policy.ast.PolicyFile;
import dev.warden.policy.check.CheckedBundle.CheckedCondition;
import dev.warden.policy.check.CheckedBundle.CheckedQuota;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Diagnostics;
import dev.warden.policy.diag.EditDistance;
import dev.warden.policy.diag.Span;
import dev.warden.policy.runtime.Quota;
import dev.warden.policy.runtime.RuleRef;
import dev.warden.policy.types.Type;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks `quota` declarations: a unique name per package, `AMOUNT per PERIOD` with a bucket that
 * fills within 366 days, the clauses (`burst`, `scope`, `fallback`, `cost`) each at most once and
 * well formed, a key of a scalar type, conditions of type `bool` and a cost of type `int`, typed
 * in the scope of the covered routes as a rule's conditions are.
 */
final class QuotaChecker {
  /** Types a key may have (or their optionals: an absent key is a bucket of its own). */
  private static final Set<Type> KEY_TYPES = Set.of(Type.STRING, Type.INT, Type.IP, Type.BOOL);
  private static final List<String> CLAUSES = List.of("burst", "scope", "fallback", "cost");
  /** The largest burst: a bucket holds at most this many tokens. */
  static final long MAX_BURST = 1_000_000_000L;

  /** Types an expression in the scope of the covered routes; null after reporting. */
  interface Typing {
    Checked check(dev.warden.policy.ast.Expr e, Env scope, boolean condition);

    List<CheckedCondition> conditions(List<Decl.Condition> conditions, BitSet covered);

    Env scope(BitSet covered);
  }

  private final Diagnostics diagnostics;
  private final Targets targets;
  private final Typing typing;

  QuotaChecker(Diagnostics diagnostics, Targets targets, Typing typing) {
    this.diagnostics = diagnostics;
    this.targets = targets;
    this.typing = typing;
  }

  List<CheckedQuota> check(List<PolicyFile> files, List<String> declaredIds) {
    List<CheckedQuota> out = new ArrayList<>();
    Map<String, Span> seen = new HashMap<>();
    for (PolicyFile f : files) {
      for (Decl.Quota q : f.declsOf(Decl.Quota.class)) {
        String id = f.packageName() + "." + q.name();
        declaredIds.add(id);
        Span twin = seen.putIfAbsent(id, q.nameSpan());
        if (twin != null) {
          diagnostics.add(Diagnostic.error("check.duplicate_quota", q.nameSpan(), "quota `" + id + "` is declared twice")
              .withHelp("the first is at " + twin + "; give this one another name"));
          continue;
        }
        CheckedQuota c = quota(id, q);
        if (c != null) {
          out.add(c);
        }
      }
    }
    return out;
  }

  private CheckedQuota quota(String id, Decl.Quota q) {
    boolean ok = true;
    if (!q.per().equals("per")) {
      diagnostics.add(Diagnostic.error("check.bad_quota", q.perSpan(), "expected `per` between the amount and the period,"
          + " found `" + q.per() + "`").withHelp("write the rate as `100 per 1m`"));
      ok = false;
    }
    long period = q.period().toNanos();
    if (q.amount() < 1) {
      diagnostics.add(Diagnostic.error("check.bad_quota", q.amountSpan(), "a quota of " + q.amount() + " admits nothing")
          .withHelp("the amount is how many requests (tokens) come back per period: at least 1; to refuse every"
              + " request, write a `forbid`"));
      ok = false;
    }
    if (period < 1_000_000L) {
      diagnostics.add(Diagnostic.error("check.bad_quota", q.periodSpan(), "a quota's period is at least 1ms")
          .withHelp("write the period as a duration such as `1s`, `1m` or `1h`"));
      ok = false;
    }
    long burst = q.amount();
    boolean burstSet = false;
    boolean global = false;
    Quota.Fallback fallback = Quota.Fallback.CLOSED;
    double share = 1.0;
    Decl.QuotaClause scopeClause = null;
    Decl.QuotaClause fallbackClause = null;
    Decl.QuotaClause costClause = null;
    Map<String, Span> once = new HashMap<>();
    for (Decl.QuotaClause c : q.clauses()) {
      if (!CLAUSES.contains(c.item())) {
        Diagnostic d = Diagnostic.error("check.bad_quota", c.itemSpan(), "`" + c.item() + "` is not a clause of a quota");
        diagnostics.add(EditDistance.closest(c.item(), CLAUSES).map(s -> d.withHelp("did you mean `" + s + "`?"))
            .orElse(d.withHelp("after the rate a quota takes `burst N`, `by KEY`, `when …`, `unless …`, `cost EXPR`,"
                + " `scope local|global` and `fallback open|closed|local SHARE`")));
        ok = false;
        continue;
      }
      Span first = once.putIfAbsent(c.item(), c.itemSpan());
      if (first != null) {
        diagnostics.add(Diagnostic.error("check.bad_quota", c.itemSpan(), "`" + c.item() + "` is given twice")
            .withHelp("the first is at " + first + "; keep one"));
        ok = false;
        continue;
      }
      switch (c.item()) {
        case "burst" -> {
          if (c.number() == null) {
            ok = badForm(c, "`burst 20`: the most tokens the bucket holds");
          } else if (c.number() < 1 || c.number() > MAX_BURST) {
            diagnostics.add(Diagnostic.error("check.bad_quota", c.span(), "a burst of " + c.number() + " is out of range")
                .withHelp("the burst is the bucket's capacity: from 1 to " + MAX_BURST));
            ok = false;
          } else {
            burst = c.number();
            burstSet = true;
          }
        }
        case "scope" -> {
          scopeClause = c;
          if (c.mode() == null || c.share() != null || !(c.mode().equals("local") || c.mode().equals("global"))) {
            ok = badForm(c, "`scope local` (each replica counts alone, the default) or `scope global` (replicas"
                + " share the bucket in Redis)");
          } else {
            global = c.mode().equals("global");
          }
        }
        case "fallback" -> {
          fallbackClause = c;
          Quota.Fallback f = c.mode() == null ? null : switch (c.mode()) {
            case "open" -> Quota.Fallback.OPEN;
            case "closed" -> Quota.Fallback.CLOSED;
            case "local" -> Quota.Fallback.LOCAL;
            default -> null;
          };
          if (f == null || f != Quota.Fallback.LOCAL && c.share() != null) {
            ok = badForm(c, "`fallback open` (admit uncounted), `fallback closed` (refuse, the default) or"
                + " `fallback local 0.25` (each replica admits that share of the limit alone)");
          } else if (f == Quota.Fallback.LOCAL && c.share() == null) {
            diagnostics.add(Diagnostic.error("check.bad_quota", c.span(), "`fallback local` needs the share of the"
                    + " limit each replica admits alone")
                .withHelp("with 4 replicas, `fallback local 0.25` keeps the total near the limit"));
            ok = false;
          } else {
            fallback = f;
            if (c.share() != null) {
              share = Double.parseDouble(c.share());
              if (!(share > 0 && share <= 1)) {
                diagnostics.add(Diagnostic.error("check.bad_quota", c.span(), "a share of " + c.share()
                    + " is not between 0 and 1").withHelp("write the part of the limit, such as `0.25`"));
                ok = false;
              }
            }
          }
        }
        default -> {
          costClause = c;
          if (c.cost() == null) {
            ok = badForm(c, "`cost EXPR`: an `int`, the tokens a request takes");
          }
        }
      }
    }
    if (fallbackClause != null && !global && ok) {
      diagnostics.add(Diagnostic.error("check.bad_quota", fallbackClause.span(), "`fallback` is for a `scope global`"
          + " quota").withHelp("a local quota needs nothing but the replica itself; add `scope global` or drop the"
          + " fallback"));
      ok = false;
    }
    if (ok && !Quota.fits(q.amount(), period, burst)) {
      diagnostics.add(Diagnostic.error("check.bad_quota", burstSet ? q.span() : q.periodSpan(), "the bucket of quota `"
              + id + "` would take more than 366 days to fill")
          .withHelp("a burst of " + burst + " at " + q.amount() + " per " + written(q.period()) + " is too slow to refill;"
              + " raise the amount or lower the burst"));
      ok = false;
    }
    BitSet covered = targets.resolve(id.substring(0, id.lastIndexOf('.')), q.targets());
    if (covered == null || !ok) {
      return null;
    }
    Env scope = typing.scope(covered);
    Checked key = null;
    if (q.key() != null) {
      key = typing.check(q.key(), scope, false);
      if (key == null) {
        return null;
      }
      if (!KEY_TYPES.contains(Type.unwrap(key.type()))) {
        diagnostics.add(Diagnostic.error("check.type_mismatch", q.key().span(), "a quota's key is a `string`, `int`,"
                + " `ip` or `bool`, found `" + key.type().display() + "`")
            .withHelp("key by one value, such as `by principal.id` or `by source.ip`; join two with `+`"));
        return null;
      }
    }
    Checked cost = null;
    if (costClause != null) {
      cost = typing.check(costClause.cost(), scope, false);
      if (cost == null) {
        return null;
      }
      if (cost.type() != Type.INT) {
        diagnostics.add(Diagnostic.error("check.type_mismatch", costClause.cost().span(), "a quota's cost is an `int`,"
                + " found `" + cost.type().display() + "`")
            .withHelp(Type.unwrap(cost.type()) == Type.INT ? "give the absent case a value: `cost (EXPR) ? 1`"
                : "the cost is how many tokens the request takes, such as `cost 5`"));
        return null;
      }
    }
    List<CheckedCondition> conditions = typing.conditions(q.conditions(), covered);
    if (conditions == null) {
      return null;
    }
    Span at = q.span();
    Quota spec = new Quota(id, q.name(), new RuleRef(id, (q.shadow() ? "shadow " : "") + "quota", at.fileLine()),
        q.amount(), period, burst, global, fallback, share, q.shadow());
    return new CheckedQuota(spec, covered, key, conditions, cost, at);
  }

  /** A duration as the language writes it: `300d`, `90s`, `1h30m`. */
  static String written(java.time.Duration d) {
    StringBuilder b = new StringBuilder();
    long ms = d.toMillis();
    long[] units = {86_400_000L, 3_600_000L, 60_000L, 1_000L, 1L};
    String[] names = {"d", "h", "m", "s", "ms"};
    for (int i = 0; i < units.length; i++) {
      if (ms >= units[i]) {
        b.append(ms / units[i]).append(names[i]);
        ms %= units[i];
      }
    }
    return b.isEmpty() ? "0s" : b.toString();
  }

  private boolean badForm(Decl.QuotaClause c, String form) {
    diagnostics.add(Diagnostic.error("check.bad_quota", c.span(), "`" + c.item() + "` is written " + form));
    return false;
  }
}
