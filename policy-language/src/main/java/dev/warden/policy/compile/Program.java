package dev.warden.policy.compile;

import dev.warden.policy.check.CheckedBundle;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.RecordValue;
import dev.warden.policy.runtime.Obligations;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.runtime.RequestPaths;
import dev.warden.policy.runtime.RuleRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A compiled bundle, ready to decide. Immutable and safe to share between threads: the server
 * swaps whole programs on reload and never changes one.
 *
 * <p>Order of checks: identity → path normalization ({@link RequestPaths}) → route → lifecycle →
 * forbids → allows. Default deny: nothing is
 * allowed unless a grant or permit applies, and any applicable forbid wins over every allow.
 */
public final class Program {
  private static final int MAX_EXPLAINED = 3;
  /** Prefix of an {@link #applies} result for a condition that could not be evaluated. */
  private static final String ERROR = "error: ";
  /** The same, when the reason is an anonymous caller; starts with {@link #ERROR}. */
  private static final String ANONYMOUS = "error: anonymous: ";

  private final String revision;
  private final int undeclaredStatus;
  private final int budget;
  private final int frameSize;
  private final RouteTrie trie;
  private final List<CompiledRoute> routes;
  private final PrincipalBuilder principals;
  private final Object[] data;
  private final Map<String, Integer> dataSlots;

  Program(String revision, int undeclaredStatus, int budget, int frameSize, RouteTrie trie, List<CompiledRoute> routes,
      PrincipalBuilder principals, Object[] data, Map<String, Integer> dataSlots) {
    this.revision = revision;
    this.undeclaredStatus = undeclaredStatus;
    this.budget = budget;
    this.frameSize = frameSize;
    this.trie = trie;
    this.routes = List.copyOf(routes);
    this.principals = principals;
    this.data = data;
    this.dataSlots = Map.copyOf(dataSlots);
  }

  public String revision() {
    return revision;
  }

  /** How many routes the bundle declares. */
  public int routeCount() {
    return routes.size();
  }

  /**
   * The same program deciding over changed data: what a test's `data` lines set. Each override
   * replaces a document, or one key of a map or record document.
   */
  @SuppressWarnings("unchecked")
  public Program withTestData(List<CheckedBundle.DataOverride> overrides, List<String> fieldIds) {
    if (overrides.isEmpty()) {
      return this;
    }
    Values values = new Values(fieldIds);
    Object[] changed = data.clone();
    for (CheckedBundle.DataOverride o : overrides) {
      Object value = Compiler.constant(o.value(), fieldIds);
      if (o.key() == null) {
        changed[o.slot()] = value;
        continue;
      }
      String key = (String) Compiler.constant(o.key(), fieldIds);
      Object doc = changed[o.slot()];
      if (doc instanceof RecordValue r) {
        Map<String, Object> fields = new java.util.LinkedHashMap<>(r.asMap());
        fields.put(key, value);
        changed[o.slot()] = values.record(fields);
      } else {
        Map<String, Object> map = new java.util.HashMap<>(doc == null ? Map.of() : (Map<String, Object>) doc);
        map.put(key, value);
        changed[o.slot()] = java.util.Collections.unmodifiableMap(map);
      }
    }
    return new Program(revision, undeclaredStatus, budget, frameSize, trie, routes, principals, changed, dataSlots);
  }

  /** Decides one request. Never throws for any request: failures are denials with a reason. */
  public Decision decide(Request request) {
    try {
      return decideOrThrow(request);
    } catch (RuntimeException e) {
      // Fail closed. The checker makes this unreachable for well-typed programs.
      return deny(403, "policy evaluation failed", "internal evaluation error: " + e.getClass().getSimpleName(),
          List.of(), null);
    }
  }

  private Decision decideOrThrow(Request request) {
    PrincipalBuilder.Principal p = principals.build(request.identity());
    if (p.error() != null) {
      return deny(401, "invalid identity", p.error(), List.of(), null);
    }
    RequestPaths.Normalized path = RequestPaths.normalize(request.path());
    if (!path.ok()) {
      return deny(400, "bad request path", path.error(), List.of(), null);
    }
    RouteTrie.Match match = trie.match(request.method(), path.path());
    if (match == null) {
      return deny(undeclaredStatus, "route not found",
          "no route is declared for " + request.method() + " " + path.path(), List.of(), null);
    }
    CompiledRoute route = match.route();
    if (route.since != null && request.time().isBefore(route.since)) {
      return deny(undeclaredStatus, "route not found",
          "route `" + route.name + "` is available from " + route.since, List.of(route.ref), route.name);
    }
    if (route.retired != null && !request.time().isBefore(route.retired)) {
      return deny(410, "route retired", "route `" + route.name + "` was retired on " + route.retired,
          List.of(route.ref), route.name);
    }
    Frame f = new Frame(request, p.slots(), p.anonymous(), p.roles(), p.roleNames(), data, frameSize, budget);
    f.params = route.params(match.params());
    f.path = path.path();
    f.routeName = route.name;
    try {
      return authorize(route, f);
    } catch (EvalException e) {
      // Only the step budget escapes rule evaluation; see applies().
      return deny(403, "policy evaluation limit exceeded", e.getMessage(), List.of(), route.name);
    }
  }

