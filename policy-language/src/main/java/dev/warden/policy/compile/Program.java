package dev.warden.policy.compile;

import dev.warden.policy.schema.RouteSchema;
import dev.warden.policy.load.Manifest;
import dev.warden.policy.check.CheckedBundle;
import dev.warden.policy.runtime.Deadline;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.EvalError;
import dev.warden.policy.runtime.Outcome;
import dev.warden.policy.runtime.RecordValue;
import dev.warden.policy.runtime.Obligations;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.runtime.RequestLine;
import dev.warden.policy.runtime.RequestPaths;
import dev.warden.policy.runtime.RequestRules;
import dev.warden.policy.runtime.RuleRef;
import java.util.ArrayList;
import java.util.function.Supplier;
import java.util.List;
import java.util.Map;

/**
 * A compiled bundle, ready to decide. Immutable and safe to share between threads: the server
 * swaps whole programs on reload and never changes one.
 *
 * <p>Order of checks: the request line ({@link RequestLine}: method, path by {@link RequestPaths},
 * query, method overrides) → identity → route → lifecycle → forbids → allows. Default deny: nothing is
 * allowed unless a grant or permit applies, and any applicable forbid wins over every allow.
 */
public final class Program {
  private static final int MAX_EXPLAINED = 3;
  /** Results of {@link #applies}. */
  private static final int APPLIES = 0;
  private static final int FAILS = 1;
  private static final int ERROR = 2;
  private static final int ANONYMOUS = 3;

  private final String revision;
  private final int undeclaredStatus;
  private final int budget;
  private final RequestRules requestRules;
  private final int frameSize;
  private final RouteTrie trie;
  private final List<CompiledRoute> routes;
  private final Map<String, CompiledRoute> routesByName;
  private final PrincipalBuilder principals;
  private final Object[] data;
  private final Map<String, Integer> dataSlots;

  Program(Manifest manifest, int frameSize, RouteTrie trie, List<CompiledRoute> routes, PrincipalBuilder principals,
      Object[] data, Map<String, Integer> dataSlots, List<String> packages,
      List<dev.warden.policy.runtime.LogRedaction> logRedactions) {
    this.packages = List.copyOf(packages);
    this.logRedactions = List.copyOf(logRedactions);
    this.revision = manifest.revision();
    this.undeclaredStatus = manifest.undeclaredStatus();
    this.budget = manifest.stepBudget();
    this.requestRules = manifest.requests();
    this.manifest = manifest;
    this.frameSize = frameSize;
    this.trie = trie;
    this.routes = List.copyOf(routes);
    Map<String, CompiledRoute> byName = new java.util.HashMap<>();
    routes.forEach(r -> byName.put(r.name, r));
    this.routesByName = Map.copyOf(byName);
    this.principals = principals;
    this.data = data;
    this.dataSlots = Map.copyOf(dataSlots);
    this.hasShadowRules = routes.stream().anyMatch(r -> r.shadowForbids != null);
  }

  private final boolean hasShadowRules;

  private final Manifest manifest;
  private final List<String> packages;
  private final List<dev.warden.policy.runtime.LogRedaction> logRedactions;

  public String revision() {
    return revision;
  }

  /**
   * The bundle's `redact log` entries, merged from every block, in the order written: what the
   * sidecar rewrites in the decision records of this program's decisions, on top of its own
   * default masking (which no entry weakens). Immutable; empty when the bundle declares none.
   */
  public List<dev.warden.policy.runtime.LogRedaction> logRedactions() {
    return logRedactions;
  }

  /** The packages of the bundle's policy files, sorted: its package roots. */
  public List<String> packages() {
    return packages;
  }

  /** `=` and the route's first literal segment, or `*` when it starts with a parameter, `**` or is `/`. */
  private static String firstLiteral(CompiledRoute r) {
    List<dev.warden.policy.ast.PathTemplate.Segment> segments = r.template.segments();
    return !segments.isEmpty() && segments.get(0) instanceof dev.warden.policy.ast.PathTemplate.Literal l
        ? "=" + l.text() : "*";
  }

  /** The path template of a declared route, for tests of route overlap. */
  dev.warden.policy.ast.PathTemplate routeTemplate(String routeName) {
    return routesByName.get(routeName).template;
  }

  /** Whether the bundle declares a route of this (package-qualified) name. */
  public boolean hasRoute(String routeName) {
    return routesByName.containsKey(routeName);
  }

