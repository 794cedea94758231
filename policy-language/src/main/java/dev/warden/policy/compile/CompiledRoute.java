package dev.warden.policy.compile;

import dev.warden.policy.ast.PathTemplate;
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
  CompiledRule[] forbids = new CompiledRule[0];
  /** Bit r is set when role r may call this route with no condition. */
  long[] openRoles = new long[0];
  /** For each role id, the grant that opened the route to it (null when none). */
  CompiledRule[] openGrants = new CompiledRule[0];
  CompiledRule[] allows = new CompiledRule[0];

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

  /** Turns the raw parameters the trie captured into typed values, in place. */
  Object[] typeParams(Object[] captured) {
    for (int i = 0; i < paramTypes.length; i++) {
      if (paramTypes[i] == PathTemplate.ParamType.INT) {
        captured[i] = Long.parseLong((String) captured[i]);
      }
    }
    return captured;
  }
}
