package dev.warden.policy.ast;

import dev.warden.policy.diag.Span;
import java.util.List;

/** An expression as written. Types and name resolution come from the checker. */
public sealed interface Expr {
  Span span();

  /** A literal; {@code value} is a String, Long, BigDecimal, Boolean, Duration or Instant. */
  record Literal(Span span, Object value) implements Expr {}

  /** A bare name: a root (`request`, `principal`, `data`, …), a path parameter or a binding. */
  record Name(Span span, String name) implements Expr {}

  /** `target.name`. */
  record Member(Span span, Expr target, String name, Span nameSpan) implements Expr {}

  /** `target[index]`. */
  record Index(Span span, Expr target, Expr index) implements Expr {}

  /** `name(args)`: a built-in function such as `ip("10.0.0.1")`. */
  record Call(Span span, String function, Span nameSpan, List<Expr> args) implements Expr {
    public Call {
      args = List.copyOf(args);
    }
  }

  /** `target.method(args)`: a built-in method such as `s.startsWith("x")`. */
  record MethodCall(Span span, Expr target, String method, Span nameSpan, List<Expr> args)
      implements Expr {
    public MethodCall {
      args = List.copyOf(args);
    }
  }

  /** `not e` or `-e`. */
  record Unary(Span span, UnaryOp op, Expr operand) implements Expr {}

  /** A binary operator; `a ? b` is {@link BinaryOp#DEFAULT}. */
  record Binary(Span span, BinaryOp op, Expr left, Expr right) implements Expr {}

  /** `principal is admin`. */
  record Is(Span span, Expr subject, String role, Span roleSpan) implements Expr {}

  /** `e matches "re2 pattern"`. */
  record Matches(Span span, Expr subject, String pattern, Span patternSpan) implements Expr {}

  /** `has e`: whether an optional value is present. */
  record Has(Span span, Expr operand) implements Expr {}

  /** `any x in xs: body` or `all x in xs: body`. */
  record Quantifier(Span span, boolean all, String var, Span varSpan, Expr collection, Expr body)
      implements Expr {}

  /** `[a, b]`. */
  record ListLiteral(Span span, List<Expr> items) implements Expr {
    public ListLiteral {
      items = List.copyOf(items);
    }
  }

  /** `{name: expr, …}`. */
  record RecordLiteral(Span span, List<FieldInit> fields) implements Expr {
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
