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

  /** Dispatches to the visitor method for this node type. */
  <R> R accept(Visitor<R> v);

  /**
   * One method per node type. Adding a node type fails to compile until its record implements
   * {@code accept} and every visitor handles it: branching over nodes cannot miss one.
   */
  interface Visitor<R> {
    R visit(Const node);

    R visit(Input node);

    R visit(PrincipalField node);

    R visit(DataDoc node);

    R visit(Param node);

    R visit(Local node);

    R visit(Field node);

    R visit(Index node);

    R visit(Call node);

    R visit(Not node);

    R visit(Negate node);

    R visit(Binary node);

    R visit(Has node);

    R visit(IsRole node);

    R visit(Matches node);

    R visit(Quantifier node);

    R visit(ListOf node);

    R visit(RecordOf node);
  }

  /** A constant, folded at check time. {@code value} is null for an absent optional. */
  record Const(Span span, Type type, Object value) implements Checked {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /**
   * A field of the request model (`request.method`, `source.ip`, …), with its type where it is
   * read: `request.body` is typed by the routes the rule covers ({@link RequestModel}).
   */
  record Input(Span span, InputField field, Type type) implements Checked {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /** A declared principal field, by its slot in the principal. */
  record PrincipalField(Span span, Type type, String name, int slot) implements Checked {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /** A data document, by its slot in the bundle's data. */
  record DataDoc(Span span, Type type, String name, int slot) implements Checked {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /** A path parameter of the matched route; each route compiles its own slot. */
  record Param(Span span, Type type, String name) implements Checked {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /** A quantifier's variable, by its slot in the evaluation frame. */
  record Local(Span span, Type type, String name, int slot) implements Checked {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /**
   * `target.name` on a record. {@code fieldId} numbers field names across the bundle so that the
   * runtime finds a field with two array loads. When {@code target} is optional the access is
   * optional too.
   */
  record Field(Span span, Type type, Checked target, String name, int fieldId) implements Checked {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /** `target[key]` on a list, map or record. */
  record Index(Span span, Type type, Checked target, Checked key) implements Checked {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /** A built-in function or method. */
  record Call(Span span, Type type, Builtin function, List<Checked> args) implements Checked {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }

    public Call {
      args = List.copyOf(args);
    }
  }

  record Not(Span span, Checked operand) implements Checked {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }

    @Override
    public Type type() {
      return Type.BOOL;
    }
  }

  record Negate(Span span, Type type, Checked operand) implements Checked {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /** A binary operator; for `and`/`or` the right side is evaluated only when needed. */
  record Binary(Span span, Type type, BinaryOp op, Checked left, Checked right) implements Checked {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }
  }

  /** `has e`. */
  record Has(Span span, Checked operand) implements Checked {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }

    @Override
    public Type type() {
      return Type.BOOL;
    }
  }

  /** `principal is role`: {@code roleId} indexes the flattened role table. */
  record IsRole(Span span, String role, int roleId) implements Checked {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }

    @Override
    public Type type() {
      return Type.BOOL;
    }
  }

  /** `e matches "…"`, with the pattern compiled once at check time (RE2 semantics). */
  record Matches(Span span, Checked subject, com.google.re2j.Pattern pattern) implements Checked {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }

    @Override
    public Type type() {
      return Type.BOOL;
    }
  }

  /** `any`/`all` over a list, set or map keys. */
  record Quantifier(Span span, boolean all, int slot, Checked collection, Checked body)
      implements Checked {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }

    @Override
    public Type type() {
      return Type.BOOL;
    }
  }

  record ListOf(Span span, Type type, List<Checked> items) implements Checked {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }

    public ListOf {
      items = List.copyOf(items);
    }
  }

  record RecordOf(Span span, Type type, List<String> names, List<Checked> values) implements Checked {
    @Override
    public <R> R accept(Visitor<R> v) {
      return v.visit(this);
    }

    public RecordOf {
      names = List.copyOf(names);
      values = List.copyOf(values);
    }
  }
}