  /**
   * Whether a declared route matches the request's method and path as this bundle reads them
   * ({@link RequestLine} with its `requests:` rules): a sidecar with several bundles asks each
   * which one the request is for. A request line this bundle refuses matches nothing.
   */
  public boolean declares(Request request) {
    return declares(RequestLine.of(request, requestRules));
  }

  /** {@link #declares(Request)} for a request line already read with this bundle's {@link #requestRules}. */
  public boolean declares(RequestLine line) {
    return line.ok() && trie.match(line.method(), line.path(), new Object[trie.captureSize()]) != null;
  }

  /**
   * Why this program and {@code other} cannot serve side by side in one sidecar, or an empty list:
   * a package both declare, two routes a request could match in both (same method, paths that
   * overlap), or different `requests:` rules (the two would read one request two ways).
   */
  public List<String> conflictsWith(Program other) {
    List<String> out = new ArrayList<>();
    List<String> shared = packages.stream().filter(other.packages::contains).toList();
    if (!shared.isEmpty()) {
      out.add("both declare package " + String.join(", ", shared.stream().map(p -> "`" + p + "`").toList()));
    }
    if (!requestRules.equals(other.requestRules)) {
      out.add("their `requests:` settings in bundle.yaml differ, so one request would be read two ways");
    }
    // Only routes of one method whose first segments can meet need comparing: bucket the other's
    // by method and first literal, with a bucket per method for those that start with a
    // parameter, `**` or nothing (`/`). Two 10,000-route bundles compare in milliseconds.
    Map<String, List<CompiledRoute>> byFirst = new java.util.HashMap<>();
    for (CompiledRoute b : other.routes) {
      byFirst.computeIfAbsent(b.method + " " + firstLiteral(b), k -> new ArrayList<>()).add(b);
    }
    int shown = 0;
    for (CompiledRoute a : routes) {
      String first = firstLiteral(a);
      List<CompiledRoute> candidates = new ArrayList<>(byFirst.getOrDefault(a.method + " *", List.of()));
      if (first.equals("*")) {
        byFirst.forEach((k, v) -> {
          if (k.startsWith(a.method + " ") && !k.equals(a.method + " *")) {
            candidates.addAll(v);
          }
        });
      } else {
        candidates.addAll(byFirst.getOrDefault(a.method + " " + first, List.of()));
      }
      for (CompiledRoute b : candidates) {
        if (RouteOverlap.overlap(a.template, b.template)) {
          if (shown++ < 5) {
            out.add("route `" + a.name + "` (" + a.method + " " + a.template.text() + ") and route `" + b.name + "` ("
                + b.method + " " + b.template.text() + ") can match the same request");
          }
        }
      }
    }
    if (shown > 5) {
      out.add((shown - 5) + " more pair(s) of routes overlap");
    }
    return out;
  }

  /** How this bundle reads requests where upstream servers disagree (bundle.yaml `requests:`). */
  public RequestRules requestRules() {
    return requestRules;
  }

  /**
   * A call of a declared route by name, its parameters bound to the route's typed parameters: what
   * the decide API asks about. Nothing is rebuilt into a path and parsed again, so a parameter
   * value can never select another route or another object than the one named.
   */
  public static final class RouteCall {
    final CompiledRoute route;
    final Object[] params;
    private final String path;

    RouteCall(CompiledRoute route, Object[] params, String path) {
      this.route = route;
      this.params = params;
      this.path = path;
    }

    /** The route's method. */
    public String method() {
      return route.method;
    }

    /** The canonical path of this call, which is what `request.path` reads. */
    public String path() {
      return path;
    }

    public String route() {
      return route.name;
    }
  }

  /**
   * Binds parameter values to a declared route. Each value must be one path segment of its
   * parameter's type, as already decoded text: an ASCII `int`, an ASCII `uuid` (read in lower
   * case), or a `string` of characters allowed in a canonical segment ({@link RequestPaths});
   * `**` takes the rest of the path, segment by segment.
   *
   * @throws IllegalArgumentException naming the unknown route or the bad, missing or extra parameter
   */
  public RouteCall bind(String routeName, Map<String, String> params) {
    CompiledRoute route = routesByName.get(routeName);
    if (route == null) {
      throw new IllegalArgumentException("no route `" + routeName + "` in the bundle");
    }
    return route.bind(params);
  }

