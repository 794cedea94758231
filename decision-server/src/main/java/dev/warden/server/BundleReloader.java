package dev.warden.server;

import dev.warden.bundle.BundleArchive;
import dev.warden.bundle.BundleKeys;
import dev.warden.bundle.BundleReadException;
import dev.warden.bundle.BundleReader;
import dev.warden.bundle.BundleSignatures;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.source.Bundle;
import dev.warden.server.admin.ServerMetrics;
import dev.warden.server.source.BundleSource;
import dev.warden.server.source.LocalSource;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the active bundle current, off the request path: read → compile through the same
 * {@link BundleCompiler} stages as `warden test` (with the `test_gate` stage when
 * `reload.test_gate` is on) → swap {@link ActiveBundle}'s one reference. A bundle that fails any
 * step never becomes active; the last good one keeps serving and the failure is in the status,
 * the metrics and one log line. With `reload.trusted_keys`, the `verify-signature` stage runs
 * right after `load`, at start and on every check: a bundle whose signatures (an archive's or a
 * directory's `.signatures.json`) do not verify against those keys never activates.
 *
 * <p>With `reload.persist_dir`, every bundle activated from the source is also written there
 * ({@link BundlePersistence}). At start, when the source cannot be read (the `read` stage fails:
 * missing, unreadable), the persisted bundle goes through the same pipeline instead and the
 * reloader is <em>degraded</em> until a check activates a bundle from the source again. A source
 * that reads but does not compile still refuses the start: it is there, and it is wrong.
 *
 * <p>Invariant: every check, watch poll and debounce runs on the one `warden-bundle` thread, so
 * the fields below are written by that thread only (volatile for the admin thread that reads
 * them); a check never overlaps another. Triggers (SIGHUP, `POST /bundles/reload`) only enqueue.
 *
 * <p>A remote source (HTTP, OCI; {@link BundleSource}) is polled on a timer instead: every
 * `reload.remote.interval`, jittered, backing off (doubling up to `reload.remote.max_backoff`)
 * while fetches fail; it answers "not modified" for the bundle last accepted.
 *
 * <p><b>Staleness.</b> With `reload.max_staleness`, a bundle whose source has not been reached
 * successfully for longer than that is <em>stale</em>: Warden turns not ready, or with
 * `reload.stale_action: deny` also refuses every request, until a check succeeds again.
 *
 * <p><b>Rollback.</b> {@link #rollbackNow} activates the previous revision (kept compiled in
 * memory) and <em>pins</em> it: checks that find the source still holding the revision rolled
 * back from activate nothing; the first check that finds other content activates it and ends the
 * pin. A second rollback returns to the revision left, which ends the pin too.
 *
 * <p>Watching is polling a fingerprint of the path (every file's name, size, mtime and inode,
 * following links); inotify events ({@link PathEvents}) only make a poll come sooner. The JDK's
 * WatchService does not follow symlinks, and a Kubernetes ConfigMap update is one rename of the
 * `..data` link, which it may report as nothing useful. A fingerprint catches that swap (new
 * files, new inodes) and costs a `stat` per file.
 */
final class BundleReloader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BundleReloader.class);

  /**
   * What one check found.
   *
   * @param result `ok` (a new bundle is active), `unchanged` (same content digest: nothing compiled) or `failed`
   * @param stage the stage that failed; `activate` when ok; when unchanged, `digest` (same content),
   *     `source` (a remote source answered "not modified") or `pinned` (the source still holds the
   *     revision a rollback left)
   * @param diagnostics the rendered diagnostics of a bundle that did not compile, or null
   * @param failedTests the names of the bundle's tests that failed the gate
   */
  record Outcome(String result, String stage, String cause, Instant at, String revision, String digest,
      String error, String diagnostics, List<String> failedTests) {
    Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("result", result);
      m.put("stage", stage);
      m.put("cause", cause);
      m.put("at", at.toString());
      m.put("revision", revision);
      m.put("digest", digest == null ? null : "sha256:" + digest);
      if (error != null) {
        m.put("error", error);
        m.put("diagnostics", diagnostics);
        m.put("failed_tests", failedTests);
      }
      return m;
    }
  }

  /**
   * A compiled bundle the reloader can swap in again.
   *
   * @param fetched what the source returned for it (its signatures, its version)
   */
  private record Active(CompileResult result, BundleSource.Fetched fetched, String digest) {
    String revision() {
      return result.program().revision();
    }
  }

  private final BundleSource source;
  /** The source's path when it is local (watched by fingerprint), else null. */
  private final Path path;
  private final ServerConfig.Reload settings;
  private final ActiveBundle bundle;
  private final ServerMetrics.Bundle metrics;
  /** The bundle's name: `bundle` in config (`NAME=LOCATION`), its metrics' `bundle` label. */
  private final String name;
  private final Clock clock;
  private final BundleCompiler compiler;
  /** The keys signatures are verified against, read by {@link #loadFirst}; empty: not checked. */
  private volatile Map<String, PublicKey> trusted = Map.of();
  private final ScheduledExecutorService thread;
  /** Compares the last successful check with `reload.max_staleness`, whatever the reload thread is doing. */
  private final ScheduledExecutorService staleness;
  /** A trigger's check that has not started yet: later triggers join it rather than queue another. */
  private final AtomicReference<CompletableFuture<Outcome>> queued = new AtomicReference<>();
  private final AtomicLong checks = new AtomicLong();
  private final AtomicLong activated = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong unchanged = new AtomicLong();
  private volatile String activeDigest;
  /** The active bundle and the one before it, for a rollback; written on the reload thread only. */
  private Active current;
  private volatile Active previous;
  /** While a rollback pins the active revision: the digest of the source's content it rolled back from. */
  private volatile String pinnedAgainst;
  private volatile Instant pinnedAt;
  /** Remote fetches that failed in a row: the backoff's exponent. */
  private volatile int fetchFailures;
  private volatile Instant nextCheckAt;
  /** Whether the active bundle is stale now (`reload.max_staleness` passed without a successful check). */
  private volatile boolean stale;
  /** Called on the reload thread when readiness may have changed (stale or fresh again). */
  private volatile Runnable readinessChanged = () -> {};
  private volatile Outcome lastCheck;
  private volatile Outcome lastFailure;
  private volatile Instant lastSuccessAt;
  /** Null, or the persistence `reload.persist_dir` names. */
  private final BundlePersistence persisted;
  /** Why the active bundle is the persisted one rather than the source's, or null: healthy. */
  private volatile String degraded;
  private String lastFingerprint;
  private ScheduledFuture<?> debounced;
  /** Events that make the watch poll early, or null (watch off, or no events on this file system). */
  private PathEvents events;
  /** Set while a poll asked for by an event waits to run: a burst of events queues one. */
  private final java.util.concurrent.atomic.AtomicBoolean hinted = new java.util.concurrent.atomic.AtomicBoolean();

  BundleReloader(Path path, ServerConfig.Reload settings, ActiveBundle bundle, ServerMetrics metrics, Clock clock) {
    this("bundle", new LocalSource(path), settings, bundle, metrics, clock, settings.persistDir(), "warden-bundle");
  }

  /**
   * @param persistDir where this bundle is persisted (`reload.persist_dir`, or a folder of it per
   *     bundle when there are several), or null
   * @param threadName the reload thread's name
   */
  BundleReloader(String name, BundleSource source, ServerConfig.Reload settings, ActiveBundle bundle,
      ServerMetrics metrics, Clock clock, Path persistDir, String threadName) {
    this.name = name;
    this.source = source;
    this.path = source instanceof LocalSource l ? l.path() : null;
    this.settings = settings;
    this.bundle = bundle;
    this.metrics = metrics.bundle(name);
    this.clock = clock;
    this.persisted = persistDir == null ? null : new BundlePersistence(persistDir);
    BundleCompiler standard = BundleCompiler.standard();
    this.compiler = settings.testGate()
        ? standard.withStageAfter(BundleCompiler.COMPILE, BundleCompiler.testGate(clock::instant)) : standard;
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
      Thread th = new Thread(r, threadName);
      th.setDaemon(true);
      return th;
    });
    t.setRemoveOnCancelPolicy(true);
    t.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.thread = t;
    this.staleness = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
      Thread th = new Thread(r, threadName + "-staleness");
      th.setDaemon(true);
      return th;
    });
  }

  /**
   * The first load, on the caller's thread before anything serves: the caller refuses to start
   * on a failure. Activates the bundle when it compiles (and passes the gate).
   */
  CompileResult loadFirst() throws BundleReadException {
    trusted = BundleKeys.trusted(settings.trustedKeys());
    if (path != null) {
      lastFingerprint = BundleFingerprint.of(path);
    }
    BundleSource.Fetched fetched;
    try {
      fetched = source.fetch();
    } catch (BundleReadException e) {
      CompileResult fallback = loadPersisted(e);
      if (fallback == null) {
        throw e;
      }
      return fallback;
    }
    if (fetched == null) {
      throw new BundleReadException(source.location() + " answered \"not modified\" to the first fetch");
    }
    BundleArchive.Signed signed = fetched.signed();
    Bundle read = signed.bundle();
    CompileResult result = compilerFor(signed).compile(read, System::nanoTime);
    if (result.ok()) {
      List<String> conflicts = bundle.conflicts(result.program());
      if (!conflicts.isEmpty()) {
        throw new BundleReadException("bundle `" + name + "` cannot serve beside the others: "
            + String.join("; ", conflicts));
      }
      Instant at = clock.instant();
      List<String> late = activate(result, fetched, "start", at);
      if (!late.isEmpty()) {
        throw new BundleReadException("bundle `" + name + "` cannot serve beside the others: " + String.join("; ", late));
      }
      lastCheck = new Outcome("ok", "activate", "start", at, result.program().revision(), read.digest(), null, null,
          List.of());
      metrics.started();
    }
    return result;
  }

  /**
   * The source could not be read at start: activates the persisted bundle, if there is one and
   * it passes the same pipeline. A persisted bundle that does not is ignored with a WARN, and the
   * start fails on {@code unreachable} as it would without persistence.
   *
   * @return the persisted bundle's result, active now; null when there is none to serve
   */
  private CompileResult loadPersisted(BundleReadException unreachable) {
    if (persisted == null || !persisted.exists()) {
      return null;
    }
    Path file = persisted.archive();
    BundleArchive.Signed signed;
    try {
      signed = persisted.read();
    } catch (BundleReadException | RuntimeException e) {
      log.warn("bundle source unreachable ({}); the persisted bundle `{}` is ignored: {}", unreachable.getMessage(),
          file, e.getMessage());
      return null;
    }
    CompileResult result = compilerFor(signed).compile(signed.bundle(), System::nanoTime);
    if (!result.ok()) {
      log.warn("bundle source unreachable ({}); the persisted bundle `{}` is ignored: {} error(s); the first: {}",
          unreachable.getMessage(), file, result.errors().size(),
          result.errors().isEmpty() ? "the pipeline stopped early" : result.errors().get(0));
      return null;
    }
    Instant at = clock.instant();
    List<String> conflicts = bundle.activate(result.program(), file.toString(), at);
    if (!conflicts.isEmpty()) {
      log.warn("bundle `{}` source unreachable ({}); the persisted bundle `{}` is ignored: {}", name,
          unreachable.getMessage(), file, String.join("; ", conflicts));
      return null;
    }
    activeDigest = signed.bundle().digest();
    current = new Active(result, new BundleSource.Fetched(signed, null), activeDigest);
    activated.incrementAndGet();
    // The source was not reached: the bundle is as fresh as when it was last activated from it.
    Instant persistedAt = persisted.activatedAt();
    lastSuccessAt = persistedAt != null && persistedAt.isBefore(at) ? persistedAt : at;
    metrics.activated(result.program().revision());
    // No file paths in /status (as for `source`): the WARN line below names them.
    degraded = "source unreachable, serving the persisted bundle from `reload.persist_dir` (revision "
        + result.program().revision() + ")";
    metrics.degraded(true);
    lastCheck = new Outcome("ok", "activate", "start", at, result.program().revision(), activeDigest, null, null,
        List.of());
    metrics.started();
    log.warn("bundle {} unreachable ({}): serving the persisted revision {} from {} (degraded) until the source reads",
        source.location(), unreachable.getMessage(), result.program().revision(), file);
    return result;
  }

  /**
   * Starts the watch when `reload.watch` is on (a fingerprint poll of a local path, a timer for a
   * remote source), and the staleness clock when `reload.max_staleness` is set.
   */
  void start() {
    Duration maxStale = settings.maxStaleness();
    if (!maxStale.isZero()) {
      // Its own thread: a fetch that hangs on the reload thread must not keep the bundle fresh.
      long every = Math.max(10_000_000L, Math.min(1_000_000_000L, maxStale.toNanos() / 10));
      staleness.scheduleWithFixedDelay(this::updateStaleness, 0, every, TimeUnit.NANOSECONDS);
    }
    if (settings.watch() && path == null) {
      scheduleRemote();
    } else if (settings.watch()) {
      long every = settings.pollInterval().toNanos();
      thread.scheduleWithFixedDelay(this::poll, every, every, TimeUnit.NANOSECONDS);
      events = PathEvents.start(path, () -> {
        if (hinted.compareAndSet(false, true)) {
          try {
            thread.execute(() -> {
              hinted.set(false);
              poll();
            });
          } catch (java.util.concurrent.RejectedExecutionException e) {
            // Stopping.
          }
        }
      });
    }
  }

  /** Schedules the next poll of a remote source: the interval after a success, backing off after failures. */
  private void scheduleRemote() {
    Duration delay = settings.remote().next(fetchFailures, ThreadLocalRandom.current().nextDouble());
    nextCheckAt = clock.instant().plus(delay);
    try {
      thread.schedule(this::remotePoll, delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // Stopping.
    }
  }

  private void remotePoll() {
    try {
      check("poll");
    } catch (RuntimeException | Error e) {
      log.warn("bundle poll: the check of {} failed", source.location(), e);
    } finally {
      scheduleRemote();
    }
  }

  /** Checks the bundle now, on the reload thread; the future completes with what the check found. */
  CompletableFuture<Outcome> checkNow(String cause) {
    return enqueue(() -> check(cause));
  }

  /**
   * Rolls back to the previous revision, on the reload thread, and pins it until the source
   * changes. The outcome's result is `ok` (rolled back), or `failed` with stage `rollback` when
   * there is no previous revision.
   */
  CompletableFuture<Outcome> rollbackNow(String cause) {
    CompletableFuture<Outcome> done = new CompletableFuture<>();
    try {
      thread.execute(() -> {
        try {
          done.complete(rollback(cause));
        } catch (RuntimeException | Error e) {
          done.completeExceptionally(e);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      done.completeExceptionally(new IllegalStateException("Warden is stopping"));
    }
    return done;
  }

  private CompletableFuture<Outcome> enqueue(java.util.function.Supplier<Outcome> task) {
    while (true) {
      CompletableFuture<Outcome> waiting = queued.get();
      if (waiting != null) {
        return waiting;
      }
      CompletableFuture<Outcome> mine = new CompletableFuture<>();
      if (queued.compareAndSet(null, mine)) {
        try {
          thread.execute(() -> {
            queued.compareAndSet(mine, null);
            try {
              mine.complete(task.get());
            } catch (RuntimeException | Error e) {
              mine.completeExceptionally(e);
            }
          });
        } catch (java.util.concurrent.RejectedExecutionException e) {
          queued.compareAndSet(mine, null);
          mine.completeExceptionally(new IllegalStateException("Warden is stopping"));
        }
        return mine;
      }
    }
  }

  private void poll() {
    try {
      String now = BundleFingerprint.of(path);
      if (now.equals(lastFingerprint) || debounced != null) {
        if (debounced == null && BundleFingerprint.readable(now) && lastFailure == null) {
          // The source is there and unchanged since a check that succeeded: as fresh as a check.
          lastSuccessAt = clock.instant();
          metrics.sourceSeen();
        }
        return;
      }
      lastFingerprint = now;
      debounced = thread.schedule(this::settled, settings.debounce().toNanos(), TimeUnit.NANOSECONDS);
    } catch (RuntimeException e) {
      // A scheduled task that throws is never run again: the watch must outlive any one poll.
      log.warn("bundle watch: cannot poll `{}`: {}", path, e.toString());
    }
  }

  /**
   * The debounce: writers (the kubelet, rsync, an editor, `tar`) touch several files, so the
   * bundle is read only once the path has not changed for `reload.debounce`.
   */
  private void settled() {
    try {
      String now = BundleFingerprint.of(path);
      if (!now.equals(lastFingerprint)) {
        lastFingerprint = now;
        debounced = thread.schedule(this::settled, settings.debounce().toNanos(), TimeUnit.NANOSECONDS);
        return;
      }
      debounced = null;
      check("watch");
    } catch (RuntimeException | Error e) {
      debounced = null;
      log.warn("bundle watch: the check of `{}` failed", path, e);
    }
  }

  private Outcome check(String cause) {
    checks.incrementAndGet();
    if (path != null) {
      lastFingerprint = BundleFingerprint.of(path);
    }
    Instant at = clock.instant();
    long start = System.nanoTime();
    BundleSource.Fetched fetched;
    try {
      fetched = source.fetch();
    } catch (BundleReadException | RuntimeException e) {
      fetchFailures++;
      return failed(new Outcome("failed", source.stage(), cause, at, bundle.snapshot().revision(), null,
          e.getMessage() == null ? e.toString() : e.getMessage(), null, List.of()), System.nanoTime() - start);
    }
    fetchFailures = 0;
    if (fetched == null) {
      // Not modified since the bundle last accepted, which is active (or pinned against).
      return unchanged(pinnedAgainst != null ? "pinned" : "source", cause, at, activeDigest);
    }
    BundleArchive.Signed signed = fetched.signed();
    Bundle read = signed.bundle();
    String digest = read.digest();
    if (pinnedAgainst != null && digest.equals(pinnedAgainst)) {
      source.accept(fetched);
      return unchanged("pinned", cause, at, activeDigest);
    }
    // Degraded, the source's bundle activates even when it is the persisted one: that clears it.
    if (degraded == null && digest.equals(activeDigest)) {
      source.accept(fetched);
      if (pinnedAgainst != null) {
        unpin("the source holds the pinned revision " + bundle.snapshot().revision());
      }
      return unchanged("digest", cause, at, digest);
    }
    CompileResult result = compilerFor(signed).compile(read, System::nanoTime);
    if (!result.ok()) {
      List<Diagnostic> errors = result.errors();
      List<String> tests = errors.stream().filter(d -> d.code().equals("bundle.test_failed"))
          .map(d -> d.message().replaceFirst("^bundle test `(.*?)` failed: .*$", "$1")).toList();
      String first = errors.isEmpty() ? "the pipeline stopped early" : errors.get(0).toString();
      return failed(new Outcome("failed", failedStage(result), cause, at, bundle.snapshot().revision(), digest,
          errors.size() + " error(s); the first: " + first, result.render(), tests), System.nanoTime() - start);
    }
    List<String> conflicts = bundle.conflicts(result.program());
    if (!conflicts.isEmpty()) {
      return failed(composeFailure(cause, at, digest, conflicts), System.nanoTime() - start);
    }
    Outcome o = new Outcome("ok", "activate", cause, at, result.program().revision(), digest, null, null, List.of());
    // The status is written just before the swap, under the set's lock once no conflict is left:
    // whoever sees the new revision sees its check's outcome too, and a late conflict changes neither.
    conflicts = activate(result, fetched, cause, at, () -> {
      lastCheck = o;
      lastFailure = null;
      lastSuccessAt = o.at();
    });
    if (!conflicts.isEmpty()) {
      // Another bundle activated in between and now conflicts: refused after all.
      return failed(composeFailure(cause, at, digest, conflicts), System.nanoTime() - start);
    }
    if (pinnedAgainst != null) {
      unpin("the source changed");
    }
    succeeded(o);
    metrics.checked("ok", "activate", System.nanoTime() - start);
    return o;
  }

  /** The stage that refuses a bundle that cannot serve beside the set's other bundles. */
  static final String COMPOSE = "compose";

  private Outcome composeFailure(String cause, Instant at, String digest, List<String> conflicts) {
    return new Outcome("failed", COMPOSE, cause, at, bundle.snapshot().revision(), digest,
        conflicts.size() + " conflict(s) with the other bundles; the first: " + conflicts.get(0),
        String.join("\n", conflicts), List.of());
  }

  /** A check that activated nothing because the active bundle is current (or pinned). */
  private Outcome unchanged(String stage, String cause, Instant at, String digest) {
    unchanged.incrementAndGet();
    Outcome o = new Outcome("unchanged", stage, cause, at, bundle.snapshot().revision(), digest, null, null,
        List.of());
    metrics.checked(o.result(), o.stage(), -1);
    succeeded(o);
    if (cause.equals("watch") || cause.equals("poll")) {
        log.debug("bundle check ({}): unchanged, revision {}", cause, o.revision());
      } else {
        // Asked for by an operator (SIGHUP, POST /bundles/reload): the answer is worth a line.
        log.info("bundle check ({}): unchanged, still serving revision {}", cause, o.revision());
      }
    return o;
  }

  private Outcome rollback(String cause) {
    Instant at = clock.instant();
    Active back = previous;
    Active from = current;
    if (back == null || from == null) {
      return new Outcome("failed", "rollback", cause, at, bundle.snapshot().revision(), activeDigest,
          "no previous revision to roll back to: only one bundle has been active since Warden started", null,
          List.of());
    }
    List<String> conflicts = bundle.activate(back.result().program(), "rollback", at);
    if (!conflicts.isEmpty()) {
      return new Outcome("failed", "rollback", cause, at, bundle.snapshot().revision(), activeDigest,
          "revision " + back.revision() + " cannot serve beside the other bundles now: " + conflicts.get(0), null,
          List.of());
    }
    current = back;
    previous = from;
    activeDigest = back.digest();
    metrics.activated(back.revision());
    metrics.rolledBack();
    if (stale) {
      // The swap made a fresh snapshot; a rollback reaches no source, so the bundle is as stale as before.
      stale = false;
      updateStaleness();
    }
    if (pinnedAgainst != null && back.digest().equals(pinnedAgainst)) {
      unpin("rolled back to the source's revision " + back.revision());
    } else if (pinnedAgainst == null) {
      pinnedAgainst = from.digest();
      pinnedAt = at;
    }
    log.warn("bundle rolled back ({}): revision {} active instead of {}; pinned until the source changes", cause,
        back.revision(), from.revision());
    persist(back.fetched().signed(), back.revision(), at);
    return new Outcome("ok", "rollback", cause, at, back.revision(), back.digest(), null, null, List.of());
  }

  private void unpin(String why) {
    log.info("bundle no longer pinned to revision {}: {}", bundle.snapshot().revision(), why);
    pinnedAgainst = null;
    pinnedAt = null;
  }

  /** Compares the time since the last successful check with `reload.max_staleness`; on the reload thread. */
  private synchronized void updateStaleness() {
    try {
      Instant last = lastSuccessAt;
      Duration max = settings.maxStaleness();
      boolean now = last != null && Duration.between(last, clock.instant()).compareTo(max) > 0;
      if (now == stale) {
        return;
      }
      stale = now;
      boolean deny = settings.staleAction().equals("deny");
      String why = now ? "no successful check of the bundle source since " + last + " (reload.max_staleness "
          + max.toMillis() + "ms)" : null;
      bundle.stale(why, deny);
      metrics.stale(now);
      if (now) {
        log.error("bundle revision {} is stale: {}; {}", bundle.snapshot().revision(), why,
            deny ? "denying every request (reload.stale_action: deny) and not ready" : "not ready");
      } else {
        log.info("bundle revision {} is fresh again: a check succeeded", bundle.snapshot().revision());
      }
      readinessChanged.run();
    } catch (RuntimeException e) {
      log.warn("bundle staleness: cannot update", e);
    }
  }

  String name() {
    return name;
  }

  /** The active revision, or null before the first activation. */
  String revision() {
    Active a = current;
    return a == null ? null : a.revision();
  }

  /** The active bundle's content digest (64 hex digits), or null. */
  String digest() {
    return activeDigest;
  }

  /**
   * The active or the previous bundle if it shows {@code revision} (a decision made just before
   * an activation is logged just after it), as its program and content digest; else null.
   */
  Map.Entry<dev.warden.policy.compile.Program, String> served(String revision) {
    for (Active a : new Active[] {current, previous}) {
      if (a != null && revision.equals(a.revision())) {
        return Map.entry(a.result().program(), a.digest() == null ? "" : a.digest());
      }
    }
    return null;
  }

  /** Whether the active bundle is stale now: Warden is not ready while it is. */
  boolean stale() {
    return stale;
  }

  /** Called on the reload thread whenever {@link #stale()} changes. */
  void onReadinessChange(Runnable r) {
    readinessChanged = r;
  }

  /** The pipeline for one read: with that read's `verify-signature` stage when keys are trusted. */
  private BundleCompiler compilerFor(BundleArchive.Signed signed) {
    return trusted.isEmpty() ? compiler
        : compiler.withStageAfter(BundleCompiler.LOAD, BundleSignatures.stage(signed.signatures(), trusted));
  }

  /** Swaps the bundle in; returns why it could not (another bundle conflicts), or an empty list when it is active. */
  private List<String> activate(CompileResult result, BundleSource.Fetched fetched, String cause, Instant at) {
    return activate(result, fetched, cause, at, () -> {});
  }

  /** {@link #activate}, running {@code beforeSwap} right before the swap once no conflict is left. */
  private List<String> activate(CompileResult result, BundleSource.Fetched fetched, String cause, Instant at,
      Runnable beforeSwap) {
    BundleArchive.Signed signed = fetched.signed();
    List<String> conflicts = bundle.activate(result.program(), source.location(), at, beforeSwap);
    if (!conflicts.isEmpty()) {
      return conflicts;
    }
    activeDigest = signed.bundle().digest();
    Active now = new Active(result, fetched, activeDigest);
    if (current != null) {
      previous = current;
    }
    current = now;
    source.accept(fetched);
    if (degraded != null) {
      degraded = null;
      metrics.degraded(false);
      log.info("bundle {} readable again: no longer serving the persisted bundle", source.location());
    }
    activated.incrementAndGet();
    lastSuccessAt = at;
    metrics.activated(result.program().revision());
    log.info("bundle {} active ({}): revision {}, {} routes, compiled in {} ms", source.location(), cause,
        result.program().revision(), result.program().routeCount(),
        result.stages().stream().mapToLong(s -> s.nanos()).sum() / 1_000_000);
    persist(signed, result.program().revision(), at);
    return List.of();
  }

  /** Keeps the bundle just activated for a start without the source; a failure only costs that. */
  private void persist(BundleArchive.Signed signed, String revision, Instant at) {
    if (persisted == null) {
      return;
    }
    try {
      persisted.save(signed.bundle(), signed.signatures(), revision, at, source.location());
    } catch (IOException | RuntimeException e) {
      log.warn("bundle revision {} is active but was not persisted to `{}`: {}", revision, persisted.archive(),
          e.toString());
    }
  }

  private void succeeded(Outcome o) {
    lastCheck = o;
    lastFailure = null;
    lastSuccessAt = o.at();
    bundle.recovered();
    if (stale) {
      updateStaleness();
    }
  }

  private Outcome failed(Outcome o, long nanos) {
    failed.incrementAndGet();
    lastCheck = o;
    lastFailure = o;
    bundle.failed(o.stage() + ": " + o.error(), o.at());
    metrics.loadFailed();
    metrics.checked("failed", o.stage(), nanos);
    log.warn("bundle {} not activated ({}): {} failed: {}; still serving revision {}", source.location(), o.cause(), o.stage(),
        o.error(), o.revision());
    return o;
  }

  /** The stage a failed result stopped at, by what its first error is about. */
  static String failedStage(CompileResult result) {
    String code = result.errors().isEmpty() ? "" : result.errors().get(0).code();
    if (code.equals("bundle.test_failed")) {
      return BundleCompiler.TEST_GATE;
    }
    if (code.equals("bundle.signature")) {
      return BundleSignatures.STAGE;
    }
    if (code.startsWith("parse.")) {
      return BundleCompiler.PARSE;
    }
    if (code.startsWith("source.") || code.startsWith("bundle.")) {
      return BundleCompiler.LOAD;
    }
    String last = result.stages().isEmpty() ? BundleCompiler.LOAD : result.stages().get(result.stages().size() - 1).stage();
    return last.equals(BundleCompiler.LINT) ? BundleCompiler.CHECK : last;
  }

  /** The `bundle` object of `/status`. Read on the admin thread. */
  Map<String, Object> status() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    String why = degraded;
    m.put("state", why == null ? "healthy" : "degraded");
    if (why != null) {
      m.put("reason", why);
    }
    m.put("persist", persisted != null);
    m.put("source", source.kind());
    m.put("watch", settings.watch());
    if (path != null) {
      m.put("poll_interval", settings.pollInterval().toMillis() + "ms");
    } else {
      Map<String, Object> remote = new LinkedHashMap<>();
      remote.put("interval", settings.remote().interval().toMillis() + "ms");
      remote.put("jitter", settings.remote().jitter());
      remote.put("max_backoff", settings.remote().maxBackoff().toMillis() + "ms");
      remote.put("consecutive_failures", fetchFailures);
      Instant next = nextCheckAt;
      remote.put("next_check_at", next == null || !settings.watch() ? null : next.toString());
      m.put("remote", remote);
    }
    Duration maxStale = settings.maxStaleness();
    m.put("max_staleness", maxStale.isZero() ? null : maxStale.toMillis() + "ms");
    m.put("stale_action", settings.staleAction());
    m.put("stale", stale);
    Active back = previous;
    m.put("previous_revision", back == null ? null : back.revision());
    String pin = pinnedAgainst;
    if (pin != null) {
      Map<String, Object> pinned = new LinkedHashMap<>();
      pinned.put("revision", bundle.snapshot().revision());
      pinned.put("since", String.valueOf(pinnedAt));
      pinned.put("until_source_differs_from", "sha256:" + pin);
      m.put("pinned", pinned);
    } else {
      m.put("pinned", null);
    }
    m.put("test_gate", settings.testGate());
    m.put("trusted_keys", new java.util.ArrayList<>(new java.util.TreeSet<>(trusted.keySet())));
    m.put("digest", activeDigest == null ? null : "sha256:" + activeDigest);
    Outcome last = lastCheck;
    m.put("last_check", last == null ? null : last.toMap());
    m.put("last_success_at", lastSuccessAt == null ? null : lastSuccessAt.toString());
    Outcome failure = lastFailure;
    m.put("last_failure", failure == null ? null : failure.toMap());
    Map<String, Object> counters = new LinkedHashMap<>();
    counters.put("checks", checks.get());
    counters.put("activated", activated.get());
    counters.put("failed", failed.get());
    counters.put("unchanged", unchanged.get());
    m.put("counters", counters);
    return m;
  }

  /** Stops the watch and the reload thread; a check in progress is abandoned (nothing is swapped after). */
  @Override
  public void close() {
    if (events != null) {
      events.close();
    }
    thread.shutdownNow();
    staleness.shutdownNow();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
