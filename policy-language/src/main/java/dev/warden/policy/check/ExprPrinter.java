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
    e.accept(new Printer(b));
  }

  /** Appends one node; see {@link Expr.Visitor}. */
  private record Printer(StringBuilder b) implements Expr.Visitor<Void> {
    @Override
    public Void visit(Expr.Literal l) {
      b.append(literal(l.value()));
      return null;
    }

    @Override
    public Void visit(Expr.Name n) {
      b.append(n.name());
      return null;
    }

    @Override
    public Void visit(Expr.Member m) {
      print(m.target(), b);
      b.append('.').append(m.name());
      return null;
    }

    @Override
    public Void visit(Expr.Index i) {
      print(i.target(), b);
      b.append('[');
      print(i.index(), b);
      b.append(']');
      return null;
    }

    @Override
    public Void visit(Expr.Call c) {
      b.append(c.function()).append('(').append(list(c.args())).append(')');
      return null;
    }

    @Override
    public Void visit(Expr.MethodCall m) {
      print(m.target(), b);
      b.append('.').append(m.method()).append('(').append(list(m.args())).append(')');
      return null;
    }

    @Override
    public Void visit(Expr.Unary u) {
      b.append(u.op() == Expr.UnaryOp.NOT ? "not " : "-");
      operand(u.operand(), b);
      return null;
    }

    @Override
    public Void visit(Expr.Binary bin) {
      operand(bin.left(), b);
      b.append(' ').append(bin.op().symbol).append(' ');
      operand(bin.right(), b);
      return null;
    }

    @Override
    public Void visit(Expr.Is is) {
      print(is.subject(), b);
      b.append(" is ").append(is.role());
      return null;
    }

    @Override
    public Void visit(Expr.Matches m) {
      operand(m.subject(), b);
      b.append(" matches ").append(literal(m.pattern()));
      return null;
    }

    @Override
    public Void visit(Expr.Has h) {
      b.append("has ");
      operand(h.operand(), b);
      return null;
    }

    @Override
    public Void visit(Expr.Quantifier q) {
      b.append(q.all() ? "all " : "any ").append(q.var()).append(" in ");
      print(q.collection(), b);
      b.append(": ");
      print(q.body(), b);
      return null;
    }

    @Override
    public Void visit(Expr.ListLiteral l) {
      b.append('[').append(list(l.items())).append(']');
      return null;
    }

    @Override
    public Void visit(Expr.RecordLiteral r) {
      b.append('{')
          .append(r.fields().stream().map(f -> f.name() + ": " + print(f.value())).collect(Collectors.joining(", ")))
          .append('}');
      return null;
    }

    private static String list(java.util.List<Expr> items) {
      return items.stream().map(ExprPrinter::print).collect(Collectors.joining(", "));
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

  /** A literal value as policy text: strings quoted and escaped, durations as `30s` or `250ms`. */
  public static String literal(Object v) {
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