  /**
   * One entry of a map or record data document, as plain values, or empty when the document or
   * the key does not exist. The sidecar finds API keys this way: by the hash of the key.
   */
  public java.util.Optional<Map<String, Object>> dataEntry(String document, String key) {
    Integer slot = dataSlots.get(document);
    if (slot == null) {
      return java.util.Optional.empty();
    }
    Object doc = data[slot];
    Object entry = doc instanceof RecordValue r ? r.get(key) : doc instanceof Map<?, ?> m ? m.get(key) : null;
    return Values.toPlain(entry) instanceof Map<?, ?> plain
        ? java.util.Optional.of(castMap(plain)) : java.util.Optional.empty();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }

  /** Whether the bundle has a data document of this name. */
  public boolean hasData(String document) {
    return dataSlots.containsKey(document);
  }

  /** How many routes the bundle declares. */
  public int routeCount() {
    return routes.size();
  }

  /** The declared routes' qualified names, as {@link dev.warden.policy.runtime.Decision#route()} names them, in declaration order. */
  public List<String> routeNames() {
    return routes.stream().map(r -> r.name).toList();
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
    return new Program(manifest, frameSize, trie, routes, principals, changed, dataSlots, packages, logRedactions);
  }

  /** Decides one request. Never throws for any request: failures are denials with a reason. */
  public Decision decide(Request request) {
    return decide(request, Deadline.NONE);
  }

  /**
   * Decides one request within the bundle's step budget and the deadline: past either, the
   * request is denied (403, "policy evaluation limit exceeded").
   */
  public Decision decide(Request request, Deadline deadline) {
    return run(request, null, budget, deadline);
  }

  /**
   * Tries to decide within {@code steps} evaluation steps, fewer than the budget: the decision,
   * or null when it needs more, and the caller decides again with {@link #decide(Request,
   * Deadline)}, elsewhere. The sidecar decides on its transport thread this way, and moves the
   * few heavy decisions off it, so that they never hold up the other calls of a connection.
   * Deciding is pure, so the second run decides as the first would have.
   */
  public Decision tryDecide(Request request, int steps, Deadline deadline) {
    return run(request, null, steps, deadline);
  }

  /**
   * Decides a call of a declared route ({@link #bind}) as made by the caller and at the time of
   * {@code context}, whose own method and path are not read: the route call names them.
   */
  public Decision decide(RouteCall call, Request context) {
    return decide(call, context, Deadline.NONE);
  }

  public Decision decide(RouteCall call, Request context, Deadline deadline) {
    return run(context, call, budget, deadline);
  }

  /** {@link #tryDecide} for a route call. */
  public Decision tryDecide(RouteCall call, Request context, int steps, Deadline deadline) {
    return run(context, call, steps, deadline);
  }

  private Decision run(Request request, RouteCall call, int steps, Deadline deadline) {
    try {
      RequestLine line = call != null
          ? new RequestLine(call.method(), call.path(), Map.of(), List.of(), List.of(), null, null)
          : RequestLine.of(request, requestRules);
      if (!line.ok()) {
        return deny(Outcome.BAD_REQUEST, 400, line.refusal(), line::error, List.of(), null, List.of());
      }
      return decideOrThrow(request, line, call, steps, deadline);
    } catch (RuntimeException | StackOverflowError e) {
      return failed(e, null, List.of(new EvalError(EvalError.Kind.INTERNAL, null, "?", e.getClass().getName())));
    }
  }

  /**
   * Fails closed on a defect: the checker makes this unreachable for well-typed programs. The
   * sidecar answers such a decision with `authz.failure_status`.
   */
  private Decision failed(Throwable e, String route, List<EvalError> errors) {
    String kind = e.getClass().getSimpleName();
    return deny(Outcome.ERROR, 500, "internal error", () -> "internal evaluation error: " + kind, List.of(), route,
        errors);
  }

