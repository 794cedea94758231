package dev.warden.policy.compile;

import dev.warden.policy.ast.PathTemplate;
import dev.warden.policy.runtime.RequestPaths;
import dev.warden.policy.runtime.RuleRef;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A route with everything that can decide a request to it, in evaluation order: its forbids,
 * the roles that it allows without condition (a bitset), and its conditional grants and permits.
 * Immutable once the compiler has built it.
 */
final class CompiledRoute {
  final int id;
  final String name;
  final String method;
  final PathTemplate template;
  final Instant since;
  final Instant retired;
  final RuleRef ref;
  /** {@code List.of(ref)}, for decisions about the route itself (lifecycle). */
  final List<RuleRef> refs;
  final PathTemplate.ParamType[] paramTypes;
  final Map<String, Integer> paramSlots;
  /** What requests to the route must look like before its rules run, or null without a schema. */
  dev.warden.policy.schema.RouteSchema schema;
  CompiledRule[] forbids = new CompiledRule[0];
  /** Bit r is set when role r may call this route with no condition. */
  long[] openRoles = new long[0];
  /** For each role id, the grant that opened the route to it (null when none). */
  CompiledRule[] openGrants = new CompiledRule[0];
  CompiledRule[] allows = new CompiledRule[0];
  /**
   * The forbids, and the conditional grants and permits, with the route's shadow rules among
   * them in declaration order: what decides the would-be decision. Null when no shadow rule
   * covers the route, so that a bundle without shadow rules pays nothing for them.
   */
  CompiledRule[] shadowForbids;
  CompiledRule[] shadowAllows;
  /** The route's `on allow` / `on deny` obligations, or null when it has none. */
  CompiledObligations obligations;
  /** The quotas covering the route, in declaration order; null when none does. */
  CompiledQuota[] quotas;

  CompiledRoute(int id, String name, String method, PathTemplate template, Instant since, Instant retired, RuleRef ref) {
    this.id = id;
    this.name = name;
    this.method = method;
    this.template = template;
    this.since = since;
    this.retired = retired;
    this.ref = ref;
    this.refs = List.of(ref);
    List<PathTemplate.Param> params = template.params();
    this.paramTypes = params.stream().map(PathTemplate.Param::type).toArray(PathTemplate.ParamType[]::new);
    Map<String, Integer> slots = new java.util.HashMap<>();
    for (int i = 0; i < params.size(); i++) {
      slots.put(params.get(i).name(), i);
    }
    this.paramSlots = Map.copyOf(slots);
  }

  /**
   * Turns the raw parameters the trie captured into typed values, in place: an `int` as a Long,
   * a `uuid` in lower case (RFC 9562 reads uuids case-insensitively, and so do the databases
   * behind most APIs: `data.orders[orderId]` must find the same order they do).
   */
  Object[] typeParams(Object[] captured) {
    for (int i = 0; i < paramTypes.length; i++) {
      if (paramTypes[i] == PathTemplate.ParamType.INT) {
        captured[i] = Long.parseLong((String) captured[i]);
      } else if (paramTypes[i] == PathTemplate.ParamType.UUID) {
        captured[i] = lowerHex((String) captured[i]);
      }
    }
    return captured;
  }

  private static String lowerHex(String uuid) {
    for (int i = 0; i < uuid.length(); i++) {
      if (uuid.charAt(i) >= 'A' && uuid.charAt(i) <= 'F') {
        return uuid.toLowerCase(java.util.Locale.ROOT);
      }
    }
    return uuid;
  }

  /**
   * This route called with {@code values} as its parameters, each checked to be one segment of
   * its type (see {@link Program#bind}); `**` takes the rest of the path.
   */
  Program.RouteCall bind(Map<String, String> values) {
    Object[] params = new Object[paramTypes.length];
    StringBuilder path = new StringBuilder();
    int next = 0;
    for (PathTemplate.Segment s : template.segments()) {
      if (s instanceof PathTemplate.Literal l) {
        path.append('/').append(l.text());
      } else if (s instanceof PathTemplate.Param p) {
        String v = values.get(p.name());
        if (v == null) {
          throw new IllegalArgumentException("route `" + name + "` needs parameter `" + p.name() + "`");
        }
        String error = switch (p.type()) {
          case INT -> RouteTrie.isInt(v) ? null : "an `int` (ASCII digits, at most 18)";
          case UUID -> RouteTrie.isUuid(v) ? null : "a `uuid` (8-4-4-4-12 ASCII hex digits)";
          case STRING -> {
            String why = RequestPaths.segmentError(v);
            yield why == null ? null : "one path segment (" + why + ")";
          }
        };
        if (error != null) {
          throw new IllegalArgumentException("route `" + name + "`: parameter `" + p.name() + "` must be " + error);
        }
        params[next++] = v;
        path.append('/').append(v);
      } else {
        String rest = values.getOrDefault("**", "");
        String parts = rest.startsWith("/") ? rest.substring(1) : rest;
        for (String part : parts.isEmpty() ? new String[0] : parts.split("/", -1)) {
          String error = RequestPaths.segmentError(part);
          if (error != null) {
            throw new IllegalArgumentException("route `" + name + "`: `**` must be path segments (" + error + ")");
          }
          path.append('/').append(part);
        }
      }
    }
    for (String key : values.keySet()) {
      if (!paramSlots.containsKey(key) && !(key.equals("**") && template.segments().stream().anyMatch(PathTemplate.Rest.class::isInstance))) {
        throw new IllegalArgumentException("route `" + name + "` has no parameter `" + key + "`");
      }
    }
    String canonical = path.length() == 0 ? "/" : path.toString();
    if (canonical.length() > RequestPaths.MAX_LENGTH) {
      throw new IllegalArgumentException("route `" + name + "`: the path is longer than " + RequestPaths.MAX_LENGTH
          + " characters");
    }
    return new Program.RouteCall(this, typeParams(params), canonical);
  }
}
