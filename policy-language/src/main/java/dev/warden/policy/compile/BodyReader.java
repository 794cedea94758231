package dev.warden.policy.compile;

import dev.warden.policy.runtime.Cidr;
import dev.warden.policy.runtime.IpAddress;
import dev.warden.policy.runtime.RecordValue;
import dev.warden.policy.types.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a parsed JSON body into evaluator values of the type its route gives `request.body`,
 * once per decision and only when a rule reads it ({@link Frame#body}). Strict: a body that
 * does not have the declared type as a whole (a required field missing, a string where a number
 * is declared) is absent, so a rule that reads it fails closed; fields the type does not declare
 * are not read. Every element and field visited costs one step, like any other value of that
 * size ({@link Cost}). The record shapes are made when the reader is compiled, so reading shares
 * nothing mutable between threads.
 */
final class BodyReader {
  private final Type type;
  private final Map<Type.RecordType, RecordReader> records = new IdentityHashMap<>();

  BodyReader(Type type, Values values) {
    this.type = type;
    prepare(type, values);
  }

  private record RecordReader(dev.warden.policy.runtime.Shape shape, List<String> names, List<Type> types) {}

  private void prepare(Type t, Values values) {
    Type base = Type.unwrap(t);
    if (base instanceof Type.ListType l) {
      prepare(l.element(), values);
    } else if (base instanceof Type.SetType s) {
      prepare(s.element(), values);
    } else if (base instanceof Type.MapType m) {
      prepare(m.value(), values);
    } else if (base instanceof Type.RecordType r && !records.containsKey(r)) {
      dev.warden.policy.runtime.Shape shape = values.shape(r.fields().keySet());
      List<String> names = new ArrayList<>(r.fields().keySet());
      List<Type> types = names.stream().map(r.fields()::get).toList();
      records.put(r, new RecordReader(shape, names, types));
      types.forEach(ft -> prepare(ft, values));
    }
  }

  /** Thrown inside a read when the body does not have the declared type. */
  private static final class Mismatch extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final Mismatch INSTANCE = new Mismatch();

    private Mismatch() {
      super(null, null, false, false);
    }
  }

  /** The body as a value of the declared type, or null when it does not have that type. */
  /** The type it reads values as. */
  Type type() {
    return type;
  }

  Object read(Object json, Frame f) {
    try {
      return read(json, type, f);
    } catch (Mismatch m) {
      return null;
    }
  }

  private Object read(Object v, Type t, Frame f) {
    if (t instanceof Type.Optional o) {
      return v == null ? null : read(v, o.inner(), f);
    }
    if (v == null) {
      throw Mismatch.INSTANCE;
    }
    if (t instanceof Type.Prim p) {
      return prim(v, p, f);
    }
    if (t instanceof Type.ListType l && v instanceof List<?> items) {
      f.charge(items.size());
      List<Object> out = new ArrayList<>(items.size());
      items.forEach(x -> out.add(read(x, l.element(), f)));
      return IndexedList.of(out);
    }
    if (t instanceof Type.SetType s && v instanceof List<?> items) {
      f.charge(items.size());
      Set<Object> out = new LinkedHashSet<>();
      items.forEach(x -> out.add(read(x, s.element(), f)));
      return IndexedSet.of(out);
    }
    if (t instanceof Type.MapType m && v instanceof Map<?, ?> entries) {
      f.charge(entries.size());
      Map<String, Object> out = new HashMap<>();
      entries.forEach((k, x) -> out.put((String) k, read(x, m.value(), f)));
      return Collections.unmodifiableMap(out);
    }
    if (t instanceof Type.RecordType r && v instanceof Map<?, ?> fields) {
      RecordReader reader = records.get(r);
      f.charge(reader.names().size());
      Object[] out = new Object[reader.names().size()];
      for (int i = 0; i < out.length; i++) {
        String name = reader.names().get(i);
        out[reader.shape().slotOf(name)] = read(fields.get(name), reader.types().get(i), f);
      }
      return new RecordValue(reader.shape(), out);
    }
    throw Mismatch.INSTANCE;
  }

  private static Object prim(Object v, Type.Prim p, Frame f) {
    switch (p) {
      case STRING -> {
        if (v instanceof String s) {
          return s;
        }
      }
      case BOOL -> {
        if (v instanceof Boolean b) {
          return b;
        }
      }
      case INT -> {
        if (v instanceof Long l) {
          return l;
        }
        if (v instanceof BigDecimal d) {
          try {
            return d.longValueExact();
          } catch (ArithmeticException e) {
            throw Mismatch.INSTANCE;
          }
        }
      }
      case DECIMAL -> {
        if (v instanceof Long l) {
          return BigDecimal.valueOf(l);
        }
        if (v instanceof BigDecimal d) {
          return d;
        }
        if (v instanceof BigInteger i) {
          return new BigDecimal(i);
        }
      }
      case TIME -> {
        if (v instanceof String s) {
          Cost.chars(f, s.length());
          try {
            return Instant.parse(s);
          } catch (DateTimeParseException e) {
            throw Mismatch.INSTANCE;
          }
        }
      }
      case IP -> {
        IpAddress ip = v instanceof String s ? IpAddress.parse(s) : null;
        if (ip != null) {
          return ip;
        }
      }
      case CIDR -> {
        Cidr cidr = v instanceof String s ? Cidr.parse(s) : null;
        if (cidr != null) {
          return cidr;
        }
      }
      default -> {
        // DURATION and NOTHING are not JSON body types.
      }
    }
    throw Mismatch.INSTANCE;
  }
}
