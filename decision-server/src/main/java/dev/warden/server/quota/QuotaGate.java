package dev.warden.server.quota;

import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Quota;
import dev.warden.policy.runtime.QuotaAdmission;
import dev.warden.policy.runtime.QuotaCharge;
import dev.warden.policy.runtime.QuotaResult;
import dev.warden.policy.runtime.RateLimitHeaders;
import dev.warden.server.authz.Authorizer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Charges the quotas of an allowed request, after every other check passed (a request denied by
 * authentication, route, schema or a rule is never charged), all or none:
 * <ol>
 *   <li>the local quotas, in the replica's own buckets ({@link QuotaAdmission}, on the calling
 *       thread); if one refuses, the request is refused and nothing else is asked;
 *   <li>then the global quotas, in one asynchronous call to the shared store (Redis), which
 *       charges them all or none; if one refuses, the local charges are taken back;
 *   <li>when the shared store cannot answer (down, slow past its timeout, not configured), each
 *       global quota does as its `fallback` says: `open` admits uncounted, `closed` refuses,
 *       `local SHARE` counts in the replica's own bucket with that share of the limit; a refusal
 *       among them takes back the other charges too.
 * </ol>
 * A request with local quotas only is answered on the calling thread, with no hop. Nothing here
 * blocks: the global path completes on the store's thread.
 */
public final class QuotaGate implements Authorizer.Charging {
  private static final Logger log = LoggerFactory.getLogger(QuotaGate.class);
  private static final long SECOND = 1_000_000_000L;

  /** The buckets replicas share: {@code RedisBuckets}. Completes exceptionally when it cannot answer. */
  @FunctionalInterface
  public interface Shared {
    CompletionStage<List<QuotaResult>> admit(List<QuotaCharge> charges);
  }

  /** Told of every answer, for metrics and `/status`. */
  public interface Listener {
    /** The answers of one request, in the order of its charges. */
    void answered(List<QuotaResult> results);

    /** The shared store could not answer; the global quotas fell back. */
    void sharedFailed(Throwable cause);

    Listener NONE = new Listener() {
      @Override
      public void answered(List<QuotaResult> results) {}

      @Override
      public void sharedFailed(Throwable cause) {}
    };
  }

  private final LocalBuckets local;
  private final Shared shared;
  private final RateLimitHeaders.Style style;
  private final boolean remainingOnAllow;
  private final Listener listener;
  private final LongSupplier nanoClock;
  /** `quota.mode: shadow`: every quota counted as a shadow one, none enforced. */
  private final boolean shadowAll;

  /**
   * @param shared the shared store, or null when none is configured (`quota.redis`): global
   *     quotas then always fall back
   * @param remainingOnAllow whether allowed requests carry the quota fields (`quota.headers_on_allow`)
   */
  public QuotaGate(LocalBuckets local, Shared shared, RateLimitHeaders.Style style, boolean remainingOnAllow,
      Listener listener, LongSupplier nanoClock) {
    this.local = local;
    this.shared = shared;
    this.style = style;
    this.remainingOnAllow = remainingOnAllow;
    this.listener = listener;
    this.nanoClock = nanoClock;
    this.shadowAll = false;
  }

  private QuotaGate(QuotaGate g, boolean shadowAll) {
    this.local = g.local;
    this.shared = g.shared;
    this.style = g.style;
    this.remainingOnAllow = g.remainingOnAllow;
    this.listener = g.listener;
    this.nanoClock = g.nanoClock;
    this.shadowAll = shadowAll;
  }

  /**
   * This gate, counting every quota as a shadow one when {@code shadowAll} (`quota.mode:
   * shadow`): the buckets are charged as they would be, nothing is refused.
   */
  public QuotaGate shadowing(boolean shadowAll) {
    return shadowAll == this.shadowAll ? this : new QuotaGate(this, shadowAll);
  }

