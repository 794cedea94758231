package dev.warden.policy.ast;

import dev.warden.policy.diag.Span;
import java.util.List;

/** A type as written in the source: `string`, `list<int>`, `{owner: string}`, `string?`. */
public sealed interface TypeRef {
  Span span();

  record Named(Span span, String name, List<TypeRef> args) implements TypeRef {
    public Named {
      args = List.copyOf(args);
    }
  }

  record Record(Span span, List<Field> fields) implements TypeRef {
    public Record {
      fields = List.copyOf(fields);
    }
  }

  record Optional(Span span, TypeRef inner) implements TypeRef {}

  record Field(Span span, String name, boolean optional, TypeRef type) {}
}
