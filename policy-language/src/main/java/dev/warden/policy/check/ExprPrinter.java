package dev.warden.policy.check;

import dev.warden.policy.ast.Expr;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Collectors;

/** Prints an expression back as policy text, for messages and explanations. */
public final class ExprPrinter {
  private ExprPrinter() {}

  public static String print(Expr e) {
    StringBuilder b = new StringBuilder();
    print(e, b);
    return b.toString();
  }

  private static void print(Expr e, StringBuilder b) {
    if (e instanceof Expr.Literal l) {
      b.append(literal(l.value()));
    } else if (e instanceof Expr.Name n) {
      b.append(n.name());
    } else if (e instanceof Expr.Member m) {
      print(m.target(), b);
      b.append('.').append(m.name());
    } else if (e instanceof Expr.Index i) {
      print(i.target(), b);
      b.append('[');
      print(i.index(), b);
      b.append(']');
    } else if (e instanceof Expr.Call c) {
      b.append(c.function()).append('(');
      b.append(c.args().stream().map(ExprPrinter::print).collect(Collectors.joining(", ")));
      b.append(')');
    } else if (e instanceof Expr.MethodCall m) {
      print(m.target(), b);
      b.append('.').append(m.method()).append('(');
      b.append(m.args().stream().map(ExprPrinter::print).collect(Collectors.joining(", ")));
      b.append(')');
    } else if (e instanceof Expr.Unary u) {
      b.append(u.op() == Expr.UnaryOp.NOT ? "not " : "-");
      operand(u.operand(), b);
    } else if (e instanceof Expr.Binary bin) {
      operand(bin.left(), b);
      b.append(' ').append(bin.op().symbol).append(' ');
      operand(bin.right(), b);
    } else if (e instanceof Expr.Is is) {
      print(is.subject(), b);
      b.append(" is ").append(is.role());
    } else if (e instanceof Expr.Matches m) {
      operand(m.subject(), b);
      b.append(" matches ").append(literal(m.pattern()));
    } else if (e instanceof Expr.Has h) {
      b.append("has ");
      operand(h.operand(), b);
    } else if (e instanceof Expr.Quantifier q) {
      b.append(q.all() ? "all " : "any ").append(q.var()).append(" in ");
      print(q.collection(), b);
      b.append(": ");
      print(q.body(), b);
    } else if (e instanceof Expr.ListLiteral l) {
      b.append('[').append(l.items().stream().map(ExprPrinter::print).collect(Collectors.joining(", "))).append(']');
    } else if (e instanceof Expr.RecordLiteral r) {
      b.append('{')
          .append(r.fields().stream().map(f -> f.name() + ": " + print(f.value())).collect(Collectors.joining(", ")))
          .append('}');
    }
  }

  private static void operand(Expr e, StringBuilder b) {
    boolean compound = e instanceof Expr.Binary || e instanceof Expr.Quantifier || e instanceof Expr.Is
        || e instanceof Expr.Matches;
    if (compound) {
      b.append('(');
    }
    print(e, b);
    if (compound) {
      b.append(')');
    }
  }

  static String literal(Object v) {
    if (v instanceof String s) {
      return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
    if (v instanceof Duration d) {
      return d.toMillis() % 1000 != 0 ? d.toMillis() + "ms" : d.toSeconds() + "s";
    }
    if (v instanceof Instant i) {
      return i.toString();
    }
    return String.valueOf(v);
  }
}
