package dev.warden.policy.compile;

import dev.warden.policy.check.Checked;
import dev.warden.policy.runtime.RecordValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A data path such as `data.orders[orderId].owner`, compiled to one closure that walks an array
 * of steps in a loop: the common shape of ownership and tenant conditions runs without a chain
 * of closure calls. Only paths whose keys are constants, path parameters or locals qualify;
 * anything else compiles node by node.
 */
final class PathEval implements Eval {
  private static final int FIELD = 0;
  private static final int KEY_CONST = 1;
  private static final int KEY_PARAM = 2;
  private static final int KEY_LOCAL = 3;

  private final int docSlot;
  private final int[] ops;
  private final int[] ints;
  private final Object[] keys;

  private PathEval(int docSlot, int[] ops, int[] ints, Object[] keys) {
    this.docSlot = docSlot;
    this.ops = ops;
    this.ints = ints;
    this.keys = keys;
  }

  /** The fused path, or null when {@code c} is not a data path of the supported shape. */
  static PathEval of(Checked c, Map<String, Integer> params) {
    List<Checked> steps = new ArrayList<>();
    Checked cur = c;
    while (cur instanceof Checked.Field || cur instanceof Checked.Index) {
      steps.add(0, cur);
      cur = cur instanceof Checked.Field f ? f.target() : ((Checked.Index) cur).target();
    }
    if (!(cur instanceof Checked.DataDoc doc) || steps.isEmpty()) {
      return null;
    }
    int n = steps.size();
    int[] ops = new int[n];
    int[] ints = new int[n];
    Object[] keys = new Object[n];
    for (int i = 0; i < n; i++) {
      Checked s = steps.get(i);
      if (s instanceof Checked.Field f) {
        ops[i] = FIELD;
        ints[i] = f.fieldId();
        continue;
      }
      Checked key = ((Checked.Index) s).key();
      if (key instanceof Checked.Const k && k.value() instanceof String) {
        ops[i] = KEY_CONST;
        keys[i] = k.value();
      } else if (key instanceof Checked.Param p && key.type() == dev.warden.policy.types.Type.STRING) {
        ops[i] = KEY_PARAM;
        ints[i] = params.get(p.name());
      } else if (key instanceof Checked.Local l && key.type() == dev.warden.policy.types.Type.STRING) {
        ops[i] = KEY_LOCAL;
        ints[i] = l.slot();
      } else {
        return null;
      }
    }
    return new PathEval(doc.slot(), ops, ints, keys);
  }

  @Override
  public Object eval(Frame f) {
    Object v = f.data[docSlot];
    for (int i = 0; i < ops.length && v != null; i++) {
      f.step();
      if (ops[i] == FIELD) {
        v = ((RecordValue) v).get(ints[i]);
        continue;
      }
      Object key = ops[i] == KEY_CONST ? keys[i] : ops[i] == KEY_PARAM ? f.params[ints[i]] : f.locals[ints[i]];
      v = v instanceof Map<?, ?> m ? m.get(key) : v instanceof RecordValue r ? r.get((String) key) : null;
    }
    return v;
  }
}