  /** The decision, or null when a first try ({@code steps} below the budget) needs more steps. */
  private Decision decideOrThrow(Request request, RequestLine line, RouteCall call, int steps, Deadline deadline) {
    PrincipalBuilder.Principal p = principals.build(request.identity());
    if (p.error() != null) {
      String why = p.error();
      return deny(Outcome.UNAUTHENTICATED, 401, "invalid identity", () -> why, List.of(), null, List.of());
    }
    CompiledRoute route;
    Object[] params;
    if (call != null) {
      route = call.route;
      params = call.params.clone();
    } else {
      params = new Object[trie.captureSize()];
      route = trie.match(line.method(), line.path(), params);
      if (route == null) {
        return deny(Outcome.NO_ROUTE, undeclaredStatus, "route not found",
            () -> "no route is declared for " + line.method() + " " + line.path(), List.of(), null, List.of());
      }
      route.typeParams(params);
    }
    if (route.since != null && request.time().isBefore(route.since)) {
      return deny(Outcome.NOT_YET, undeclaredStatus, "route not found",
          () -> "route `" + route.name + "` is available from " + route.since, route.refs, route.name, List.of());
    }
    if (route.retired != null && !request.time().isBefore(route.retired)) {
      return deny(Outcome.RETIRED, 410, "route retired",
          () -> "route `" + route.name + "` was retired on " + route.retired, route.refs, route.name, List.of());
    }
    if (route.schema != null) {
      RouteSchema.Failure failed = route.schema.check(request, line.query());
      if (failed != null) {
        RouteSchema schema = route.schema;
        return new Decision(Outcome.SCHEMA, failed.status(), failed.reason(),
            () -> "request does not match the schema of route `" + route.name + "` (" + schema.location() + "): "
                + failed.violations().stream().map(Object::toString).collect(java.util.stream.Collectors.joining(", ")),
            route.refs, route.name, revision, Obligations.NONE, List.of()).withViolations(failed.violations());
      }
    }
    Frame enforcing = frame(request, p, params, line, route, steps, deadline);
    Decision enforced = authorizeWithin(route, route.forbids, route.allows, enforcing);
    if (enforced != null && enforced.allowed() && route.quotas != null) {
      enforced = charged(route, enforced, enforcing);
    }
    if (enforced == null || route.shadowForbids == null) {
      return enforced;
    }
    // The would-be decision, with the route's shadow rules enforced too: in a frame of its own,
    // within the same limits, so that it can change nothing of the decision that stands.
    Decision shadow = authorizeWithin(route, route.shadowForbids, route.shadowAllows,
        frame(request, p, params, line, route, steps, deadline));
    return shadow == null ? null : enforced.withShadow(shadow);
  }

  /**
   * The route's rules' decision, or the denial of one that reached the step budget, the deadline
   * or a defect; null when a first try ({@code steps} below the budget) needs more steps. Only the
   * limits of the decision and defects escape rule evaluation; see applies().
   */
  private Decision authorizeWithin(CompiledRoute route, CompiledRule[] forbids, CompiledRule[] allows, Frame f) {
    try {
      return authorize(route, forbids, allows, f);
    } catch (EvalException e) {
      if (e.yielded) {
        return null;
      }
      return e.kind == EvalError.Kind.INTERNAL ? failed(e, route.name, f.errors()) : limited(e, route, f);
    }
  }

  private Frame frame(Request request, PrincipalBuilder.Principal p, Object[] params, RequestLine line,
      CompiledRoute route, int steps, Deadline deadline) {
    Frame f = new Frame(request, p.slots(), p.anonymous(), p.roles(), p.roleNames(), data, frameSize, budget, steps,
        deadline);
    f.params = params;
    f.line = line;
    f.path = line.path();
    f.routeName = route.name;
    return f;
  }

  /**
   * The allow with what the route's quotas ask of it ({@link Decision#charges}): each quota whose
   * conditions apply, in declaration order, with its key and cost. A condition that cannot be
   * evaluated makes its quota apply, as a forbid's does; a key or cost that cannot be evaluated
   * denies (fail closed: 401 when it read the principal of an anonymous caller, else an `error`),
   * since the request's bucket is not known. Null when a first try needs more steps.
   */
  private Decision charged(CompiledRoute route, Decision allowed, Frame f) {
    List<dev.warden.policy.runtime.QuotaCharge> charges = new ArrayList<>(route.quotas.length);
    CompiledQuota at = null;
    try {
      for (CompiledQuota q : route.quotas) {
        at = q;
        if (applies(q.rule, f) != FAILS) {
          charges.add(q.charge(f));
        }
      }
    } catch (EvalException e) {
      if (e.yielded) {
        return null;
      }
      if (e.budget()) {
        return limited(e, route, f);
      }
      if (e.kind == EvalError.Kind.INTERNAL) {
        return failed(e, route.name, f.errors());
      }
      f.error(at.rule.ref, e.kind, e.span, e.getMessage());
      RuleRef quota = at.rule.ref;
      String why = allowed.explanation() + ", but the key or cost of quota `" + quota.id() + "` at "
          + quota.location() + " could not be evaluated (" + e.getMessage() + "): denied, since the request's bucket"
          + " is not known";
      List<RuleRef> refs = List.of(quota);
      return e.kind == EvalError.Kind.ANONYMOUS
          ? routeDeny(Outcome.UNAUTHENTICATED, 401, "authentication required", () -> why, refs, route, f)
          : deny(Outcome.ERROR, 500, "internal error", () -> why, refs, route.name, f.errors());
    }
    return charges.isEmpty() ? allowed : allowed.withCharges(charges);
  }

