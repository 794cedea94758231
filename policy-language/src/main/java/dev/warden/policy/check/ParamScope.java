package dev.warden.policy.check;

import dev.warden.policy.ast.PathTemplate;
import dev.warden.policy.check.CheckedBundle.RouteInfo;
import dev.warden.policy.types.Type;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The path parameters an expression may use: those that every route it covers declares, with
 * the same type. A name that some covered route lacks gets a message saying which. Likewise the
 * request model: what every covered route types alike ({@link RequestModel#common}).
 */
final class ParamScope {
  private ParamScope() {}

  /**
   * {@code env} with the parameters common to the covered routes in scope; {@code what} names the
   * construct in messages (`this rule`).
   */
  static Env of(Env env, BitSet covered, List<RouteInfo> routes, String what,
      java.util.function.Function<RouteInfo, RequestModel> models) {
    List<RequestModel> covering = new ArrayList<>();
    Map<String, Type> common = null;
    Map<String, List<String>> declaredBy = new TreeMap<>();
    List<String> coveredNames = new ArrayList<>();
    for (int id = covered.nextSetBit(0); id >= 0; id = covered.nextSetBit(id + 1)) {
      RouteInfo r = routes.get(id);
      coveredNames.add(r.name());
      covering.add(models.apply(r));
      Map<String, Type> params = new LinkedHashMap<>();
      for (PathTemplate.Param p : r.path().params()) {
        params.put(p.name(), p.type() == PathTemplate.ParamType.INT ? Type.INT : Type.STRING);
        declaredBy.computeIfAbsent(p.name(), k -> new ArrayList<>()).add(r.name());
      }
      if (common == null) {
        common = params;
      } else {
        common.entrySet().removeIf(e -> !e.getValue().equals(params.get(e.getKey())));
      }
    }
    Map<String, Type> scope = common == null ? Map.of() : common;
    return env.withParams(scope, name -> {
      List<String> having = declaredBy.get(name);
      if (having == null) {
        return null;
      }
      List<String> lacking = coveredNames.stream().filter(n -> !having.contains(n)).toList();
      return lacking.isEmpty()
          ? "path parameter `" + name + "` has different types in the routes " + what + " covers"
          : "`" + name + "` is a path parameter of `" + having.get(0) + "` but not of `" + lacking.get(0)
              + "`, which " + what + " also covers";
    }).withRequest(RequestModel.common(covering), whyNoBody(covered, routes, covering, what));
  }

  /** Why the covered routes give `request.body` no common type, naming them; null when they do. */
  private static String whyNoBody(BitSet covered, List<RouteInfo> routes, List<RequestModel> covering, String what) {
    if (covering.isEmpty() || RequestModel.common(covering).body() != null) {
      return null;
    }
    List<String> without = new ArrayList<>();
    List<String> with = new ArrayList<>();
    int i = 0;
    for (int id = covered.nextSetBit(0); id >= 0; id = covered.nextSetBit(id + 1), i++) {
      (covering.get(i).body() == null ? without : with).add(routes.get(id).qualifiedName());
    }
    if (!without.isEmpty()) {
      return "route `" + without.get(0) + "`" + (without.size() > 1 ? " (and " + (without.size() - 1) + " more)" : "")
          + ", which " + what + " covers, declares no JSON body schema";
    }
    return with.size() < 2 ? null : "routes `" + with.get(0) + "` and `" + with.get(1) + "`, which " + what
        + " covers, declare different JSON bodies";
  }
}
