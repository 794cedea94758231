package dev.warden.policy.compile;

import dev.warden.policy.ast.Expr;
import dev.warden.policy.ast.Expr.BinaryOp;
import dev.warden.policy.check.Checked;
import dev.warden.policy.check.ExprPrinter;
import dev.warden.policy.runtime.Cidr;
import dev.warden.policy.runtime.IpAddress;
import dev.warden.policy.runtime.Printable;
import dev.warden.policy.runtime.RecordValue;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Says why a condition had the value it had, with the values it compared: {@code principal.id
 * ("mallory") == data.orders[orderId].owner ("alice") is false}. Built at compile time as a tree
 * that pairs the expression as written with its checked form, and run only when someone reads
 * an explanation (tests, `warden eval --explain`, debug logs): it evaluates the compared parts
 * again, on a copy of the decision's frame, so deciding itself does no extra work; the parts are
 * compiled the first time they are explained.
 */
abstract class Explainer {
  private static final Set<BinaryOp> COMPARISONS =
      EnumSet.of(BinaryOp.EQ, BinaryOp.NE, BinaryOp.LT, BinaryOp.LE, BinaryOp.GT, BinaryOp.GE, BinaryOp.IN,
          BinaryOp.NOT_IN);
  /** The most elements of a collection shown. */
  private static final int MAX_ITEMS = 5;

  final String text;

  private Explainer(String text) {
    this.text = text;
  }

  /**
   * Why the expression is not {@code wanted}, when it is not; the caller knows it is not. Never
   * throws: a part that cannot be evaluated again is shown as such.
   */
  abstract String why(Frame f, boolean wanted);

  /**
   * Builds the tree for a condition, named by {@code text} as the author wrote it; {@code compile}
   * turns a checked part into a closure.
   */
  static Explainer of(String text, Expr source, Checked checked, Function<Checked, Eval> compile) {
    if (source instanceof Expr.Binary b && checked instanceof Checked.Binary c && b.op() == c.op()) {
      if (COMPARISONS.contains(b.op())) {
        return new Comparison(text, b, c, compile);
      }
      if (b.op() == BinaryOp.AND || b.op() == BinaryOp.OR) {
        return new Junction(text, b.op() == BinaryOp.AND, part(b.left(), c.left(), compile),
            part(b.right(), c.right(), compile), new Lazy(c.left(), compile), new Lazy(c.right(), compile));
      }
    }
    if (source instanceof Expr.Unary u && u.op() == Expr.UnaryOp.NOT && checked instanceof Checked.Not n) {
      return new Negation(text, part(u.operand(), n.operand(), compile));
    }
    return new Leaf(text);
  }

  private static Explainer part(Expr source, Checked checked, Function<Checked, Eval> compile) {
    return of(ExprPrinter.print(source), source, checked, compile);
  }

  /** A part we do not take apart: its text and the value it did not have. */
  private static final class Leaf extends Explainer {
    Leaf(String text) {
      super(text);
    }

    @Override
    String why(Frame f, boolean wanted) {
      return "`" + text + "` is " + !wanted;
    }
  }

  private static final class Negation extends Explainer {
    private final Explainer operand;

    Negation(String text, Explainer operand) {
      super(text);
      this.operand = operand;
    }

    @Override
    String why(Frame f, boolean wanted) {
      return "`" + text + "` is " + !wanted + ": " + operand.why(f, !wanted);
    }
  }

  /**
   * `a and b`, `a or b`. An `and` that is false is false because of its first false part; an
   * `or` that is false because of every part; the other way round for the wanted value false.
   */
  private static final class Junction extends Explainer {
    private final boolean and;
    private final Explainer left;
    private final Explainer right;
    private final Lazy leftEval;
    private final Lazy rightEval;

    Junction(String text, boolean and, Explainer left, Explainer right, Lazy leftEval, Lazy rightEval) {
      super(text);
      this.and = and;
      this.left = left;
      this.right = right;
      this.leftEval = leftEval;
      this.rightEval = rightEval;
    }

    @Override
    String why(Frame f, boolean wanted) {
      // An `and` that is not true, or an `or` that is not false: one part decides.
      boolean onePart = and == wanted;
      Boolean l = truth(leftEval, f);
      String head = "`" + text + "` is " + !wanted + ": ";
      if (onePart) {
        if (l == null) {
          return head + "`" + left.text + "` could not be evaluated";
        }
        if (l != wanted) {
          return head + left.why(f, wanted);
        }
        return head + right.why(f, wanted);
      }
      // Every part had the value that made the whole what it is.
      return head + left.why(f, wanted) + "; " + right.why(f, wanted);
    }

    private static Boolean truth(Lazy e, Frame f) {
      try {
        return e.get().eval(f.copy()) == Boolean.TRUE;
      } catch (RuntimeException ex) {
        return null;
      }
    }
  }