  private Decision authorize(CompiledRoute route, Frame f) {
    int refusal = f.anonymous ? 401 : 403;
    for (CompiledRule forbid : route.forbids) {
      String failure = applies(forbid, f);
      if (failure == null || failure.startsWith(ERROR)) {
        return forbidden(forbid, failure, refusal, route);
      }
    }
    for (int w = 0; w < Math.min(f.roles.length, route.openRoles.length); w++) {
      long open = f.roles[w] & route.openRoles[w];
      if (open != 0) {
        CompiledRule grant = route.openGrants[w * 64 + Long.numberOfTrailingZeros(open)];
        return allow(grant, route);
      }
    }
    List<String> misses = new ArrayList<>();
    for (CompiledRule allow : route.allows) {
      if (allow.role >= 0 && !f.hasRole(allow.role)) {
        note(misses, "`" + allow.ref.id() + "` needs role `" + allow.roleName + "`");
        continue;
      }
      String failure = applies(allow, f);
      if (failure == null) {
        return allow(allow, route);
      }
      note(misses, "`" + allow.ref.id() + "`: " + failure);
    }
    for (int role = 0; role < route.openGrants.length && misses.size() < MAX_EXPLAINED; role++) {
      if (route.openGrants[role] != null) {
        note(misses, "`" + route.openGrants[role].ref.id() + "` needs role `" + route.openGrants[role].roleName + "`");
      }
    }
    String explanation = misses.isEmpty()
        ? "no grant or permit covers route `" + route.name + "`"
        : "no rule allows this request: " + String.join("; ", misses);
    return deny(refusal, f.anonymous ? "authentication required" : "not allowed", explanation, List.of(), route.name);
  }

  /**
   * Null when every condition of the rule holds; otherwise why not, in words. A condition that
   * cannot be evaluated counts as failed, prefixed `error: ` so that a forbid treats it as
   * applying (fail closed). The step budget is not a rule's failure and propagates.
   */
  private static String applies(CompiledRule rule, Frame f) {
    try {
      CompiledRule.Condition failing = rule.firstFailing(f);
      return failing == null ? null : failing.describeFailure();
    } catch (EvalException e) {
      if (e.budget) {
        throw e;
      }
      return (e.anonymous ? ANONYMOUS : ERROR) + e.getMessage();
    } catch (RuntimeException e) {
      return ERROR + e.getClass().getSimpleName();
    }
  }

  /**
   * The denial of a forbid that applies. When it applies only because its condition read the
   * principal of an anonymous caller, the caller is asked to authenticate instead of being shown
   * the forbid's reason, which is about someone else.
   */
  private Decision forbidden(CompiledRule forbid, String failure, int refusal, CompiledRoute route) {
    if (failure == null) {
      return deny(refusal, forbid.reason != null ? forbid.reason : "forbidden by policy", forbid.forbidExplanation,
          forbid.refs, route.name);
    }
    String why = failure.substring(ERROR.length());
    String explanation = "forbid `" + forbid.ref.id() + "` applies: its condition could not be evaluated (" + why + ")";
    if (failure.startsWith(ANONYMOUS)) {
      return deny(401, "authentication required", explanation, forbid.refs, route.name);
    }
    return deny(refusal, forbid.reason != null ? forbid.reason : "forbidden by policy", explanation, forbid.refs,
        route.name);
  }

  private static void note(List<String> misses, String miss) {
    if (misses.size() < MAX_EXPLAINED && !misses.contains(miss)) {
      misses.add(miss);
    }
  }

  private Decision allow(CompiledRule rule, CompiledRoute route) {
    return new Decision(true, 200, "allowed", rule.allowExplanation, rule.refs, route.name, revision, Obligations.NONE);
  }

  private Decision deny(int status, String reason, String explanation, List<RuleRef> rules, String route) {
    return new Decision(false, status, reason, explanation, rules, route, revision, Obligations.NONE);
  }
}
