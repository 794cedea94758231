package dev.warden.policy.ast;

import dev.warden.policy.diag.Span;
import java.math.BigDecimal;
import java.util.List;

/**
 * A shape as written in a `schema` block: a type with the constraints a request value must meet
 * (`int(1..100)`, `string matches "^[a-z]+$"`, `"asc" | "desc"`, `{ sku: string, qty?: int }`).
 */
public sealed interface ShapeRef {
  Span span();

  /**
   * `int`, `string(..64)`, `list<S>(1..10)`, `string matches "re"`; {@code bounds} and
   * {@code pattern} are null when not written.
   */
  record Named(Span span, String name, List<ShapeRef> args, Bounds bounds, String pattern, Span patternSpan)
      implements ShapeRef {
    public Named {
      args = List.copyOf(args);
    }
  }

  /** `"a" | "b"`: one of these strings. */
  record Enum(Span span, List<String> values) implements ShapeRef {
    public Enum {
      values = List.copyOf(values);
    }
  }

  /** `{ f: S, g?: S }`. */
  record Record(Span span, List<Field> fields) implements ShapeRef {
    public Record {
      fields = List.copyOf(fields);
    }
  }

  /** `S?`: the field may be absent. */
  record Optional(Span span, ShapeRef inner) implements ShapeRef {}

  /** A record field; {@code optional} when written `name?:`. */
  record Field(Span span, String name, boolean optional, ShapeRef shape) {}

  /** `(lo..hi)`, either end null when open. */
  record Bounds(Span span, BigDecimal lo, BigDecimal hi) {}
}