  /** The denial of a decision that reached the step budget or the deadline. */
  private Decision limited(EvalException e, CompiledRoute route, Frame f) {
    String why = e.getMessage();
    return deny(Outcome.BUDGET, 403, "policy evaluation limit exceeded", () -> why, List.of(), route.name,
        f.errors());
  }

  /** Whether some route of the bundle has a shadow rule. */
  public boolean hasShadowRules() {
    return hasShadowRules;
  }

  private Decision authorize(CompiledRoute route, CompiledRule[] forbids, CompiledRule[] allows, Frame f) {
    int refusal = f.anonymous ? 401 : 403;
    for (CompiledRule forbid : forbids) {
      int result = applies(forbid, f);
      if (result != FAILS) {
        return forbidden(forbid, result, f, refusal, route);
      }
    }
    for (int w = 0; w < Math.min(f.roles.length, route.openRoles.length); w++) {
      long open = f.roles[w] & route.openRoles[w];
      if (open != 0) {
        return allow(route.openGrants[w * 64 + Long.numberOfTrailingZeros(open)], route, f);
      }
    }
    List<Miss> misses = null;
    for (CompiledRule allow : allows) {
      boolean hasRole = allow.role < 0 || f.hasRole(allow.role);
      int result = hasRole ? applies(allow, f) : FAILS;
      if (result == APPLIES) {
        return allow(allow, route, f);
      }
      if (misses == null) {
        misses = new ArrayList<>(MAX_EXPLAINED);
      }
      if (misses.size() < MAX_EXPLAINED) {
        misses.add(new Miss(allow, hasRole, f.failed, result == FAILS ? null : f.lastError()));
      }
    }
    List<Miss> seen = misses == null ? List.of() : misses;
    return routeDeny(refusal == 401 ? Outcome.UNAUTHENTICATED : Outcome.DEFAULT_DENY, refusal,
        f.anonymous ? "authentication required" : "not allowed", () -> explainDefaultDeny(route, seen, f), List.of(),
        route, f);
  }

  /** Why no grant or permit applied, for the explanation: at most a few, in evaluation order. */
  private record Miss(CompiledRule rule, boolean hadRole, CompiledRule.Condition failed, String error) {
    String describe(Frame f) {
      if (!hadRole) {
        return "`" + rule.ref.id() + "` needs role `" + rule.roleName + "`";
      }
      return "`" + rule.ref.id() + "`: " + (error != null ? "error: " + error : failed.describeFailure(f));
    }
  }

  private static String explainDefaultDeny(CompiledRoute route, List<Miss> misses, Frame f) {
    List<String> parts = new ArrayList<>();
    misses.forEach(m -> parts.add(m.describe(f)));
    for (int role = 0; role < route.openGrants.length && parts.size() < MAX_EXPLAINED; role++) {
      CompiledRule g = route.openGrants[role];
      String text = g == null ? null : "`" + g.ref.id() + "` needs role `" + g.roleName + "`";
      if (text != null && !parts.contains(text)) {
        parts.add(text);
      }
    }
    return parts.isEmpty()
        ? "no grant or permit covers route `" + route.name + "`"
        : "no rule allows this request: " + String.join("; ", parts);
  }

