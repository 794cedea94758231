package dev.warden.server.admin;

import dev.warden.policy.runtime.Outcome;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * `warden_route_decisions_total{route, outcome}`: decisions by the declared route they matched,
 * with a cardinality bounded whatever the traffic: only route ids the active bundles declare
 * become labels, and at most {@code maxRoutes} of them (the first in configuration and
 * declaration order); the rest count as {@value #OTHER}. A decision that matched no route (an
 * undeclared path, a request refused before routing) counts as {@value #NONE}: client text never
 * becomes a label.
 *
 * <p>Which routes have a label is fixed at every activation ({@link #declared}), off the request
 * path; Checks read one immutable {@link Labels} (a volatile load and a hash lookup). A route no
 * longer declared after a bundle swap has its series removed then, so that a long run of
 * deployments does not grow `/metrics` forever; a route still declared keeps counting.
 *
 * <p>Races, all harmless and bounded: a decision counted through the labels of a moment ago may
 * land on a series just removed (lost) or bring it back until the next activation sweeps it; a
 * decision of a route activated an instant before its labels are rebuilt counts as `other`.
 */
public final class RouteDecisions {
  /** The label of declared routes past the cap. */
  public static final String OTHER = "other";
  /** The label of decisions that matched no declared route. */
  public static final String NONE = "none";

  private final Counter counter;
  private final int maxRoutes;
  private volatile Labels labels;

  RouteDecisions(Counter counter, int maxRoutes) {
    this.counter = counter;
    this.maxRoutes = maxRoutes;
    this.labels = new Labels(Map.of(), new Row(OTHER), new Row(NONE));
  }

  /** The most routes that get a label of their own. */
  public int maxRoutes() {
    return maxRoutes;
  }

  /** A label's counters, one per outcome, each looked up once and kept; races only store the same child. */
  private final class Row {
    final String label;
    final CounterDataPoint[] points = new CounterDataPoint[Outcome.values().length];

    Row(String label) {
      this.label = label;
    }

    void inc(Outcome outcome) {
      CounterDataPoint p = points[outcome.ordinal()];
      if (p == null) {
        p = counter.labelValues(label, outcome.label());
        points[outcome.ordinal()] = p;
      }
      p.inc();
    }
  }

  /** Which route ids have a label now. Never changed once published. */
  private record Labels(Map<String, Row> byRoute, Row other, Row none) {}

  /** Counts one decision of {@code route} (a declared route's qualified name, or null when none matched). */
  public void decided(String route, Outcome outcome) {
    Labels l = labels;
    Row row = route == null ? l.none : l.byRoute.getOrDefault(route, l.other);
    row.inc(outcome);
  }

  /**
   * The routes the active bundles declare now, in order; the first {@link #maxRoutes} get a label
   * of their own. Series of routes that lost theirs are removed.
   */
  public synchronized void declared(List<String> routes) {
    Labels old = labels;
    Map<String, Row> byRoute = new HashMap<>();
    for (String r : routes) {
      if (byRoute.size() >= maxRoutes) {
        break;
      }
      if (!byRoute.containsKey(r)) {
        Row kept = old.byRoute.get(r);
        byRoute.put(r, kept != null ? kept : new Row(r));
      }
    }
    labels = new Labels(Map.copyOf(byRoute), old.other, old.none);
    Set<String> keep = new HashSet<>(byRoute.keySet());
    keep.add(OTHER);
    keep.add(NONE);
    for (CounterSnapshot.CounterDataPointSnapshot p : counter.collect().getDataPoints()) {
      String route = p.getLabels().get("route");
      if (!keep.contains(route)) {
        counter.remove(route, p.getLabels().get("outcome"));
      }
    }
  }
}
