package dev.warden.cli;

import dev.warden.policy.check.Checked;
import dev.warden.policy.check.CheckedBundle;
import dev.warden.policy.check.InputField;
import java.lang.reflect.RecordComponent;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which headers and query parameters the rules of each route read, from the checked bundle: a
 * rule or grant reads `request.headers["x"]` (or the whole map, when it indexes it by anything
 * but a literal or iterates it). `warden replay` flags a record whose masking changed an input
 * that a rule of its route reads: what the rule saw in replay was `[masked]`, not the value.
 */
final class RuleInputs {
  /** Every header or parameter. */
  static final String ANY = "*";

  /** Names read on one route, lower case; {@link #ANY} when the whole map is read. */
  record Reads(Set<String> headers, Set<String> query) {}

  private final Map<String, Reads> byRoute = new HashMap<>();

  RuleInputs(CheckedBundle bundle) {
    for (CheckedBundle.RouteInfo route : bundle.routes()) {
      Set<String> headers = new TreeSet<>();
      Set<String> query = new TreeSet<>();
      for (CheckedBundle.CheckedRule rule : bundle.rules()) {
        if (rule.routes().get(route.id())) {
          rule.conditions().forEach(c -> walk(c.expr(), headers, query));
        }
      }
      for (CheckedBundle.CheckedGrant grant : bundle.grants()) {
        if (grant.routes().get(route.id())) {
          grant.conditions().forEach(c -> walk(c.expr(), headers, query));
        }
      }
      byRoute.put(route.qualifiedName(), new Reads(Set.copyOf(headers), Set.copyOf(query)));
    }
  }

  /**
   * The record's masked paths (`request.headers.authorization`, `request.query.token`,
   * `request.headers.x-id-token#signature`) that a rule of {@code route} reads; empty for none or
   * no route.
   */
  List<String> maskedReads(String route, List<String> masked) {
    Reads reads = route == null ? null : byRoute.get(route);
    if (reads == null || masked.isEmpty()) {
      return List.of();
    }
    Set<String> out = new TreeSet<>();
    for (String path : masked) {
      String bare = path.indexOf('#') < 0 ? path : path.substring(0, path.indexOf('#'));
      if (bare.startsWith("request.headers.") && reads(reads.headers(), bare.substring(16))
          || bare.startsWith("request.query.") && reads(reads.query(), bare.substring(14))) {
        out.add(path);
      }
    }
    return List.copyOf(out);
  }

  private static boolean reads(Set<String> names, String name) {
    return names.contains(ANY) || names.contains(name.toLowerCase(Locale.ROOT));
  }

  /** Collects the header and query names an expression reads, walking its nodes (all records). */
  private static void walk(Object node, Set<String> headers, Set<String> query) {
    if (node instanceof Checked.Index ix && ix.target() instanceof Checked.Input in && map(in) != null) {
      Set<String> into = map(in) == InputField.REQUEST_HEADERS ? headers : query;
      if (ix.key() instanceof Checked.Const k && k.value() instanceof String name) {
        into.add(name.toLowerCase(Locale.ROOT));
      } else {
        into.add(ANY);
        walk(ix.key(), headers, query);
      }
      return;
    }
    if (node instanceof Checked.Input in && map(in) != null) {
      (map(in) == InputField.REQUEST_HEADERS ? headers : query).add(ANY);
      return;
    }
    if (node instanceof List<?> list) {
      list.forEach(x -> walk(x, headers, query));
      return;
    }
    if (!(node instanceof Checked) || !node.getClass().isRecord()) {
      return;
    }
    for (RecordComponent c : node.getClass().getRecordComponents()) {
      if (Checked.class.isAssignableFrom(c.getType()) || List.class.isAssignableFrom(c.getType())) {
        try {
          walk(c.getAccessor().invoke(node), headers, query);
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException("a checked node's component is readable: " + c, e);
        }
      }
    }
  }

  private static InputField map(Checked.Input in) {
    return in.field() == InputField.REQUEST_HEADERS || in.field() == InputField.REQUEST_QUERY ? in.field() : null;
  }
}
