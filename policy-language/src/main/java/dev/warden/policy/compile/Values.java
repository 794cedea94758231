package dev.warden.policy.compile;

import com.fasterxml.jackson.databind.JsonNode;
import dev.warden.policy.runtime.Cidr;
import dev.warden.policy.runtime.IpAddress;
import dev.warden.policy.runtime.RecordValue;
import dev.warden.policy.runtime.Shape;
import dev.warden.policy.types.Type;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runtime values and the operations on them. Values are: Boolean, Long, BigDecimal, String,
 * Duration, Instant, IpAddress, Cidr, List, Set, Map (string keys), RecordValue; null is an
 * absent optional.
 */
final class Values {
  private final List<String> fieldIds;
  private final Map<String, Shape> shapes = new HashMap<>();

  Values(List<String> fieldIds) {
    this.fieldIds = fieldIds;
  }

  /** The shared shape for a set of field names. */
  Shape shape(Collection<String> names) {
    List<String> sorted = new ArrayList<>(new java.util.TreeSet<>(names));
    return shapes.computeIfAbsent(String.join("\u0000", sorted), k -> new Shape(sorted, fieldIds));
  }

  RecordValue record(Map<String, Object> fields) {
    TreeMap<String, Object> sorted = new TreeMap<>(fields);
    return new RecordValue(shape(sorted.keySet()), sorted.values().toArray());
  }

