package dev.warden.server;

import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.runtime.RequestLine;
import java.util.ArrayList;
import java.util.List;

/**
 * The bundles one sidecar decides with, each kept current by its own reloader: a platform
 * team's bundle beside an application team's, each with its own source, revision and status.
 *
 * <p>Invariants: the bundles' package roots are disjoint, no request matches a route in two of
 * them, and they read requests alike (`requests:`); a bundle that would break this is refused at
 * activation ({@link #activate}, stage `compose`), and the others keep serving. So each request
 * belongs to at most one bundle, found by asking each whether it declares the request's route
 * ({@link View#select}); a request no bundle declares is answered by the first (its undeclared
 * route status). Checks read one immutable {@link View}, swapped whole under the set's lock
 * whenever a member activates or turns stale: a Check sees one revision of each bundle.
 */
public final class BundleSet {
  /** A bundle of the set, by name. */
  public record Member(String name, ActiveBundle bundle) {}

  private final List<Member> members;
  private volatile View view;

  public BundleSet(List<Member> members) {
    if (members.isEmpty()) {
      throw new IllegalArgumentException("a sidecar serves at least one bundle");
    }
    this.members = List.copyOf(members);
    for (Member m : this.members) {
      m.bundle().joined(this);
    }
    rebuild();
  }

  /** A set of one bundle, as the embedding and most tests use. */
  public static BundleSet of(ActiveBundle only) {
    return new BundleSet(List.of(new Member("bundle", only)));
  }

  public List<Member> members() {
    return members;
  }

  /** The active programs, as Checks see them now. One volatile read. */
  public View view() {
    return view;
  }

  /**
   * What Checks decide with: each member's snapshot, in configuration order, with or without a
   * program (a member without one has not activated yet).
   */
  public static final class View {
    private final List<ActiveBundle.Snapshot> all;
    private final List<ActiveBundle.Snapshot> active;

    View(List<ActiveBundle.Snapshot> all) {
      this.all = List.copyOf(all);
      this.active = all.stream().filter(s -> s.program() != null).toList();
    }

    /** Whether every bundle has a program: until then Warden is not ready. */
    public boolean complete() {
      return active.size() == all.size();
    }

    /** Whether no bundle has a program yet: every request is refused. */
    public boolean empty() {
      return active.isEmpty();
    }

    /** The first bundle with a program, or null. */
    public ActiveBundle.Snapshot first() {
      return active.isEmpty() ? null : active.get(0);
    }

    /** The bundle whose routes the request goes to; the first when none declares it (or there is only one). */
    public ActiveBundle.Snapshot select(Request request) {
      if (active.size() > 1) {
        // The bundles read requests alike (their `requests:` rules are equal): read it once.
        RequestLine line = RequestLine.of(request, active.get(0).program().requestRules());
        for (ActiveBundle.Snapshot s : active) {
          if (s.program().declares(line)) {
            return s;
          }
        }
      }
      return first();
    }

    /** The bundle that declares the route of this qualified name; the first when none does. */
    public ActiveBundle.Snapshot selectRoute(String routeName) {
      if (active.size() > 1) {
        for (ActiveBundle.Snapshot s : active) {
          if (s.program().hasRoute(routeName)) {
            return s;
          }
        }
      }
      return first();
    }
  }

  /**
   * Swaps {@code swap} in for {@code member} unless {@code candidate} conflicts with another
   * member's active program; atomic with every other activation of the set.
   *
   * @return why it cannot serve beside the others (nothing was swapped), or an empty list
   */
  synchronized List<String> activate(ActiveBundle member, Program candidate, Runnable swap) {
    List<String> conflicts = conflicts(member, candidate);
    if (conflicts.isEmpty()) {
      swap.run();
      rebuild();
    }
    return conflicts;
  }

  /** Why {@code candidate} cannot serve as {@code member} beside the others' active programs. */
  synchronized List<String> conflicts(ActiveBundle member, Program candidate) {
    List<String> out = new ArrayList<>();
    for (Member m : members) {
      Program other = m.bundle() == member ? null : m.bundle().snapshot().program();
      if (other != null) {
        for (String c : candidate.conflictsWith(other)) {
          out.add("with bundle `" + m.name() + "` (revision " + other.revision() + "): " + c);
        }
      }
    }
    return out;
  }

  /** Builds the view again from the members' snapshots: after an activation or a change of staleness. */
  synchronized void rebuild() {
    view = new View(members.stream().map(m -> m.bundle().snapshot()).toList());
  }
}
