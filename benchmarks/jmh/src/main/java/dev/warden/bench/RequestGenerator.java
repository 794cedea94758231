package dev.warden.bench;

import dev.warden.bench.Scenario.Obj;
import dev.warden.bench.Scenario.Route;
import dev.warden.bench.Scenario.User;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Draws requests that mix allows and every kind of denial: routes the caller's roles do not
 * grant, objects of another owner or tenant, undeclared routes and anonymous callers. Biased
 * towards granted routes and the caller's own objects, or nearly everything would be denied.
 */
final class RequestGenerator {
  private final Scenario scenario;
  private final Random random;
  private final Map<String, BitSet> grants;

  RequestGenerator(Scenario scenario, Random random) {
    this.scenario = scenario;
    this.random = random;
    this.grants = scenario.flattenedGrants();
  }

  List<Input> generate(int count) {
    List<Input> inputs = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      inputs.add(next());
    }
    return inputs;
  }

  private Input next() {
    User user = scenario.users().get(random.nextInt(scenario.users().size()));
    Map<String, Object> claims = Map.of("sub", user.id(), "tenant", user.tenant(), "roles", user.roles());
    int kind = random.nextInt(100);
    if (kind < 2) {
      return Input.of("GET", "/undeclared/" + random.nextInt(10), claims);
    }
    if (kind < 4) {
      Route route = randomRoute();
      return Input.of("OPTIONS", route.path("o000"), claims);
    }
    Route route = kind < 70 ? grantedRoute(user) : randomRoute();
    String id = route.action().hasId() ? objectFor(user, route.type()) : null;
    return Input.of(route.action().method(), route.path(id), kind < 6 ? null : claims);
  }

  private Route randomRoute() {
    return scenario.routes().get(random.nextInt(scenario.routes().size()));
  }

  private Route grantedRoute(User user) {
    BitSet granted = new BitSet();
    user.roles().forEach(r -> granted.or(grants.get(r)));
    int pick = random.nextInt(Math.max(1, granted.cardinality()));
    int index = granted.nextSetBit(0);
    for (int k = 0; k < pick && index >= 0; k++) {
      index = granted.nextSetBit(index + 1);
    }
    return index < 0 ? randomRoute() : scenario.routes().get(index);
  }

  /** Mostly the caller's own object or one of their tenant, sometimes anyone's. */
  private String objectFor(User user, String type) {
    Map<String, Obj> objects = scenario.objects().get(type);
    List<String> ids = new ArrayList<>(objects.keySet());
    int kind = random.nextInt(10);
    for (int attempt = 0; kind < 7 && attempt < 4 * ids.size(); attempt++) {
      String id = ids.get(random.nextInt(ids.size()));
      Obj o = objects.get(id);
      if (kind < 4 ? o.owner().equals(user.id()) : o.tenant().equals(user.tenant())) {
        return id;
      }
    }
    return ids.get(random.nextInt(ids.size()));
  }
}
