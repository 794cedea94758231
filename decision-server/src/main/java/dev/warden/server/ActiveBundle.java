package dev.warden.server;

import dev.warden.policy.compile.Program;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The bundle the sidecar decides with. Reads are one volatile load and never block; activation
 * swaps the whole snapshot, and a bundle that failed to load never replaces the last good one.
 */
public final class ActiveBundle {
  /**
   * What is active now.
   *
   * @param program null until the first bundle activates
   * @param lastError the last load failure (kept while the last good program serves), or null
   * @param stale why the bundle is stale (no check succeeded for longer than `reload.max_staleness`), or null
   * @param staleDenies whether a stale bundle denies every request (`reload.stale_action: deny`)
   *     rather than only making Warden not ready
   */
  public record Snapshot(Program program, String revision, Instant activatedAt, String source, String lastError,
      Instant lastErrorAt, String stale, boolean staleDenies) {
    /** Whether requests must be refused rather than decided: stale, with `reload.stale_action: deny`. */
    public boolean refusesAsStale() {
      return stale != null && staleDenies;
    }
  }

  private volatile Snapshot current = new Snapshot(null, null, null, null, null, null, null, false);
  /**
   * The sets this bundle serves in (a one-bundle set wraps it for an API that takes a set, so
   * there may be several); every one's view is rebuilt when this bundle changes. At most one has
   * other members, and it checks each activation against them.
   */
  private final java.util.List<BundleSet> owners = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Called by each set this bundle joins. */
  void joined(BundleSet set) {
    owners.add(set);
  }

  /** The set with other bundles in it, which an activation must not conflict with; null if none. */
  private BundleSet shared() {
    for (BundleSet set : owners) {
      if (set.members().size() > 1) {
        return set;
      }
    }
    return null;
  }

  private void rebuildOwners() {
    owners.forEach(BundleSet::rebuild);
  }

  public Snapshot snapshot() {
    return current;
  }

  /** The program to decide with, if any bundle is active. */
  public Optional<Program> program() {
    return Optional.ofNullable(current.program());
  }

  /**
   * Makes a compiled program active, unless it conflicts with another bundle of the set; its
   * source was just read, so it is not stale.
   *
   * @return why it cannot serve beside the other bundles (it is not active then), or an empty list
   */
  public List<String> activate(Program program, String source, Instant now) {
    return activate(program, source, now, () -> {});
  }

  /**
   * {@link #activate(Program, String, Instant)}, running {@code beforeSwap} just before the swap
   * once no conflict is left (under the set's lock, when there is one): it must not block.
   */
  public List<String> activate(Program program, String source, Instant now, Runnable beforeSwap) {
    Runnable swap = () -> {
      beforeSwap.run();
      synchronized (this) {
        current = new Snapshot(program, program.revision(), now, source, null, null, null, false);
      }
    };
    BundleSet set = shared();
    List<String> conflicts = set == null ? List.of() : set.activate(this, program, swap);
    if (set == null) {
      swap.run();
    }
    if (conflicts.isEmpty()) {
      rebuildOwners();
    }
    return conflicts;
  }

  /** Why {@code program} could not activate beside the set's other bundles now, or an empty list. */
  public List<String> conflicts(Program program) {
    BundleSet set = shared();
    return set == null ? List.of() : set.conflicts(this, program);
  }

  /** Forgets the last load failure: a later check found the source good again (unchanged from the active bundle). */
  public synchronized void recovered() {
    Snapshot s = current;
    if (s.lastError() != null) {
      current = new Snapshot(s.program(), s.revision(), s.activatedAt(), s.source(), null, null, s.stale(),
          s.staleDenies());
    }
  }

  /** Records a failed load; the active program, if any, keeps serving. */
  public synchronized void failed(String error, Instant now) {
    Snapshot s = current;
    current = new Snapshot(s.program(), s.revision(), s.activatedAt(), s.source(), error, now, s.stale(),
        s.staleDenies());
  }

  /**
   * Marks the active bundle stale ({@code why} non-null) or fresh again (null).
   *
   * @param denies whether a stale bundle refuses every request
   */
  public void stale(String why, boolean denies) {
    synchronized (this) {
      Snapshot s = current;
      current = new Snapshot(s.program(), s.revision(), s.activatedAt(), s.source(), s.lastError(), s.lastErrorAt(),
          why, why != null && denies);
    }
    // Outside this bundle's lock: the set takes its own, then reads the snapshots.
    rebuildOwners();
  }
}
