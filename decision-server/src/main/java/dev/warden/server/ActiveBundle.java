package dev.warden.server;

import dev.warden.policy.compile.Program;
import java.time.Instant;
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

  public Snapshot snapshot() {
    return current;
  }

  /** The program to decide with, if any bundle is active. */
  public Optional<Program> program() {
    return Optional.ofNullable(current.program());
  }

  /** Makes a compiled program active; its source was just read, so it is not stale. */
  public synchronized void activate(Program program, String source, Instant now) {
    current = new Snapshot(program, program.revision(), now, source, null, null, null, false);
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
  public synchronized void stale(String why, boolean denies) {
    Snapshot s = current;
    current = new Snapshot(s.program(), s.revision(), s.activatedAt(), s.source(), s.lastError(), s.lastErrorAt(),
        why, why != null && denies);
  }
}
