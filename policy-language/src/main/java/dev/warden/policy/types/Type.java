package dev.warden.policy.types;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The static type of an expression. Types are values: equal types are equal objects. A value
 * that may be absent has an {@link Optional} type, and the checker refuses to use it where a
 * present value is needed.
 */
public sealed interface Type {
  /** How the type is written in the language, for messages. */
  String display();

  Prim BOOL = Prim.BOOL;
  Prim INT = Prim.INT;
  Prim DECIMAL = Prim.DECIMAL;
  Prim STRING = Prim.STRING;
  Prim DURATION = Prim.DURATION;
  Prim TIME = Prim.TIME;
  Prim IP = Prim.IP;
  Prim CIDR = Prim.CIDR;
  /** The type of `null` in data and of the items of an empty list: fits any optional. */
  Prim NOTHING = Prim.NOTHING;

  /** Scalar types. */
  enum Prim implements Type {
    BOOL,
    INT,
    DECIMAL,
    STRING,
    DURATION,
    TIME,
    IP,
    CIDR,
    NOTHING;

    @Override
    public String display() {
      return name().toLowerCase();
    }
  }

  record ListType(Type element) implements Type {
    @Override
    public String display() {
      return "list<" + element.display() + ">";
    }
  }

  record SetType(Type element) implements Type {
    @Override
    public String display() {
      return "set<" + element.display() + ">";
    }
  }

  /** A map with string keys. */
  record MapType(Type value) implements Type {
    @Override
    public String display() {
      return "map<string, " + value.display() + ">";
    }
  }

  /** A record with named fields, sorted by name; optional fields have an Optional type. */
  record RecordType(Map<String, Type> fields) implements Type {
    public RecordType {
      fields = Collections.unmodifiableMap(new TreeMap<>(fields));
    }

    @Override
    public String display() {
      List<String> parts = new ArrayList<>();
      for (Map.Entry<String, Type> e : fields.entrySet()) {
        if (parts.size() == 6) {
          parts.add("… " + (fields.size() - 6) + " more");
          break;
        }
        Type t = e.getValue();
        parts.add(t instanceof Optional o ? e.getKey() + "?: " + o.inner().display() : e.getKey() + ": " + t.display());
      }
      return "{" + String.join(", ", parts) + "}";
    }
  }

  record Optional(Type inner) implements Type {
    @Override
    public String display() {
      return inner.display() + "?";
    }
  }

  static Type optional(Type t) {
    return t instanceof Optional ? t : new Optional(t);
  }

  static Type unwrap(Type t) {
    return t instanceof Optional o ? o.inner() : t;
  }

  static RecordType record(Map<String, Type> fields) {
    return new RecordType(new LinkedHashMap<>(fields));
  }

  static boolean isNumeric(Type t) {
    return t == INT || t == DECIMAL;
  }

  /** Whether a value of type {@code from} may be used where {@code to} is expected. */
  static boolean assignable(Type from, Type to) {
    if (from.equals(to) || from == NOTHING && to instanceof Optional) {
      return true;
    }
    if (to instanceof Optional o) {
      return assignable(unwrap(from), o.inner());
    }
    if (from instanceof Optional) {
      return false;
    }
    if (from == INT && to == DECIMAL) {
      return true;
    }
    if (from instanceof ListType l) {
      return (to instanceof ListType tl && assignable(l.element(), tl.element()))
          || (to instanceof SetType ts && assignable(l.element(), ts.element()));
    }
    if (from instanceof SetType s && to instanceof SetType ts) {
      return assignable(s.element(), ts.element());
    }
    if (from instanceof MapType m && to instanceof MapType tm) {
      return assignable(m.value(), tm.value());
    }
    if (from instanceof RecordType r && to instanceof MapType tm) {
      return r.fields().values().stream().allMatch(v -> assignable(v, tm.value()));
    }
    if (from instanceof RecordType r && to instanceof RecordType tr) {
      for (Map.Entry<String, Type> e : tr.fields().entrySet()) {
        Type have = r.fields().get(e.getKey());
        if (have == null ? !(e.getValue() instanceof Optional) : !assignable(have, e.getValue())) {
          return false;
        }
      }
      return tr.fields().keySet().containsAll(r.fields().keySet());
    }
    return false;
  }

  /**
   * The narrowest type that both values fit, used to infer a type for data and list literals;
   * empty when they have nothing in common (a string and a number).
   */
  static java.util.Optional<Type> join(Type a, Type b) {
    if (a.equals(b)) {
      return java.util.Optional.of(a);
    }
    if (a == NOTHING) {
      return java.util.Optional.of(optional(b));
    }
    if (b == NOTHING) {
      return java.util.Optional.of(optional(a));
    }
    if (a instanceof Optional || b instanceof Optional) {
      return join(unwrap(a), unwrap(b)).map(Type::optional);
    }
    if (isNumeric(a) && isNumeric(b)) {
      return java.util.Optional.of(DECIMAL);
    }
    if (a instanceof ListType la && b instanceof ListType lb) {
      return join(la.element(), lb.element()).map(ListType::new);
    }
    if (a instanceof MapType ma && b instanceof MapType mb) {
      return join(ma.value(), mb.value()).map(MapType::new);
    }
    if (a instanceof RecordType ra && b instanceof RecordType rb) {
      Map<String, Type> fields = new TreeMap<>();
      for (String name : union(ra.fields().keySet(), rb.fields().keySet())) {
        Type fa = ra.fields().get(name);
        Type fb = rb.fields().get(name);
        if (fa == null || fb == null) {
          fields.put(name, optional(fa == null ? fb : fa));
        } else {
          java.util.Optional<Type> j = join(fa, fb);
          if (j.isEmpty()) {
            return java.util.Optional.empty();
          }
          fields.put(name, j.get());
        }
      }
      return java.util.Optional.of(new RecordType(fields));
    }
    return java.util.Optional.empty();
  }

  private static List<String> union(java.util.Set<String> a, java.util.Set<String> b) {
    java.util.TreeSet<String> all = new java.util.TreeSet<>(a);
    all.addAll(b);
    return new ArrayList<>(all);
  }
}
