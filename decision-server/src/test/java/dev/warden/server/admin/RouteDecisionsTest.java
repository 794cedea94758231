package dev.warden.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.runtime.Outcome;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** `warden_route_decisions_total`'s labels: capped, never from traffic, swept at every activation. */
class RouteDecisionsTest {
  private final io.prometheus.metrics.model.registry.PrometheusRegistry registry =
      new io.prometheus.metrics.model.registry.PrometheusRegistry();
  private final io.prometheus.metrics.core.metrics.Counter counter = io.prometheus.metrics.core.metrics.Counter.builder()
      .name("warden_route_decisions_total").labelNames("route", "outcome").register(registry);
  private final RouteDecisions routes = new RouteDecisions(counter, 2);

  /** route|outcome → count, as the registry holds it now. */
  private Map<String, Double> series() {
    Map<String, Double> out = new TreeMap<>();
    registry.scrape().stream().filter(s -> s.getMetadata().getName().equals("warden_route_decisions"))
        .flatMap(s -> s.getDataPoints().stream())
        .map(p -> (io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot) p)
        .forEach(p -> out.put(p.getLabels().get("route") + "|" + p.getLabels().get("outcome"), p.getValue()));
    return out;
  }

  @Test
  void theFirstDeclaredRoutesHaveLabelsAndEverythingElseIsOtherOrNone() {
    routes.declared(List.of("a.one", "a.one", "a.two", "a.three"));
    routes.decided("a.one", Outcome.ALLOW);
    routes.decided("a.two", Outcome.FORBID);
    routes.decided("a.three", Outcome.ALLOW);
    routes.decided("not.declared", Outcome.ALLOW);
    routes.decided(null, Outcome.NO_ROUTE);
    // A repeated id takes one place under the cap; a route name no bundle declares is never a label.
    assertThat(series()).containsExactlyEntriesOf(new TreeMap<>(Map.of("a.one|allow", 1.0, "a.two|forbid", 1.0,
        "other|allow", 2.0, "none|no_route", 1.0)));
  }

  @Test
  void anActivationRemovesTheSeriesOfRoutesNoLongerDeclaredEvenOnesBroughtBackByARace() {
    routes.declared(List.of("a.one", "a.two"));
    routes.decided("a.one", Outcome.ALLOW);
    routes.decided("a.two", Outcome.ALLOW);
    routes.declared(List.of("a.two", "b.new"));
    assertThat(series()).containsOnlyKeys("a.two|allow");
    routes.decided("a.one", Outcome.ALLOW);
    assertThat(series()).containsEntry("other|allow", 1.0).doesNotContainKey("a.one|allow");
    routes.decided("b.new", Outcome.DEFAULT_DENY);
    routes.decided("a.two", Outcome.ALLOW);
    assertThat(series()).containsEntry("a.two|allow", 2.0).containsEntry("b.new|default_deny", 1.0);
    // What a Check holding the labels of a moment ago would do: bring a removed series back.
    counter.labelValues("a.one", "allow").inc();
    routes.declared(List.of("a.two", "b.new"));
    assertThat(series()).doesNotContainKey("a.one|allow").containsKeys("a.two|allow", "b.new|default_deny", "other|allow");
  }
}
