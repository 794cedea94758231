package dev.warden.policy.check;

import dev.warden.policy.ast.PathTemplate;
import dev.warden.policy.ast.Target;
import dev.warden.policy.check.CheckedBundle.RouteInfo;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Diagnostics;
import dev.warden.policy.diag.EditDistance;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/** Resolves grant and rule targets (`read`, `orders.*`, `GET /customers/{id}`, `*`) to routes. */
final class Targets {
  private final List<RouteInfo> routes;
  private final Diagnostics diagnostics;
  /** Routes by qualified name, and by package: a name resolves in one lookup, however many routes. */
  private final java.util.Map<String, RouteInfo> byName = new java.util.HashMap<>();
  private final java.util.Map<String, BitSet> byPackage = new java.util.HashMap<>();
  private final BitSet all = new BitSet();

  Targets(List<RouteInfo> routes, Diagnostics diagnostics) {
    this.routes = routes;
    this.diagnostics = diagnostics;
    for (RouteInfo r : routes) {
      byName.putIfAbsent(r.qualifiedName(), r);
      byPackage.computeIfAbsent(r.packageName(), k -> new BitSet()).set(r.id());
      all.set(r.id());
    }
  }

  /** The routes a list of targets covers, or null after an error. */
  BitSet resolve(String pkg, List<Target> targets) {
    BitSet out = new BitSet();
    boolean ok = true;
    for (Target t : targets) {
      BitSet one = resolve(pkg, t);
      if (one == null) {
        ok = false;
      } else {
        out.or(one);
      }
    }
    return ok ? out : null;
  }

  private BitSet resolve(String pkg, Target t) {
    BitSet out = new BitSet();
    if (t instanceof Target.All) {
      return (BitSet) all.clone();
    }
    if (t instanceof Target.Named n && n.wildcard()) {
      BitSet inPackage = byPackage.get(n.name());
      if (inPackage == null) {
        diagnostics.add(Diagnostic.error("check.unknown_route", n.span(), "package `" + n.name() + "` declares no routes"));
        return null;
      }
      return (BitSet) inPackage.clone();
    }
    if (t instanceof Target.Named n) {
      String qualified = n.name().contains(".") ? n.name() : pkg + "." + n.name();
      RouteInfo named = byName.get(qualified);
      if (named != null) {
        out.set(named.id());
        return out;
      }
      // A qualified name is compared with qualified names, a short one with the package's own.
      boolean qualifiedRef = n.name().contains(".");
      List<String> candidates = new ArrayList<>();
      for (RouteInfo r : routes) {
        candidates.add(!qualifiedRef && r.packageName().equals(pkg) ? r.name() : r.qualifiedName());
      }
      String shortName = n.name().substring(n.name().lastIndexOf('.') + 1);
      Diagnostic d = Diagnostic.error("check.unknown_route", n.span(), "unknown route `" + n.name() + "`");
      diagnostics.add(EditDistance.closest(n.name(), candidates).map(s -> d.withHelp("did you mean `" + s + "`?"))
          .orElse(d.withHelp("declare it in an `api` block: `route " + shortName + " GET /…`")));
      return null;
    }
    Target.Path p = (Target.Path) t;
    for (RouteInfo r : routes) {
      if ((p.method() == null || p.method().equals(r.method())) && covers(p.path(), r.path())) {
        out.set(r.id());
      }
    }
    if (out.isEmpty()) {
      diagnostics.add(
          Diagnostic.error("check.unknown_route", p.span(),
              "no declared route matches `" + (p.method() == null ? "" : p.method() + " ") + p.path() + "`")
              .withHelp("patterns match declared routes; run `warden routes` to list them"));
      return null;
    }
    return out;
  }

  /** Whether a pattern covers a declared route's template. */
  static boolean covers(PathTemplate pattern, PathTemplate route) {
    List<PathTemplate.Segment> ps = pattern.segments();
    List<PathTemplate.Segment> rs = route.segments();
    for (int i = 0; i < ps.size(); i++) {
      PathTemplate.Segment p = ps.get(i);
      if (p instanceof PathTemplate.Rest) {
        return true;
      }
      if (i >= rs.size()) {
        return false;
      }
      PathTemplate.Segment r = rs.get(i);
      boolean ok = p instanceof PathTemplate.Wildcard
          ? !(r instanceof PathTemplate.Rest)
          : p instanceof PathTemplate.Param ? r instanceof PathTemplate.Param
          : p.equals(r);
      if (!ok) {
        return false;
      }
    }
    return ps.size() == rs.size();
  }
}
