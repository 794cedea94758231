package dev.warden.policy.check;

import dev.warden.policy.ast.Expr.BinaryOp;
import dev.warden.policy.diag.Span;
import dev.warden.policy.types.Type;
import java.util.List;

/**
 * A checked expression: every name resolved, every node typed. This is what the compiler turns
 * into an executable program; nothing here is looked up by name again.
 */
public sealed interface Checked {
  Type type();

  Span span();

  /** A constant, folded at check time. {@code value} is null for an absent optional. */
  record Const(Span span, Type type, Object value) implements Checked {}

  /** A field of the fixed request model (`request.method`, `source.ip`, …). */
  record Input(Span span, InputField field) implements Checked {
    @Override
    public Type type() {
      return field.type;
    }
  }

  /** A declared principal field, by its slot in the principal. */
  record PrincipalField(Span span, Type type, String name, int slot) implements Checked {}

  /** A data document, by its slot in the bundle's data. */
  record DataDoc(Span span, Type type, String name, int slot) implements Checked {}

  /** A path parameter of the matched route; each route compiles its own slot. */
  record Param(Span span, Type type, String name) implements Checked {}

  /** A quantifier's variable, by its slot in the evaluation frame. */
  record Local(Span span, Type type, String name, int slot) implements Checked {}

  /**
   * `target.name` on a record. {@code fieldId} numbers field names across the bundle so that the
   * runtime finds a field with two array loads. When {@code target} is optional the access is
   * optional too.
   */
  record Field(Span span, Type type, Checked target, String name, int fieldId) implements Checked {}

  /** `target[key]` on a list, map or record. */
  record Index(Span span, Type type, Checked target, Checked key) implements Checked {}

  /** A built-in function or method. */
  record Call(Span span, Type type, Builtin function, List<Checked> args) implements Checked {
    public Call {
      args = List.copyOf(args);
    }
  }

  record Not(Span span, Checked operand) implements Checked {
    @Override
    public Type type() {
      return Type.BOOL;
    }
  }

  record Negate(Span span, Type type, Checked operand) implements Checked {}

  /** A binary operator; for `and`/`or` the right side is evaluated only when needed. */
  record Binary(Span span, Type type, BinaryOp op, Checked left, Checked right) implements Checked {}

  /** `has e`. */
  record Has(Span span, Checked operand) implements Checked {
    @Override
    public Type type() {
      return Type.BOOL;
    }
  }

  /** `principal is role`: {@code roleId} indexes the flattened role table. */
  record IsRole(Span span, String role, int roleId) implements Checked {
    @Override
    public Type type() {
      return Type.BOOL;
    }
  }

  /** `e matches "…"`, with the pattern compiled once at check time (RE2 semantics). */
  record Matches(Span span, Checked subject, com.google.re2j.Pattern pattern) implements Checked {
    @Override
    public Type type() {
      return Type.BOOL;
    }
  }

  /** `any`/`all` over a list, set or map keys. */
  record Quantifier(Span span, boolean all, int slot, Checked collection, Checked body)
      implements Checked {
    @Override
    public Type type() {
      return Type.BOOL;
    }
  }

  record ListOf(Span span, Type type, List<Checked> items) implements Checked {
    public ListOf {
      items = List.copyOf(items);
    }
  }

  record RecordOf(Span span, Type type, List<String> names, List<Checked> values) implements Checked {
    public RecordOf {
      names = List.copyOf(names);
      values = List.copyOf(values);
    }
  }
}
