package dev.warden.bench;

import dev.warden.bench.Scenario.Action;
import dev.warden.bench.Scenario.Obj;
import dev.warden.bench.Scenario.Role;
import dev.warden.bench.Scenario.Route;
import java.util.List;
import java.util.Map;
import org.casbin.jcasbin.main.Enforcer;
import org.casbin.jcasbin.model.Model;

/**
 * jCasbin with an RBAC model whose policy lines carry the ownership and tenant condition (ABAC
 * through {@code eval}). Role inheritance is Casbin's own {@code g} relation; the host parses the
 * request and fetches the object, which Casbin has no notion of. A token may name several roles,
 * so the enforcer is asked once per role until one allows.
 */
public final class CasbinEngine extends HostEngine {
  static final String MODEL = """
      [request_definition]
      r = role, route, sub, tenant, owner, otenant

      [policy_definition]
      p = role, route, cond

      [role_definition]
      g = _, _

      [policy_effect]
      e = some(where (p.eft == allow))

      [matchers]
      m = g(r.role, p.role) && (p.route == r.route || p.route == "*") && eval(p.cond)
      """;

  private static final String TENANT = "r.otenant == r.tenant";
  private static final String OWNER = TENANT + " && r.owner == r.sub";

  private final Enforcer enforcer;

  public CasbinEngine(Scenario scenario) {
    super("jcasbin", scenario);
    Model model = new Model();
    model.loadModelFromText(MODEL);
    this.enforcer = new Enforcer(model);
    enforcer.enableLog(false);
    for (Role role : scenario.roles()) {
      for (String parent : role.parents()) {
        enforcer.addGroupingPolicy(role.name(), parent);
      }
      if (role.all()) {
        enforcer.addPolicy(role.name(), "*", "true");
      }
      for (int r : role.grants()) {
        Route route = scenario.routes().get(r);
        enforcer.addPolicy(role.name(), route.name(), condition(route.action()));
      }
    }
  }

  private static String condition(Action a) {
    return a.ownerOnly() ? OWNER : a.hasId() ? TENANT : "true";
  }

  @Override
  boolean decide(Map<String, Object> claims, List<String> roles, HostIndex.Match match) {
    String owner = "";
    String objectTenant = "";
    if (match.id() != null) {
      Obj o = match.entry().objects().get(match.id());
      if (o == null) {
        return false;
      }
      owner = o.owner();
      objectTenant = o.tenant();
    }
    String route = match.entry().route().name();
    Object sub = claims.get("sub");
    Object tenant = claims.get("tenant");
    for (String role : roles) {
      if (enforcer.enforce(role, route, sub, tenant, owner, objectTenant)) {
        return true;
      }
    }
    return false;
  }
}
