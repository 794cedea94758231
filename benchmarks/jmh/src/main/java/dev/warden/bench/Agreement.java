package dev.warden.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks that engines decide every request of a scenario as Warden does, before anything is
 * timed: a fast engine that decides differently measures nothing.
 */
public final class Agreement {
  private Agreement() {}

  /** The requests on which {@code engine} disagrees with {@code reference}, at most {@code limit}. */
  public static List<String> disagreements(Scenario s, Engine reference, Engine engine, int limit) {
    List<String> out = new ArrayList<>();
    for (Input in : s.inputs()) {
      boolean expected = reference.allowed(in);
      if (engine.allowed(in) != expected && out.size() < limit) {
        out.add(engine.name() + " says " + (expected ? "deny" : "allow") + " where " + reference.name() + " says "
            + (expected ? "allow" : "deny") + ": " + in.method() + " " + in.path() + " as " + in.claims());
      }
    }
    return out;
  }

  /** Throws unless every engine agrees with the reference on every request. */
  public static void require(Scenario s, Engine reference, List<Engine> engines) {
    List<String> all = new ArrayList<>();
    for (Engine e : engines) {
      all.addAll(disagreements(s, reference, e, 5));
    }
    if (!all.isEmpty()) {
      throw new IllegalStateException("engines disagree with " + reference.name() + ":\n  " + String.join("\n  ", all));
    }
  }

  /** How many of the scenario's requests the reference allows. */
  public static int allowedCount(Scenario s, Engine reference) {
    int n = 0;
    for (Input in : s.inputs()) {
      n += reference.allowed(in) ? 1 : 0;
    }
    return n;
  }
}
