package dev.warden.policy.check;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Numbers the field names that policies read with `.name`, so that the runtime finds a field in
 * a record by array index instead of by name. One numbering serves a whole bundle.
 */
public final class FieldIds {
  private final Map<String, Integer> ids = new HashMap<>();
  private final List<String> names = new ArrayList<>();

  public int id(String name) {
    return ids.computeIfAbsent(name, n -> {
      names.add(n);
      return names.size() - 1;
    });
  }

  /** The numbered names, index = id. */
  public List<String> names() {
    return List.copyOf(names);
  }
}
