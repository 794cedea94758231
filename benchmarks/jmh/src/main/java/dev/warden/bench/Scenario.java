package dev.warden.bench;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The facts of one generated authorization scenario, shared by every engine: resource types with
 * their routes, roles with inheritance and grants, users, the objects' owners and tenants, and the
 * requests to decide. Deterministic for a seed; each facet draws from its own random stream so
 * that, say, changing the route count leaves the users unchanged.
 */
public record Scenario(
    List<String> types,
    List<Route> routes,
    List<Role> roles,
    List<User> users,
    Map<String, Map<String, Obj>> objects,
    List<Input> inputs) {

  /** The role that may do anything, regardless of ownership and tenant. */
  public static final String ADMIN = "admin";

  /** How big a scenario to generate. */
  public record Sizes(int types, int roles, int users, int objectsPerType, int requests) {
    /** The benchmark's scenario: 200 routes, 30 roles, 4,096 requests. */
    public static Sizes standard() {
      return new Sizes(20, 30, 64, 64, 4096);
    }
  }

  /** One of the ten things every resource type offers. */
  public record Action(String name, String method, String suffix, boolean hasId, boolean ownerOnly) {}

  /** The actions of every resource type; mutations of an object are for its owner only. */
  public static final List<Action> ACTIONS = List.of(
      new Action("list", "GET", "", false, false),
      new Action("create", "POST", "", false, false),
      new Action("read", "GET", "", true, false),
      new Action("update", "PUT", "", true, true),
      new Action("patch", "PATCH", "", true, true),
      new Action("remove", "DELETE", "", true, true),
      new Action("history", "GET", "/history", true, false),
      new Action("share", "POST", "/share", true, true),
      new Action("archive", "POST", "/archive", true, true),
      new Action("export", "GET", "/export", true, false));

  /** A declared route: resource type and action; {@code index} is its position in {@link #routes}. */
  public record Route(int index, String type, Action action) {
    public String name() {
      return type + "." + action.name();
    }

    /** The path template's text with {@code {id}} for the object. */
    public String template() {
      return "/" + type + (action.hasId() ? "/{id}" : "") + action.suffix();
    }

    String path(String id) {
      return "/" + type + (action.hasId() ? "/" + id : "") + action.suffix();
    }
  }

  /** A role, the roles it extends, and the routes it grants directly; {@code all} grants every route. */
  public record Role(String name, List<String> parents, List<Integer> grants, boolean all) {}

  /** A caller: their token's subject, tenant and role claims. */
  public record User(String id, String tenant, List<String> roles) {}

  /** One object of a resource type. */
  public record Obj(String owner, String tenant) {}

  public static Scenario generate(long seed, Sizes sizes) {
    List<String> types = new ArrayList<>();
    List<Route> routes = new ArrayList<>();
    for (int t = 0; t < sizes.types(); t++) {
      String type = String.format("t%04d", t);
      types.add(type);
      for (Action a : ACTIONS) {
        routes.add(new Route(routes.size(), type, a));
      }
    }
    List<Role> roles = roles(new Random(seed), sizes.roles(), routes.size());
    List<User> users = users(new Random(seed * 31 + 1), sizes.users(), roles);
    Map<String, Map<String, Obj>> objects = new LinkedHashMap<>();
    Random objRandom = new Random(seed * 31 + 2);
    for (String type : types) {
      Map<String, Obj> byId = new LinkedHashMap<>();
      for (int o = 0; o < sizes.objectsPerType(); o++) {
        User owner = users.get(objRandom.nextInt(users.size()));
        byId.put(String.format("o%03d", o), new Obj(owner.id(), owner.tenant()));
      }
      objects.put(type, byId);
    }
    Scenario partial = new Scenario(types, routes, roles, users, objects, List.of());
    List<Input> inputs = new RequestGenerator(partial, new Random(seed * 31 + 3)).generate(sizes.requests());
    return new Scenario(types, routes, roles, users, objects, inputs);
  }

  /** Role i extends up to two earlier roles; the last role is the administrator, extended by none. */
  private static List<Role> roles(Random random, int count, int routeCount) {
    List<Role> roles = new ArrayList<>();
    for (int r = 0; r < count - 1; r++) {
      List<String> parents = new ArrayList<>();
      for (int k = 0; k < 2 && r > 0; k++) {
        String parent = roles.get(random.nextInt(r)).name();
        if (random.nextInt(3) > 0 && !parents.contains(parent)) {
          parents.add(parent);
        }
      }
      List<Integer> grants = new ArrayList<>();
      int want = Math.min(routeCount, 4 + random.nextInt(8));
      for (int attempt = 0; grants.size() < want && attempt < 4 * want; attempt++) {
        int route = random.nextInt(routeCount);
        if (!grants.contains(route)) {
          grants.add(route);
        }
      }
      roles.add(new Role(String.format("role%02d", r), parents, grants, false));
    }
    roles.add(new Role(ADMIN, List.of(), List.of(), true));
    return roles;
  }

  private static List<User> users(Random random, int count, List<Role> roles) {
    List<User> users = new ArrayList<>();
    for (int u = 0; u < count; u++) {
      List<String> names = new ArrayList<>();
      if (random.nextInt(100) < 3) {
        names.add(ADMIN);
      }
      int want = 1 + random.nextInt(3);
      for (int attempt = 0; names.size() < want && attempt < 8; attempt++) {
        String name = roles.get(random.nextInt(roles.size() - 1)).name();
        if (!names.contains(name)) {
          names.add(name);
        }
      }
      users.add(new User(String.format("u%03d", u), "tenant" + random.nextInt(5), names));
    }
    return users;
  }

  /** Every role's own name and the names of all roles it inherits from, transitively. */
  public Map<String, List<String>> impliedRoles() {
    Map<String, List<String>> implied = new HashMap<>();
    for (Role role : roles) {
      List<String> names = new ArrayList<>(List.of(role.name()));
      for (int i = 0; i < names.size(); i++) {
        for (String parent : role(names.get(i)).parents()) {
          if (!names.contains(parent)) {
            names.add(parent);
          }
        }
      }
      implied.put(role.name(), names);
    }
    return implied;
  }

  /** The routes each role may call, inheritance flattened. */
  public Map<String, BitSet> flattenedGrants() {
    Map<String, BitSet> grants = new HashMap<>();
    impliedRoles().forEach((name, implied) -> {
      BitSet set = new BitSet(routes.size());
      for (String r : implied) {
        Role role = role(r);
        if (role.all()) {
          set.set(0, routes.size());
        }
        role.grants().forEach(set::set);
      }
      grants.put(name, set);
    });
    return grants;
  }

  public Role role(String name) {
    for (Role r : roles) {
      if (r.name().equals(name)) {
        return r;
      }
    }
    throw new IllegalArgumentException("no role " + name);
  }
}
