package dev.warden.policy.runtime;

import java.util.LinkedHashMap;
import java.util.Map;

/** An immutable record: a shape and one value per field (null for an absent optional). */
public final class RecordValue {
  private final Shape shape;
  private final Object[] values;

  public RecordValue(Shape shape, Object[] values) {
    if (values.length != shape.size()) {
      throw new IllegalArgumentException("record has " + values.length + " values for " + shape.size() + " fields");
    }
    this.shape = shape;
    this.values = values.clone();
  }

  public Shape shape() {
    return shape;
  }

  /** The value of a field numbered at compile time, or null when absent. */
  public Object get(int fieldId) {
    int slot = shape.slotOf(fieldId);
    return slot < 0 ? null : values[slot];
  }

  /** The value of a field named at run time, or null when absent. */
  public Object get(String name) {
    int slot = shape.slotOf(name);
    return slot < 0 ? null : values[slot];
  }

  public Map<String, Object> asMap() {
    Map<String, Object> out = new LinkedHashMap<>();
    for (int i = 0; i < values.length; i++) {
      out.put(shape.name(i), values[i]);
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RecordValue r && asMap().equals(r.asMap());
  }

  @Override
  public int hashCode() {
    return asMap().hashCode();
  }

  @Override
  public String toString() {
    return asMap().toString();
  }

}
