package dev.warden.policy.compile;

import dev.warden.policy.diag.Span;
import dev.warden.policy.runtime.EvalError;
import dev.warden.policy.runtime.IpAddress;
import dev.warden.policy.runtime.Quota;
import dev.warden.policy.runtime.QuotaCharge;

/**
 * A `quota` compiled for one route: its conditions (as a rule's, so that the explanation can say
 * why it applied), its key and its cost. {@link #charge} is what an allowed request owes it.
 */
final class CompiledQuota {
  final Quota spec;
  /** The conditions, as a forbid's: an error in one makes the quota apply (fail closed). */
  final CompiledRule rule;
  /** The `by` key, or null: one bucket for every caller. */
  final Eval key;
  final Span keySpan;
  /** The `cost`, or null: 1. */
  final Eval cost;
  final Span costSpan;

  CompiledQuota(Quota spec, CompiledRule rule, Eval key, Span keySpan, Eval cost, Span costSpan) {
    this.spec = spec;
    this.rule = rule;
    this.key = key;
    this.keySpan = keySpan;
    this.cost = cost;
    this.costSpan = costSpan;
  }

  /**
   * What the request owes this quota; the conditions were found to apply. One step, the key's and
   * the cost's own. An absent key (`by source.ip` with no address) is a bucket of its own, the
   * empty key, which every such caller shares.
   */
  QuotaCharge charge(Frame f) {
    f.step();
    String k = "";
    if (key != null) {
      Object v = key.eval(f);
      k = v == null ? "" : v instanceof IpAddress ip ? ip.toString() : String.valueOf(v);
      Cost.chars(f, k.length());
    }
    long c = 1;
    if (cost != null) {
      c = (Long) cost.eval(f);
      if (c < 0) {
        throw new EvalException(EvalError.Kind.COST, costSpan, "the cost of quota `" + spec.id() + "` is " + c
            + ", below 0");
      }
    }
    return new QuotaCharge(spec, k, c);
  }
}
