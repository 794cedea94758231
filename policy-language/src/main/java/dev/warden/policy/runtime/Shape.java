package dev.warden.policy.runtime;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The field layout of a record value: its sorted field names, and for every field name a policy
 * reads with `.name` (numbered bundle-wide), the slot that holds it. Built at compile time and
 * shared by every record with the same fields.
 */
public final class Shape {
  private final String[] names;
  private final Map<String, Integer> index;
  private final int[] slotByFieldId;

  /**
   * @param names sorted field names
   * @param fieldIds the bundle's field numbering: index = field id
   */
  public Shape(List<String> names, List<String> fieldIds) {
    this.names = names.toArray(new String[0]);
    this.index = new HashMap<>();
    for (int i = 0; i < this.names.length; i++) {
      index.put(this.names[i], i);
    }
    this.slotByFieldId = new int[fieldIds.size()];
    Arrays.fill(slotByFieldId, -1);
    for (int id = 0; id < fieldIds.size(); id++) {
      Integer slot = index.get(fieldIds.get(id));
      if (slot != null) {
        slotByFieldId[id] = slot;
      }
    }
  }

  /** The slot of a statically numbered field, or -1 when this shape lacks it. */
  public int slotOf(int fieldId) {
    return fieldId < slotByFieldId.length ? slotByFieldId[fieldId] : -1;
  }

  /** The slot of a field named at run time (a computed key), or -1. */
  public int slotOf(String name) {
    Integer slot = index.get(name);
    return slot == null ? -1 : slot;
  }

  public int size() {
    return names.length;
  }

  public String name(int slot) {
    return names[slot];
  }
}
