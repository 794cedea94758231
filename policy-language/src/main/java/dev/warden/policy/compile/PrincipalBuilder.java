package dev.warden.policy.compile;

import dev.warden.policy.check.CheckedBundle.ClaimSource;
import dev.warden.policy.check.CheckedBundle.PrincipalSpec;
import dev.warden.policy.runtime.ClaimNumbers;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.types.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a verified identity into the principal the policy declared: typed slots, the role names,
 * and the set of roles they imply (inheritance already flattened into bitsets).
 */
final class PrincipalBuilder {
  /** The specs and their sources as arrays: the request path iterates without iterators. */
  private final PrincipalSpec[] specArray;
  private final ClaimSource[][] sourceArrays;
  private final int rolesSlot;
  private final Map<String, long[]> roleImplies;
  private final int roleWords;
  private static final long[] NO_ROLES = new long[0];

  /**
   * The principal of one request; {@code error} says why the identity is invalid, else null.
   * {@code roleNames} is the validated roles claim (strings), turned into a set only if a rule
   * reads `principal.roles`.
   */
  record Principal(Object[] slots, boolean anonymous, List<String> roleNames, long[] roles, String error) {}

  PrincipalBuilder(List<PrincipalSpec> specs, Map<String, long[]> roleImplies) {
    this.roleImplies = roleImplies;
    this.specArray = specs.toArray(new PrincipalSpec[0]);
    this.sourceArrays = specs.stream().map(s -> s.sources().toArray(new ClaimSource[0])).toArray(ClaimSource[][]::new);
    this.roleWords = roleImplies.values().stream().mapToInt(a -> a.length).max().orElse(0);
    this.rolesSlot = specs.stream().filter(s -> s.name().equals("roles")).mapToInt(PrincipalSpec::slot).findFirst().orElse(-1);
  }

  Principal build(Identity identity) {
    boolean anonymous = identity.isAnonymous();
    Object[] slots = new Object[specArray.length];
    List<String> roleNames = List.of();
    for (int s = 0; s < specArray.length; s++) {
      PrincipalSpec spec = specArray[s];
      Object raw = null;
      ClaimSource from = null;
      for (ClaimSource source : sourceArrays[s]) {
        raw = resolve(source, identity);
        if (raw != null) {
          from = source;
          break;
        }
      }
      if (raw == null) {
        if (spec.required() && !anonymous) {
          return invalid("required identity field `" + spec.name() + "` is missing (from "
              + describe(spec.sources().get(0)) + ")");
        }
        continue;
      }
      if (spec.slot() == rolesSlot) {
        roleNames = strings(raw);
        if (roleNames == null) {
          return invalid(describe(from) + " is not a valid `set<string>`");
        }
        continue;
      }
      Object value = convert(raw, Type.unwrap(spec.type()));
      if (value == null) {
        return invalid(describe(from) + " is not a valid `" + Type.unwrap(spec.type()).display() + "`");
      }
      slots[spec.slot()] = value;
    }
    long[] roles = roleNames.isEmpty() ? NO_ROLES : new long[roleWords];
    for (int i = 0; i < roleNames.size(); i++) {
      long[] implied = roleImplies.get(roleNames.get(i));
      if (implied != null) {
        for (int w = 0; w < implied.length; w++) {
          roles[w] |= implied[w];
        }
      }
    }
    return new Principal(slots, anonymous, roleNames, roles, null);
  }

  /** A list of strings, or a space-separated string (OAuth's `scope`); null when neither. */
  @SuppressWarnings("unchecked")
  private static List<String> strings(Object raw) {
    if (raw instanceof String s) {
      return s.isBlank() ? List.of() : List.of(s.trim().split("\\s+"));
    }
    if (!(raw instanceof List<?> list)) {
      return raw instanceof Collection<?> c ? strings(new ArrayList<>(c)) : null;
    }
    for (int i = 0; i < list.size(); i++) {
      if (!(list.get(i) instanceof String)) {
        return null;
      }
    }
    return (List<String>) list;
  }

  /** The roles as the set `principal.roles` is. */
  static Set<String> roleSet(List<String> names) {
    return names.isEmpty() ? Set.of() : java.util.Collections.unmodifiableSet(new LinkedHashSet<>(names));
  }

  private static Principal invalid(String why) {
    return new Principal(new Object[0], false, List.of(), NO_ROLES, why);
  }

  private static Object resolve(ClaimSource source, Identity identity) {
    if (source instanceof ClaimSource.Constant c) {
      return c.value();
    }
    if (source instanceof ClaimSource.Peer) {
      return identity.peer();
    }
    ClaimSource.Claim claim = (ClaimSource.Claim) source;
    Map<String, Object> claims = identity.claims();
    if (claims == null || identity.credential() != claim.credential()) {
      return null;
    }
    List<String> path = claim.path();
    Object cur = claims.get(path.get(0));
    for (int i = 1; i < path.size(); i++) {
      if (!(cur instanceof Map<?, ?> m)) {
        return null;
      }
      cur = m.get(path.get(i));
    }
    return cur;
  }

  private static String describe(ClaimSource source) {
    if (source instanceof ClaimSource.Claim c) {
      return (c.credential() == Identity.Credential.API_KEY ? "API key field `" : "claim `")
          + String.join(".", c.path()) + "`";
    }
    return source instanceof ClaimSource.Peer ? "the mTLS peer id" : "the default";
  }

  /** The claim as a value of the field's type, or null when it does not fit. */
  @SuppressWarnings("unchecked")
  private static Object convert(Object raw, Type type) {
    if (type == Type.STRING) {
      return raw instanceof String ? raw : null;
    }
    if (type == Type.BOOL) {
      return raw instanceof Boolean ? raw : null;
    }
    if (type == Type.INT) {
      return ClaimNumbers.integer(raw);
    }
    if (type == Type.DECIMAL) {
      return ClaimNumbers.decimal(raw);
    }
    Collection<?> items;
    if (raw instanceof String s) {
      // OAuth's `scope` claim is one space-separated string.
      items = s.isBlank() ? List.of() : List.of(s.trim().split("\\s+"));
    } else if (raw instanceof Collection<?> c) {
      items = c;
    } else {
      return null;
    }
    Collection<String> out = type instanceof Type.SetType ? new LinkedHashSet<>(items.size() * 2) : new ArrayList<>(items.size());
    for (Object item : items) {
      if (!(item instanceof String str)) {
        return null;
      }
      out.add(str);
    }
    return type instanceof Type.SetType
        ? java.util.Collections.unmodifiableSet((Set<String>) out)
        : java.util.Collections.unmodifiableList((List<String>) out);
  }
}
