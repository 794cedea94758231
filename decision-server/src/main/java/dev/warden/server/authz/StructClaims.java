package dev.warden.server.authz;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.warden.policy.runtime.FrozenMap;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A protobuf {@link Struct} read as JSON-like claims without copying it: a value is converted
 * when the policy reads it (strings, booleans, numbers as the Double the Struct holds, nested
 * structs as views, lists as lists, `null` as null). Numbers become principal fields through
 * {@link dev.warden.policy.runtime.ClaimNumbers}, the conversion every identity path shares. A principal reads a few
 * claims of a payload that may hold many, so converting on read is cheaper than converting all.
 * Structs are immutable, and so is this view.
 */
public final class StructClaims extends AbstractMap<String, Object> implements FrozenMap<String, Object> {
  private final Struct struct;
  private final Map<String, Value> fields;

  private StructClaims(Struct struct) {
    this.struct = struct;
    this.fields = struct.getFieldsMap();
  }

  public static StructClaims of(Struct struct) {
    return new StructClaims(struct);
  }

  /** The Struct these claims read, as received: a decision record logs it without converting it back. */
  public Struct struct() {
    return struct;
  }

  @Override
  public Object get(Object key) {
    Value v = fields.get(key);
    return v == null ? null : value(v);
  }

  @Override
  public boolean containsKey(Object key) {
    return fields.containsKey(key);
  }

  @Override
  public int size() {
    return fields.size();
  }

  @Override
  public Set<Entry<String, Object>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public Iterator<Entry<String, Object>> iterator() {
        Iterator<Entry<String, Value>> it = fields.entrySet().iterator();
        return new Iterator<>() {
          @Override
          public boolean hasNext() {
            return it.hasNext();
          }

          @Override
          public Entry<String, Object> next() {
            Entry<String, Value> e = it.next();
            return new SimpleImmutableEntry<>(e.getKey(), value(e.getValue()));
          }
        };
      }

      @Override
      public int size() {
        return fields.size();
      }
    };
  }

  public static Object value(Value v) {
    return switch (v.getKindCase()) {
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> v.getBoolValue();
      case NUMBER_VALUE -> v.getNumberValue();
      case STRUCT_VALUE -> new StructClaims(v.getStructValue());
      case LIST_VALUE -> list(v.getListValue());
      default -> null;
    };
  }

  private static List<Object> list(ListValue l) {
    List<Object> out = new ArrayList<>(l.getValuesCount());
    for (Value v : l.getValuesList()) {
      out.add(value(v));
    }
    return Collections.unmodifiableList(out);
  }
}
