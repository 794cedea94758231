package dev.warden.policy.check;

import dev.warden.policy.ast.Decl;
import dev.warden.policy.ast.PolicyFile;
import dev.warden.policy.check.CheckedBundle.CheckedHeaderAction;
import dev.warden.policy.check.CheckedBundle.CheckedOnBlock;
import dev.warden.policy.check.CheckedBundle.RouteInfo;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Diagnostics;
import dev.warden.policy.diag.Span;
import dev.warden.policy.runtime.HeaderRules;
import dev.warden.policy.types.Type;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks `on allow` and `on deny` blocks: targets resolved like a rule's (no target: every route
 * of the package), header names that a policy may touch ({@link HeaderRules}), values of type
 * `string` or `string?`, and at most one value set per header and route.
 */
final class ObligationChecker {
  private final Diagnostics diagnostics;
  private final FieldIds fieldIds;
  private final List<RouteInfo> routes;
  private final Targets targets;
  private final Env env;
  private final List<String> ids = new ArrayList<>();
  private int frameSize;

  private final java.util.function.Function<RouteInfo, RequestModel> requestModels;

  ObligationChecker(Diagnostics diagnostics, FieldIds fieldIds, List<RouteInfo> routes, Targets targets, Env env,
      java.util.function.Function<RouteInfo, RequestModel> requestModels) {
    this.requestModels = requestModels;
    this.diagnostics = diagnostics;
    this.fieldIds = fieldIds;
    this.routes = routes;
    this.targets = targets;
    this.env = env;
  }

  /** The ids of every block declared (`orders.on_allow#1`), also of blocks with errors. */
  List<String> ids() {
    return ids;
  }

  int frameSize() {
    return frameSize;
  }

  List<CheckedOnBlock> check(List<PolicyFile> files) {
    List<CheckedOnBlock> out = new ArrayList<>();
    Map<String, Integer> counters = new HashMap<>();
    for (PolicyFile f : files) {
      for (Decl.OnBlock b : f.declsOf(Decl.OnBlock.class)) {
        String kind = b.allow() ? "on_allow" : "on_deny";
        String id = f.packageName() + "." + kind + "#" + counters.merge(f.packageName() + "." + kind, 1, Integer::sum);
        ids.add(id);
        BitSet covered = covered(f.packageName(), b);
        if (covered == null) {
          continue;
        }
        List<CheckedHeaderAction> actions = new ArrayList<>();
        boolean ok = true;
        Env local = ParamScope.of(env, covered, routes, "this block", requestModels);
        for (Decl.HeaderAction a : b.actions()) {
          CheckedHeaderAction c = action(a, b.allow(), local);
          ok &= c != null;
          if (c != null) {
            actions.add(c);
          }
        }
        if (ok) {
          out.add(new CheckedOnBlock(id, b.allow(), covered, actions, b.span()));
        }
      }
    }
    conflicts(out);
    return out;
  }

  private BitSet covered(String pkg, Decl.OnBlock b) {
    if (!b.targets().isEmpty()) {
      return targets.resolve(pkg, b.targets());
    }
    BitSet out = new BitSet();
    routes.stream().filter(r -> r.packageName().equals(pkg)).forEach(r -> out.set(r.id()));
    if (out.isEmpty()) {
      diagnostics.add(Diagnostic.error("check.unknown_route", b.span(),
              "`on " + (b.allow() ? "allow" : "deny") + "` covers the routes of package `" + pkg + "`, which declares none")
          .withHelp("name the routes it is for: `on " + (b.allow() ? "allow" : "deny") + " orders.* { … }`"));
      return null;
    }
    return out;
  }