  @Override
  public CompletionStage<Decision> charge(Decision allowed) {
    List<QuotaCharge> all = shadowAll ? shadowed(allowed.charges()) : allowed.charges();
    Decision d = shadowAll ? allowed.withCharges(all) : allowed;
    long now = nanoClock.getAsLong();
    List<QuotaCharge> locals = new ArrayList<>(all.size());
    List<QuotaCharge> globals = new ArrayList<>(all.size());
    for (QuotaCharge c : all) {
      (c.quota().global() ? globals : locals).add(c);
    }
    List<QuotaResult> localAnswers = locals.isEmpty() ? List.of()
        : QuotaAdmission.admit(locals, now, local, QuotaResult.Via.LOCAL);
    if (globals.isEmpty() || refuses(localAnswers)) {
      List<QuotaResult> globalAnswers = globals.stream().map(QuotaResult::notAsked).toList();
      return CompletableFuture.completedFuture(finish(d, all, localAnswers, globalAnswers));
    }
    if (shared == null) {
      return CompletableFuture.completedFuture(fallBack(d, all, localAnswers, globals, null));
    }
    CompletionStage<List<QuotaResult>> asked;
    try {
      asked = shared.admit(globals);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(fallBack(d, all, localAnswers, globals, e));
    }
    return asked.handle((globalAnswers, e) -> {
      if (e != null || globalAnswers == null || globalAnswers.size() != globals.size()) {
        return fallBack(d, all, localAnswers, globals, e != null ? e
            : new IllegalStateException("the shared store answered " + (globalAnswers == null ? "nothing"
                : globalAnswers.size() + " of " + globals.size() + " quotas")));
      }
      if (refuses(globalAnswers)) {
        QuotaAdmission.refund(localAnswers, local);
        return finish(d, all, notCharged(localAnswers), globalAnswers);
      }
      return finish(d, all, localAnswers, globalAnswers);
    });
  }

  /** The global quotas' answers when the shared store did not give them, each by its `fallback`. */
  private Decision fallBack(Decision d, List<QuotaCharge> all, List<QuotaResult> localAnswers,
      List<QuotaCharge> globals, Throwable cause) {
    if (cause != null) {
      listener.sharedFailed(cause);
    }
    long now = nanoClock.getAsLong();
    QuotaResult[] answers = new QuotaResult[globals.size()];
    List<QuotaCharge> counted = new ArrayList<>();
    List<Integer> countedAt = new ArrayList<>();
    for (int i = 0; i < globals.size(); i++) {
      QuotaCharge c = globals.get(i);
      Quota q = c.quota();
      switch (q.fallback()) {
        case OPEN -> answers[i] = new QuotaResult(c, true, q.burst(), 0, 0, QuotaResult.Via.FALLBACK_OPEN);
        case CLOSED -> answers[i] = new QuotaResult(c, false, 0, SECOND, 0, QuotaResult.Via.FALLBACK_CLOSED);
        default -> {
          counted.add(new QuotaCharge(q.fallbackLocal(), c.key(), c.cost()));
          countedAt.add(i);
        }
      }
    }
    if (!counted.isEmpty()) {
      List<QuotaResult> byShare = QuotaAdmission.admit(counted, now, local, QuotaResult.Via.FALLBACK_LOCAL);
      for (int k = 0; k < counted.size(); k++) {
        QuotaResult r = byShare.get(k);
        // Reported against the quota as declared, so that metrics, logs and headers name it.
        answers[countedAt.get(k)] = new QuotaResult(globals.get(countedAt.get(k)), r.admitted(), r.remaining(),
            r.retryAfterNanos(), r.resetNanos(), r.via());
      }
      if (refuses(List.of(answers))) {
        QuotaAdmission.refund(byShare, local);
      }
    }
    List<QuotaResult> globalAnswers = List.of(answers);
    if (refuses(globalAnswers)) {
      QuotaAdmission.refund(localAnswers, local);
      return finish(d, all, notCharged(localAnswers), globalAnswers);
    }
    return finish(d, all, localAnswers, globalAnswers);
  }

  /** The decision with every answer, in the order of the charges. */
  private Decision finish(Decision d, List<QuotaCharge> all, List<QuotaResult> localAnswers,
      List<QuotaResult> globalAnswers) {
    List<QuotaResult> ordered = new ArrayList<>(all.size());
    int l = 0;
    int g = 0;
    for (QuotaCharge c : all) {
      ordered.add(c.quota().global() ? globalAnswers.get(g++) : localAnswers.get(l++));
    }
    try {
      listener.answered(ordered);
    } catch (RuntimeException e) {
      log.warn("quota listener failed: {}", e.toString());
    }
    return d.withQuotas(ordered, style, remainingOnAllow);
  }

  private static List<QuotaCharge> shadowed(List<QuotaCharge> charges) {
    List<QuotaCharge> out = new ArrayList<>(charges.size());
    for (QuotaCharge c : charges) {
      Quota q = c.quota();
      out.add(q.shadow() ? c : new QuotaCharge(new Quota(q.id(), q.name(), q.ref(), q.limit(), q.periodNanos(),
          q.burst(), q.global(), q.fallback(), q.fallbackShare(), true), c.key(), c.cost()));
    }
    return out;
  }

  private static boolean refuses(List<QuotaResult> answers) {
    for (QuotaResult r : answers) {
      if (r.refuses()) {
        return true;
      }
    }
    return false;
  }

  private static List<QuotaResult> notCharged(List<QuotaResult> answers) {
    return answers.stream().map(r -> r.quota().shadow() ? r : r.notCharged()).toList();
  }
}
