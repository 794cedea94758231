package dev.warden.bench;

import dev.warden.bench.Scenario.Obj;
import dev.warden.bench.Scenario.Route;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a hand-written service keeps in memory to authorize: routes by resource type, method and
 * path shape; every role's permissions with inheritance flattened; the objects' owners and
 * tenants. The hand-written engine decides with it alone; CEL and jCasbin use it for the parts
 * they have no language for (parsing the request, fetching data).
 */
final class HostIndex {
  /** A route as the host sees it, with the data its conditions read. */
  record Entry(Route route, Map<String, Obj> objects) {}

  /** The route a request names, and the object id in its path (null for a collection). */
  record Match(Entry entry, String id) {}

  /** The routes of one resource type: on the collection, on an item, and on an item's sub-paths. */
  private static final class TypeRoutes {
    final Map<String, Entry> collection = new HashMap<>();
    final Map<String, Entry> item = new HashMap<>();
    final Map<String, Map<String, Entry>> sub = new HashMap<>();
  }

  /** The routes one role may call, and whether it is (or inherits) the administrator. */
  record Grants(BitSet routes, boolean admin) {}

  private final Map<String, TypeRoutes> types = new HashMap<>();
  private final Map<String, Grants> roles = new HashMap<>();

  HostIndex(Scenario scenario) {
    for (Route r : scenario.routes()) {
      TypeRoutes t = types.computeIfAbsent(r.type(), k -> new TypeRoutes());
      Entry e = new Entry(r, scenario.objects().get(r.type()));
      String suffix = r.action().suffix();
      if (!r.action().hasId()) {
        t.collection.put(r.action().method(), e);
      } else if (suffix.isEmpty()) {
        t.item.put(r.action().method(), e);
      } else {
        t.sub.computeIfAbsent(suffix.substring(1), k -> new HashMap<>()).put(r.action().method(), e);
      }
    }
    Map<String, List<String>> implied = scenario.impliedRoles();
    scenario.flattenedGrants().forEach((name, routes) ->
        roles.put(name, new Grants(routes, implied.get(name).contains(Scenario.ADMIN))));
  }

  /** The declared route for a method and path, or null: at most three path segments here. */
  Match find(String method, String path) {
    if (path.length() < 2 || path.charAt(0) != '/') {
      return null;
    }
    int s1 = path.indexOf('/', 1);
    TypeRoutes t = types.get(s1 < 0 ? path.substring(1) : path.substring(1, s1));
    if (t == null) {
      return null;
    }
    if (s1 < 0) {
      Entry e = t.collection.get(method);
      return e == null ? null : new Match(e, null);
    }
    int s2 = path.indexOf('/', s1 + 1);
    String id = s2 < 0 ? path.substring(s1 + 1) : path.substring(s1 + 1, s2);
    if (id.isEmpty()) {
      return null;
    }
    Map<String, Entry> byMethod = s2 < 0 ? t.item : t.sub.get(path.substring(s2 + 1));
    Entry e = byMethod == null ? null : byMethod.get(method);
    return e == null ? null : new Match(e, id);
  }

  /** What the roles of a token allow on a route, before any condition on the object. */
  enum Access { DENIED, GRANTED, ADMIN }

  /** Unknown role names grant nothing; an administrator is granted every route. */
  Access access(List<String> roleNames, Route route) {
    Access access = Access.DENIED;
    for (String name : roleNames) {
      Grants g = roles.get(name);
      if (g != null && g.admin()) {
        return Access.ADMIN;
      }
      if (g != null && g.routes().get(route.index())) {
        access = Access.GRANTED;
      }
    }
    return access;
  }

  /** The roles claim as the list of names it should be, or null when it is something else. */
  @SuppressWarnings("unchecked")
  static List<String> roleClaim(Map<String, Object> claims) {
    Object roles = claims.get("roles");
    return roles instanceof List<?> ? (List<String>) roles : null;
  }
}