  private CheckedHeaderAction action(Decl.HeaderAction a, boolean allow, Env local) {
    String what = a.op().keyword() + (a.response() ? " response header" : " header");
    if (!allow && !a.response()) {
      diagnostics.add(Diagnostic.error("check.bad_obligation", a.span(), "`" + what + "` in `on deny`: a denied request"
              + " does not reach the upstream")
          .withHelp("`on deny` sets headers of the denial the client receives: `set response header \"…\" = …`"));
      return null;
    }
    if (a.response() && a.op() == Decl.HeaderOp.REMOVE) {
      diagnostics.add(Diagnostic.error("check.bad_obligation", a.span(), "`remove response header` is not supported")
          .withHelp("Envoy's ext_authz adds headers to a response but cannot remove them; remove them in the upstream"));
      return null;
    }
    HeaderRules.Use use = a.response() ? (allow ? HeaderRules.Use.RESPONSE_ON_ALLOW : HeaderRules.Use.RESPONSE_ON_DENY)
        : a.op() == Decl.HeaderOp.REMOVE ? HeaderRules.Use.UPSTREAM_REMOVE : HeaderRules.Use.UPSTREAM_SET;
    String problem = HeaderRules.problem(a.name(), use);
    if (problem != null) {
      String[] parts = problem.split("\n", 2);
      diagnostics.add(Diagnostic.error("check.bad_header", a.nameSpan(), parts[0]).withHelp(parts[1]));
      return null;
    }
    if (a.op() == Decl.HeaderOp.APPEND && a.name().equals("set-cookie")) {
      diagnostics.add(Diagnostic.error("check.bad_header", a.nameSpan(), "`set-cookie` cannot be appended")
          .withHelp("appended values are joined into one line with `, `, which breaks cookies; `set` one cookie"));
      return null;
    }
    if (a.value() == null) {
      return new CheckedHeaderAction(a.op(), a.response(), a.name(), null, a.span());
    }
    ExprChecker checker = new ExprChecker(local, diagnostics, fieldIds);
    Checked value = checker.check(a.value());
    frameSize = Math.max(frameSize, checker.frameSize());
    if (value == null) {
      return null;
    }
    if (Type.unwrap(value.type()) != Type.STRING) {
      diagnostics.add(Diagnostic.error("check.type_mismatch", a.value().span(),
              "a header value is a `string` or a `string?`, found `" + value.type().display() + "`")
          .withHelp("headers carry text; a `string?` that is absent sets nothing"));
      return null;
    }
    if (value instanceof Checked.Const k && k.value() instanceof String s && HeaderRules.valueProblem(s) != null) {
      diagnostics.add(Diagnostic.error("check.bad_header", a.value().span(),
              "header value has " + HeaderRules.valueProblem(s))
          .withHelp("header values are one line of text, without blanks at either end"));
      return null;
    }
    return new CheckedHeaderAction(a.op(), a.response(), a.name(), value, a.span());
  }

  /**
   * At most one value per header and route: a header is set once, or appended to, never both, and
   * a header that is set is not also removed by name. One diagnostic per pair of actions.
   */
  private void conflicts(List<CheckedOnBlock> blocks) {
    Set<String> reported = new HashSet<>();
    List<Map<String, CheckedHeaderAction>> seen = new ArrayList<>();
    for (int i = 0; i < routes.size(); i++) {
      seen.add(new HashMap<>());
    }
    for (CheckedOnBlock b : blocks) {
      for (int id = b.routes().nextSetBit(0); id >= 0; id = b.routes().nextSetBit(id + 1)) {
        Map<String, CheckedHeaderAction> byName = seen.get(id);
        for (CheckedHeaderAction a : b.actions()) {
          if (a.pattern()) {
            continue;
          }
          String key = (b.allow() ? "allow " : "deny ") + (a.response() ? "response " : "") + a.name();
          CheckedHeaderAction first = byName.putIfAbsent(key, a);
          if (first == null || first == a) {
            continue;
          }
          String problem = conflict(first, a);
          if (problem != null && reported.add(first.span() + " " + a.span())) {
            String header = (a.response() ? "response header `" : "header `") + a.name() + "`";
            diagnostics.add(Diagnostic.error("check.header_conflict", a.span(),
                    header + " is " + problem + " for route `" + routes.get(id).qualifiedName() + "`")
                .withHelp(help(first, a)));
          }
          if (first.op() == Decl.HeaderOp.REMOVE && a.op() != Decl.HeaderOp.REMOVE) {
            byName.put(key, a);
          }
        }
      }
    }
  }

  /** What is wrong with two actions on one header of one route, or null when they go together. */
  private static String conflict(CheckedHeaderAction first, CheckedHeaderAction second) {
    Decl.HeaderOp a = first.op();
    Decl.HeaderOp b = second.op();
    if (a == Decl.HeaderOp.REMOVE && b == Decl.HeaderOp.REMOVE || a == Decl.HeaderOp.APPEND && b == Decl.HeaderOp.APPEND) {
      return null;
    }
    if (a == Decl.HeaderOp.SET && b == Decl.HeaderOp.SET) {
      return "set twice";
    }
    if (a == Decl.HeaderOp.REMOVE || b == Decl.HeaderOp.REMOVE) {
      return "both " + (a == Decl.HeaderOp.REMOVE ? b : a).keyword() + (a == Decl.HeaderOp.APPEND || b == Decl.HeaderOp.APPEND
          ? "ed" : "") + " and removed";
    }
    return "both set and appended";
  }

  private static String help(CheckedHeaderAction first, CheckedHeaderAction second) {
    Span at = first.span();
    if (first.op() == Decl.HeaderOp.REMOVE || second.op() == Decl.HeaderOp.REMOVE) {
      return "the other is at " + at + "; a header Warden sets replaces the client's copy already: drop the `remove`";
    }
    if (first.op() == Decl.HeaderOp.SET && second.op() == Decl.HeaderOp.SET) {
      return "the first is at " + at + "; set a header once per route, or `append` each value";
    }
    return "the other is at " + at + "; `append` every value, or `set` one";
  }
}
