package dev.warden.policy.ast;

import dev.warden.policy.diag.Span;
import java.util.List;

/** An expression as written. Types and name resolution come from the checker. */
public sealed interface Expr {
  Span span();

  /** Dispatches to the visitor method for this node type. */
  <R> R accept(Visitor<R> v);

  /**
   * One method per node type. Adding a node type fails to compile until its record implements
   * {@code accept} and every visitor handles it: branching over nodes cannot miss one.
   */
  interface Visitor<R> {
    R visit(Literal node);

    R visit(Name node);

    R visit(Member node);

    R visit(Index node);

    R visit(Call node);

    R visit(MethodCall node);

    R visit(Unary node);

    R visit(Binary node);

    R visit(Is node);

    R visit(Matches node);

    R visit(Has node);

    R visit(Quantifier node);

    R visit(ListLiteral node);

    R visit(RecordLiteral node);
  }

  /** A literal; {@code value} is a String, Long, BigDecimal, Boolean, Duration or Instant. */
  record Literal(Span span, Object value) implements Expr {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /** A bare name: a root (`request`, `principal`, `data`, …), a path parameter or a binding. */
  record Name(Span span, String name) implements Expr {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /** `target.name`. */
  record Member(Span span, Expr target, String name, Span nameSpan) implements Expr {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /** `target[index]`. */
  record Index(Span span, Expr target, Expr index) implements Expr {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /** `name(args)`: a built-in function such as `ip("10.0.0.1")`. */
  record Call(Span span, String function, Span nameSpan, List<Expr> args) implements Expr {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }

    public Call {
      args = List.copyOf(args);
    }
  }

  /** `target.method(args)`: a built-in method such as `s.startsWith("x")`. */
  record MethodCall(Span span, Expr target, String method, Span nameSpan, List<Expr> args)
      implements Expr {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }

    public MethodCall {
      args = List.copyOf(args);
    }
  }

  /** `not e` or `-e`. */
  record Unary(Span span, UnaryOp op, Expr operand) implements Expr {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /** A binary operator; `a ? b` is {@link BinaryOp#DEFAULT}. */
  record Binary(Span span, BinaryOp op, Expr left, Expr right) implements Expr {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /** `principal is admin`. */
  record Is(Span span, Expr subject, String role, Span roleSpan) implements Expr {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /** `e matches "re2 pattern"`. */
  record Matches(Span span, Expr subject, String pattern, Span patternSpan) implements Expr {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /** `has e`: whether an optional value is present. */
  record Has(Span span, Expr operand) implements Expr {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /** `any x in xs: body` or `all x in xs: body`. */
  record Quantifier(Span span, boolean all, String var, Span varSpan, Expr collection, Expr body)
      implements Expr {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /** `[a, b]`. */
  record ListLiteral(Span span, List<Expr> items) implements Expr {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }

    public ListLiteral {
      items = List.copyOf(items);
    }
  }

  /** `{name: expr, …}`. */
  record RecordLiteral(Span span, List<FieldInit> fields) implements Expr {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }

    public RecordLiteral {
      fields = List.copyOf(fields);
    }
  }

  record FieldInit(Span span, String name, Expr value) {}

  enum UnaryOp {
    NOT("not"),
    NEGATE("-");

    public final String symbol;

    UnaryOp(String symbol) {
      this.symbol = symbol;
    }
  }

  enum BinaryOp {
    OR("or"),
    AND("and"),
    EQ("=="),
    NE("!="),
    LT("<"),
    LE("<="),
    GT(">"),
    GE(">="),
    IN("in"),
    NOT_IN("not in"),
    PLUS("+"),
    MINUS("-"),
    DEFAULT("?");

    public final String symbol;

    BinaryOp(String symbol) {
      this.symbol = symbol;
    }
  }
}
