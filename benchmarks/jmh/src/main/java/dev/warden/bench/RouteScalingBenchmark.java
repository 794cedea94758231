package dev.warden.bench;

import dev.warden.policy.api.PolicyEngine;
import dev.warden.policy.api.Verdict;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Warden deciding one request against bundles of growing size: the cost of a decision should not
 * depend on how many routes the bundle declares. The request is the owner (an administrator)
 * updating their object, so route lookup, both forbids' data lookups and the grant all run.
 */
@State(Scope.Benchmark)
public class RouteScalingBenchmark extends BenchmarkSettings {
  @Param({"10", "1000", "10000"})
  public int routes;

  private PolicyEngine engine;
  private Input input;

  @Setup
  public void setUp() {
    Scenario scenario = scaled(routes);
    engine = WardenBundle.compile(scenario);
    input = request(scenario);
    Verdict v = engine.decide(input.request());
    if (!v.allowed() || engine.routes().size() != routes) {
      throw new IllegalStateException("unexpected setup: " + engine.routes().size() + " routes, " + v);
    }
  }

  /** A scenario with {@code routes} routes (ten per resource type) and a fixed number of everything else. */
  static Scenario scaled(int routes) {
    return Scenario.generate(DecisionBenchmark.SEED, new Scenario.Sizes(routes / Scenario.ACTIONS.size(), 10, 64, 8, 0));
  }

  /** The owner of the first object of the first type updating it; identical for every size. */
  static Input request(Scenario scenario) {
    Scenario.Obj o = scenario.objects().get("t0000").get("o000");
    Map<String, Object> claims = Map.of("sub", o.owner(), "tenant", o.tenant(), "roles", List.of(Scenario.ADMIN));
    return Input.of("PUT", "/t0000/o000", claims);
  }

  @Benchmark
  public Verdict decide() {
    return engine.decide(input.request());
  }
}
