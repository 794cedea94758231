package dev.warden.server.decisionlog;

import dev.warden.policy.runtime.LogRedaction;
import dev.warden.policy.runtime.LogRedaction.Action;
import dev.warden.policy.runtime.LogRedaction.Field;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A bundle's `redact log` entries ({@code Program.logRedactions()}) indexed for {@link Masking}:
 * the action for a header, query parameter or claim by the name the record holds. Built once per
 * revision, immutable, shared by every thread.
 *
 * <p>{@link #UNKNOWN} fails closed: a record whose deciding revision is not known any more (it
 * was replaced twice before the record was encoded) cannot be masked by its policy, so every
 * header, query and claim value it holds is masked.
 */
public final class PolicyRedactions {
  /** No policy redactions: the defaults alone. */
  public static final PolicyRedactions NONE = new PolicyRedactions(Map.of(), false);
  /** The policy is not known: every value is masked. */
  public static final PolicyRedactions UNKNOWN = new PolicyRedactions(Map.of(), true);

  private final Map<Field, Map<String, Action>> byField;
  private final boolean maskAll;

  private PolicyRedactions(Map<Field, Map<String, Action>> byField, boolean maskAll) {
    this.byField = byField;
    this.maskAll = maskAll;
  }

  /** The index of a program's redactions; {@link #NONE} for an empty list. */
  public static PolicyRedactions of(List<LogRedaction> redactions) {
    if (redactions.isEmpty()) {
      return NONE;
    }
    Map<Field, Map<String, Action>> m = new EnumMap<>(Field.class);
    for (LogRedaction r : redactions) {
      // The checker refuses one name with two actions; the first wins should a caller build one.
      m.computeIfAbsent(r.field(), f -> new HashMap<>()).putIfAbsent(r.name(), r.action());
    }
    Map<Field, Map<String, Action>> frozen = new EnumMap<>(Field.class);
    m.forEach((f, names) -> frozen.put(f, Map.copyOf(names)));
    return new PolicyRedactions(java.util.Collections.unmodifiableMap(frozen), false);
  }

  /**
   * What the policy does to this field's value, or null when it says nothing.
   *
   * @param name a header or query name in lower case, a claim's name as it is
   */
  Action action(Field field, String name) {
    if (maskAll) {
      return Action.MASK;
    }
    Map<String, Action> names = byField.get(field);
    return names == null ? null : names.get(name);
  }
}