  /** Converts checked JSON data to a runtime value of type {@code t}. */
  Object fromJson(JsonNode n, Type t) {
    if (n == null || n.isNull() || n.isMissingNode()) {
      return null;
    }
    Type base = Type.unwrap(t);
    if (base instanceof Type.Prim p) {
      return switch (p) {
        case BOOL -> n.asBoolean();
        case INT -> n.asLong();
        case DECIMAL -> n.decimalValue();
        case STRING -> n.asText();
        case DURATION -> Duration.parse(n.asText().startsWith("P") ? n.asText() : "PT" + n.asText().toUpperCase());
        case TIME -> Instant.parse(n.asText());
        case IP -> IpAddress.parse(n.asText());
        case CIDR -> Cidr.parse(n.asText());
        case NOTHING -> null;
      };
    }
    if (base instanceof Type.ListType l) {
      List<Object> out = new ArrayList<>();
      n.forEach(item -> out.add(fromJson(item, l.element())));
      return IndexedList.of(out);
    }
    if (base instanceof Type.SetType s) {
      Set<Object> out = new LinkedHashSet<>();
      n.forEach(item -> out.add(fromJson(item, s.element())));
      return IndexedSet.of(out);
    }
    if (base instanceof Type.MapType m) {
      Map<String, Object> out = new HashMap<>();
      n.fields().forEachRemaining(e -> out.put(e.getKey(), fromJson(e.getValue(), m.value())));
      return java.util.Collections.unmodifiableMap(out);
    }
    Type.RecordType r = (Type.RecordType) base;
    Map<String, Object> fields = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      Type ft = r.fields().get(e.getKey());
      fields.put(e.getKey(), fromJson(e.getValue(), ft == null ? Type.NOTHING : ft));
    }
    return record(fields);
  }

  /** A runtime value as plain JSON-like Java values (for claims built by tests). */
  static Object toPlain(Object v) {
    if (v instanceof RecordValue r) {
      Map<String, Object> out = new LinkedHashMap<>();
      r.asMap().forEach((k, x) -> out.put(k, toPlain(x)));
      return out;
    }
    if (v instanceof Collection<?> c) {
      List<Object> out = new ArrayList<>();
      c.forEach(x -> out.add(toPlain(x)));
      return out;
    }
    return v;
  }

  // ---- operations ------------------------------------------------------------------------

  /**
   * Policy equality. An absent value equals nothing, not even another absent value: otherwise
   * `unless principal.tenant == data.docs[id].tenant` would let a caller without a tenant reach
   * a document that does not exist. `!=` is the negation, so it is true when either side is
   * absent. Numbers compare by value (1 == 1.0), also inside lists, maps and records.
   */
  static boolean equal(Object a, Object b) {
    return equal(a, b, null);
  }

  /**
   * Policy equality, charging {@code f} as it goes (see {@link Cost}): one step per element,
   * entry or field visited, at every depth, and long strings by length. A null {@code f} charges
   * nothing (constants built at compile time).
   */
  static boolean equal(Object a, Object b, Frame f) {
    if (a == null || b == null) {
      return false;
    }
    if (a == b) {
      return true;
    }
    if (a instanceof Long x && b instanceof Long y) {
      return x.longValue() == y.longValue();
    }
    if (a instanceof Number && b instanceof Number) {
      return decimal(a).compareTo(decimal(b)) == 0;
    }
    if (a instanceof List<?> x && b instanceof List<?> y) {
      if (x.size() != y.size()) {
        return false;
      }
      for (int i = 0; i < x.size(); i++) {
        if (f != null) {
          f.step();
        }
        if (!equal(x.get(i), y.get(i), f)) {
          return false;
        }
      }
      return true;
    }
    if (a instanceof RecordValue x && b instanceof RecordValue y) {
      return equalRecords(x, y, f);
    }
    if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
      return equalMaps(x, y, f);
    }
    if (f != null) {
      if (a instanceof String x && b instanceof String y) {
        Cost.compare(f, x, y);
      } else if (a instanceof Set<?> x && b instanceof Set<?> y) {
        return equalSets(x, y, f);
      }
    }
    return a.equals(b);
  }

  /** Same keys, and equal values where present; absent fields match absent fields. */
  private static boolean equalMaps(Map<?, ?> x, Map<?, ?> y, Frame f) {
    if (x.size() != y.size()) {
      return false;
    }
    for (Map.Entry<?, ?> e : x.entrySet()) {
      if (f != null) {
        f.step();
        if (e.getKey() instanceof String k) {
          // Finding the key in y compares it with y's key of the same hash.
          Cost.chars(f, k.length());
        }
      }
      if (!y.containsKey(e.getKey())) {
        return false;
      }
      Object other = y.get(e.getKey());
      if (e.getValue() == null ? other != null : !equal(e.getValue(), other, f)) {
        return false;
      }
    }
    return true;
  }

  /**
   * What {@link #equalMaps} says of the two records as maps, read field by field: a record's
   * {@code asMap()} would copy every field before the first step is charged.
   */
  private static boolean equalRecords(RecordValue x, RecordValue y, Frame f) {
    Shape sx = x.shape();
    Shape sy = y.shape();
    if (sx.size() != sy.size()) {
      return false;
    }
    for (int i = 0; i < sx.size(); i++) {
      if (f != null) {
        f.step();
      }
      String name = sx.name(i);
      if (sy.slotOf(name) < 0) {
        return false;
      }
      Object mine = x.get(name);
      Object other = y.get(name);
      if (mine == null ? other != null : !equal(mine, other, f)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Java set equality ({@code AbstractSet.equals}: same size, and each element of {@code y} found
   * in {@code x}), one step per element looked up.
   */
  private static boolean equalSets(Set<?> x, Set<?> y, Frame f) {
    if (x.size() != y.size()) {
      return false;
    }
    for (Object e : y) {
      f.step();
      if (e instanceof String s) {
        Cost.chars(f, s.length());
      }
      if (!x.contains(e)) {
        return false;
      }
    }
    return true;
  }

  /** Ordering of numbers, strings, times and durations; long strings are charged by length. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static int compare(Object a, Object b, Frame f) {
    if (a instanceof Long x && b instanceof Long y) {
      return Long.compare(x, y);
    }
    if (a instanceof Number && b instanceof Number) {
      return decimal(a).compareTo(decimal(b));
    }
    if (a instanceof String x && b instanceof String y) {
      Cost.compare(f, x, y);
    }
    return ((Comparable) a).compareTo(b);
  }

  static BigDecimal decimal(Object n) {
    return n instanceof BigDecimal d ? d : BigDecimal.valueOf(((Number) n).longValue());
  }

  /**
   * Policy membership: `item in collection`. Indexed collections and maps answer by one hash
   * lookup; any other list is scanned, one step per element compared plus the cost of comparing.
   */
  static boolean contains(Object collection, Object item, Frame f) {
    if (collection instanceof Indexed ix) {
      return ix.index().contains(item);
    }
    if (collection instanceof Set<?> s) {
      if (s.contains(item)) {
        return true;
      }
      if (!(item instanceof Number)) {
        return false;
      }
    }
    if (collection instanceof Collection<?> c) {
      for (Object x : c) {
        f.step();
        if (equal(x, item, f)) {
          return true;
        }
      }
      return false;
    }
    if (collection instanceof Map<?, ?> m) {
      return m.containsKey(item);
    }
    if (collection instanceof Cidr c) {
      return c.contains((IpAddress) item);
    }
    return false;
  }

  static int size(Object v) {
    if (v instanceof String s) {
      return s.codePointCount(0, s.length());
    }
    if (v instanceof Collection<?> c) {
      return c.size();
    }
    return ((Map<?, ?>) v).size();
  }
}