  /** `a == b`, `a < b`, `a in b`, …: both sides with their values. */
  private static final class Comparison extends Explainer {
    private final String op;
    private final Side left;
    private final Side right;

    Comparison(String text, Expr.Binary b, Checked.Binary c, Function<Checked, Eval> compile) {
      super(text);
      this.op = b.op().symbol;
      this.left = new Side(b.left(), c.left(), compile);
      this.right = new Side(b.right(), c.right(), compile);
    }

    @Override
    String why(Frame f, boolean wanted) {
      return left.show(f) + " " + op + " " + right.show(f) + " is " + !wanted;
    }
  }

  /** One side of a comparison: its text and, unless it is a literal, its value. */
  private static final class Side {
    private final String text;
    private final Lazy eval;

    Side(Expr source, Checked checked, Function<Checked, Eval> compile) {
      String t = ExprPrinter.print(source);
      boolean compound = source instanceof Expr.Binary || source instanceof Expr.Quantifier
          || source instanceof Expr.Is || source instanceof Expr.Matches;
      this.text = compound ? "(" + t + ")" : t;
      this.eval = isLiteral(source) ? null : new Lazy(checked, compile);
    }

    private static boolean isLiteral(Expr e) {
      return e instanceof Expr.Literal || e instanceof Expr.ListLiteral l && l.items().stream().allMatch(Side::isLiteral);
    }

    String show(Frame f) {
      if (eval == null) {
        return text;
      }
      String value;
      try {
        value = value(eval.get().eval(f.copy()));
      } catch (EvalException e) {
        value = "error: " + e.getMessage();
      } catch (RuntimeException e) {
        value = "error";
      }
      return text + " (" + value + ")";
    }
  }

  /**
   * A part compiled the first time an explanation needs it, not with the bundle: most parts are
   * never explained, and compiling them all would double the compile stage of a large bundle.
   * {@code compile} must be safe to call from any thread (the compiler serializes it).
   */
  static final class Lazy {
    private final Checked checked;
    private final Function<Checked, Eval> compile;
    // Benign race: two threads may both compile the same part; either closure is the same.
    private volatile Eval eval;

    Lazy(Checked checked, Function<Checked, Eval> compile) {
      this.checked = checked;
      this.compile = compile;
    }

    Eval get() {
      Eval e = eval;
      if (e == null) {
        e = compile.apply(checked);
        eval = e;
      }
      return e;
    }
  }

  /** A runtime value as policy text, short: long strings and collections are cut. */
  static String value(Object v) {
    StringBuilder b = new StringBuilder();
    value(v, b, 0);
    return b.toString();
  }

  private static void value(Object v, StringBuilder b, int depth) {
    if (v == null) {
      b.append("absent");
    } else if (v instanceof String s) {
      // Quotes and backslashes escaped first, so that what Printable escapes stays unambiguous.
      b.append('"').append(Printable.of(s.replace("\\", "\\\\").replace("\"", "\\\""))).append('"');
    } else if (v instanceof Long || v instanceof BigDecimal || v instanceof Boolean) {
      b.append(v instanceof BigDecimal d ? d.toPlainString() : v.toString());
    } else if (v instanceof Duration || v instanceof Instant) {
      b.append(ExprPrinter.literal(v));
    } else if (v instanceof IpAddress || v instanceof Cidr) {
      b.append(v);
    } else if (depth > 2) {
      b.append("…");
    } else if (v instanceof RecordValue r) {
      entries(r.asMap(), b, depth);
    } else if (v instanceof Map<?, ?> m) {
      entries(m, b, depth);
    } else if (v instanceof Collection<?> c) {
      b.append(v instanceof Set ? "{" : "[");
      Iterator<?> it = c.iterator();
      for (int i = 0; it.hasNext(); i++) {
        Object x = it.next();
        if (i == MAX_ITEMS) {
          b.append(", … (").append(c.size()).append(" in all)");
          break;
        }
        b.append(i == 0 ? "" : ", ");
        value(x, b, depth + 1);
      }
      b.append(v instanceof Set ? "}" : "]");
    } else {
      b.append(v);
    }
  }

  private static void entries(Map<?, ?> m, StringBuilder b, int depth) {
    b.append('{');
    List<Map.Entry<?, ?>> shown = new ArrayList<>();
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (shown.size() == MAX_ITEMS) {
        break;
      }
      shown.add(e);
    }
    for (int i = 0; i < shown.size(); i++) {
      b.append(i == 0 ? "" : ", ");
      Object k = shown.get(i).getKey();
      b.append(k instanceof String s && s.matches("[A-Za-z_][A-Za-z0-9_]*") ? s : value(k)).append(": ");
      value(shown.get(i).getValue(), b, depth + 1);
    }
    if (m.size() > MAX_ITEMS) {
      b.append(", … (").append(m.size()).append(" in all)");
    }
    b.append('}');
  }
}