  /**
   * Whether every condition of the rule holds: {@link #APPLIES}, {@link #FAILS} (with the
   * failing condition in {@code f.failed}), or, for a condition that could not be evaluated,
   * {@link #ERROR} or {@link #ANONYMOUS} (with the reason recorded in {@code f}, {@link Frame#lastError}). A forbid treats an
   * error as applying (fail closed); a permit as not. Every error is recorded in the frame, so
   * the decision lists it. The limits of the decision and defects end the decision.
   */
  private static int applies(CompiledRule rule, Frame f) {
    try {
      CompiledRule.Condition failing = rule.firstFailing(f);
      f.failed = failing;
      return failing == null ? APPLIES : FAILS;
    } catch (EvalException e) {
      if (e.yielded) {
        throw e;
      }
      f.error(rule, e.kind, e.span, e.getMessage());
      if (e.budget()) {
        throw e;
      }
      return e.kind == EvalError.Kind.ANONYMOUS ? ANONYMOUS : ERROR;
    } catch (RuntimeException | StackOverflowError e) {
      String what = "internal error: " + e.getClass().getName();
      f.error(rule, EvalError.Kind.INTERNAL, null, what);
      throw new EvalException(EvalError.Kind.INTERNAL, null, what);
    }
  }

  /**
   * The denial of a forbid that applies. When it applies only because its condition read the
   * principal of an anonymous caller, the caller is asked to authenticate instead of being shown
   * the forbid's reason, which is about someone else.
   */
  private Decision forbidden(CompiledRule forbid, int result, Frame f, int refusal, CompiledRoute route) {
    String reason = forbid.reason != null ? forbid.reason : "forbidden by policy";
    Outcome outcome = refusal == 401 ? Outcome.UNAUTHENTICATED : Outcome.FORBID;
    if (result == APPLIES) {
      return routeDeny(outcome, refusal, reason, () -> forbid.explainApplying(f), forbid.refs, route, f);
    }
    String error = f.lastError();
    Supplier<String> explanation =
        () -> "forbid `" + forbid.ref.id() + "` applies: its condition could not be evaluated (" + error + ")";
    if (result == ANONYMOUS) {
      return routeDeny(Outcome.UNAUTHENTICATED, 401, "authentication required", explanation, forbid.refs, route, f);
    }
    return routeDeny(outcome, refusal, reason, explanation, forbid.refs, route, f);
  }

  private Decision allow(CompiledRule rule, CompiledRoute route, Frame f) {
    CompiledObligations o = route.obligations;
    Obligations obligations = o == null ? Obligations.of(f.line) : o.allow(f);
    if (obligations == null) {
      return obligationFailed(rule, route, f);
    }
    return new Decision(Outcome.ALLOW, 200, "allowed", rule.allowExplanationSupplier, rule.refs, route.name, revision,
        obligations, f.errors());
  }

  /**
   * An allow whose obligation could not be evaluated is denied (fail closed): the upstream would
   * otherwise get the request without a header it relies on, such as the caller's id. A value
   * that reads the principal of an anonymous caller asks the caller to authenticate; any other
   * error is an `error` decision.
   */
  private Decision obligationFailed(CompiledRule rule, CompiledRoute route, Frame f) {
    CompiledObligations.Failure failure = f.obligationFailure;
    RuleRef block = failure.write().block;
    List<RuleRef> refs = List.of(block, rule.ref);
    Supplier<String> why = () -> rule.allowExplanation + ", but `" + block.id() + "` at " + block.location()
        + " could not " + failure.write().describe + " (" + failure.message() + "): denied, since an allow never goes"
        + " without its obligations";
    if (failure.kind() == EvalError.Kind.ANONYMOUS) {
      return routeDeny(Outcome.UNAUTHENTICATED, 401, "authentication required", why, refs, route, f);
    }
    return deny(Outcome.ERROR, 500, "internal error", why, refs, route.name, f.errors());
  }

  /**
   * A denial by the route's rules (a forbid, the default deny, an anonymous caller refused), with
   * the response headers of the route's `on deny` obligations.
   */
  private Decision routeDeny(Outcome outcome, int status, String reason, Supplier<String> explanation,
      List<RuleRef> rules, CompiledRoute route, Frame f) {
    Obligations obligations = route.obligations == null || !route.obligations.hasDeny() ? Obligations.NONE
        : route.obligations.deny(f);
    return new Decision(outcome, status, reason, explanation, rules, route.name, revision, obligations, f.errors());
  }

  private Decision deny(Outcome outcome, int status, String reason, Supplier<String> explanation, List<RuleRef> rules,
      String route, List<EvalError> errors) {
    return new Decision(outcome, status, reason, explanation, rules, route, revision, Obligations.NONE, errors);
  }
}
