package dev.warden.server.quota;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Gcra;
import dev.warden.policy.runtime.Obligations;
import dev.warden.policy.runtime.Outcome;
import dev.warden.policy.runtime.Quota;
import dev.warden.policy.runtime.QuotaAdmission;
import dev.warden.policy.runtime.QuotaCharge;
import dev.warden.policy.runtime.QuotaResult;
import dev.warden.policy.runtime.RateLimitHeaders;
import dev.warden.policy.runtime.RuleRef;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The gate between an allow and its quotas: local first, then global all or none, each global
 * quota's fallback when the shared store cannot answer, and no charge kept by a refused request.
 */
class QuotaGateTest {
  private final AtomicLong clock = new AtomicLong(1_000_000_000_000L);
  private final LocalBuckets local = new LocalBuckets(1_000, clock::get);
  /** What "Redis" holds: buckets of its own, charged by QuotaAdmission as the script does. */
  private final LocalBuckets remote = new LocalBuckets(1_000, clock::get);
  private final AtomicInteger asked = new AtomicInteger();
  private final List<Throwable> failures = new ArrayList<>();

  private static Quota quota(String name, long limit, boolean global, Quota.Fallback fallback, double share) {
    return new Quota("p." + name, name, new RuleRef("p." + name, "quota", "p.warden:1"), limit, 3_600_000_000_000L,
        limit, global, fallback, share, false);
  }

  private static final Quota LOCAL = quota("mine", 2, false, Quota.Fallback.CLOSED, 1);

  private QuotaGate gate(QuotaGate.Shared shared) {
    QuotaGate.Listener listener = new QuotaGate.Listener() {
      @Override
      public void answered(List<QuotaResult> results) {}

      @Override
      public void sharedFailed(Throwable cause) {
        failures.add(cause);
      }
    };
    return new QuotaGate(local, shared, RateLimitHeaders.Style.IETF, false, listener, clock::get);
  }

  private QuotaGate.Shared working() {
    return charges -> {
      asked.incrementAndGet();
      return CompletableFuture.completedFuture(
          QuotaAdmission.admit(charges, clock.get(), remote, QuotaResult.Via.GLOBAL));
    };
  }

  private QuotaGate.Shared down() {
    return charges -> {
      asked.incrementAndGet();
      return CompletableFuture.failedFuture(new IllegalStateException("redis://127.0.0.1:1 did not answer in 50ms"));
    };
  }

  private static Decision allow(Quota... quotas) {
    Decision d = new Decision(Outcome.ALLOW, 200, "allowed", () -> "allowed", List.of(), "p.read", "r1",
        Obligations.NONE, List.of());
    List<QuotaCharge> charges = new ArrayList<>();
    for (Quota q : quotas) {
      charges.add(new QuotaCharge(q, "alice", 1));
    }
    return d.withCharges(charges);
  }

  private static Decision now(CompletionStage<Decision> s) throws Exception {
    return s.toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void aRequestWithLocalQuotasOnlyIsAnsweredAtOnceWithoutTheSharedStore() throws Exception {
    QuotaGate g = gate(working());
    CompletionStage<Decision> first = g.charge(allow(LOCAL));
    assertThat(first.toCompletableFuture()).isDone();
    assertThat(now(first).allowed()).isTrue();
    now(g.charge(allow(LOCAL)));
    Decision third = now(g.charge(allow(LOCAL)));
    assertThat(third.outcome()).isEqualTo(Outcome.QUOTA);
    assertThat(third.status()).isEqualTo(429);
    assertThat(asked).hasValue(0);
  }

  @Test
  void aGlobalRefusalTakesBackTheLocalCharge() throws Exception {
    Quota global = quota("shared", 1, true, Quota.Fallback.CLOSED, 1);
    QuotaGate g = gate(working());
    assertThat(now(g.charge(allow(LOCAL, global))).allowed()).isTrue();
    Decision refused = now(g.charge(allow(LOCAL, global)));
    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.rules()).extracting(RuleRef::id).containsExactly("p.shared");
    assertThat(refused.quotas().get(0).via()).isEqualTo(QuotaResult.Via.NOT_CHARGED);
    // The local bucket was charged once, by the first request: one of its two tokens is left.
    assertThat(now(g.charge(allow(LOCAL))).allowed()).isTrue();
    assertThat(now(g.charge(allow(LOCAL))).allowed()).isFalse();
  }

  @Test
  void aLocalRefusalAsksNothingOfTheSharedStore() throws Exception {
    Quota global = quota("shared", 100, true, Quota.Fallback.CLOSED, 1);
    QuotaGate g = gate(working());
    now(g.charge(allow(LOCAL, global)));
    now(g.charge(allow(LOCAL, global)));
    Decision refused = now(g.charge(allow(LOCAL, global)));
    assertThat(refused.status()).isEqualTo(429);
    assertThat(asked).hasValue(2);
    assertThat(refused.quotas().get(1).via()).isEqualTo(QuotaResult.Via.NOT_CHARGED);
    assertThat(remote.get("p.shared|alice")).isNotEqualTo(Gcra.FULL);
  }

  @Test
  void eachGlobalQuotaFallsBackAsItSays() throws Exception {
    QuotaGate g = gate(down());
    Decision open = now(g.charge(allow(quota("o", 1, true, Quota.Fallback.OPEN, 1))));
    assertThat(open.allowed()).isTrue();
    assertThat(open.quotas().get(0).via()).isEqualTo(QuotaResult.Via.FALLBACK_OPEN);
    assertThat(now(g.charge(allow(quota("o", 1, true, Quota.Fallback.OPEN, 1)))).allowed()).isTrue();

    Decision closed = now(g.charge(allow(quota("c", 100, true, Quota.Fallback.CLOSED, 1))));
    assertThat(closed.status()).isEqualTo(429);
    assertThat(closed.quotas().get(0).via()).isEqualTo(QuotaResult.Via.FALLBACK_CLOSED);
    assertThat(closed.obligations().responseHeaders()).extracting(Obligations.Header::name).contains("retry-after");

    // `fallback local 0.5` of 4: each replica admits 2 alone.
    Quota shared = quota("l", 4, true, Quota.Fallback.LOCAL, 0.5);
    assertThat(now(g.charge(allow(shared))).quotas().get(0).via()).isEqualTo(QuotaResult.Via.FALLBACK_LOCAL);
    assertThat(now(g.charge(allow(shared))).allowed()).isTrue();
    Decision third = now(g.charge(allow(shared)));
    assertThat(third.status()).isEqualTo(429);
    assertThat(third.rules()).extracting(RuleRef::id).containsExactly("p.l");
    assertThat(failures).hasSize(6).allSatisfy(e -> assertThat(e).hasMessageContaining("did not answer"));
  }

  @Test
  void aFallbackRefusalTakesBackTheOtherCharges() throws Exception {
    QuotaGate g = gate(down());
    Quota closed = quota("c", 100, true, Quota.Fallback.CLOSED, 1);
    assertThat(now(g.charge(allow(LOCAL, closed))).status()).isEqualTo(429);
    assertThat(now(g.charge(allow(LOCAL, closed))).status()).isEqualTo(429);
    assertThat(local.get("p.mine|alice")).as("the local bucket keeps no charge of a refused request")
        .satisfies(tat -> assertThat(Gcra.full(tat, clock.get())).isTrue());
  }

  @Test
  void withoutASharedStoreGlobalQuotasFallBackAndAnAnswerOfTheWrongSizeIsAFailure() throws Exception {
    Quota open = quota("o", 1, true, Quota.Fallback.OPEN, 1);
    assertThat(now(gate(null).charge(allow(open))).quotas().get(0).via()).isEqualTo(QuotaResult.Via.FALLBACK_OPEN);
    QuotaGate wrong = gate(charges -> CompletableFuture.completedFuture(List.of()));
    assertThat(now(wrong.charge(allow(open))).quotas().get(0).via()).isEqualTo(QuotaResult.Via.FALLBACK_OPEN);
    assertThat(failures).singleElement().satisfies(e -> assertThat(e).hasMessageContaining("answered 0 of 1"));
  }

  @Test
  void theSharedAnswerComesLaterWithoutBlockingTheCaller() throws Exception {
    CompletableFuture<List<QuotaResult>> later = new CompletableFuture<>();
    Quota global = quota("shared", 5, true, Quota.Fallback.CLOSED, 1);
    CompletionStage<Decision> s = gate(charges -> later).charge(allow(global));
    assertThat(s.toCompletableFuture()).isNotDone();
    later.complete(List.of(new QuotaResult(new QuotaCharge(global, "alice", 1), true, 4, 0, 0,
        QuotaResult.Via.GLOBAL)));
    assertThat(now(s).allowed()).isTrue();
    assertThat(now(s).quotas().get(0).via()).isEqualTo(QuotaResult.Via.GLOBAL);
  }

  @Test
  void inShadowModeEveryQuotaIsCountedAndNoneRefuses() throws Exception {
    QuotaGate g = gate(working()).shadowing(true);
    Quota global = quota("shared", 1, true, Quota.Fallback.CLOSED, 1);
    for (int i = 0; i < 4; i++) {
      Decision d = now(g.charge(allow(LOCAL, global)));
      assertThat(d.allowed()).isTrue();
      assertThat(d.obligations().responseHeaders()).isEmpty();
      assertThat(d.quotas()).allSatisfy(r -> assertThat(r.quota().shadow()).isTrue());
      assertThat(d.quotas().get(0).admitted()).isEqualTo(i < 2);
      assertThat(d.quotas().get(1).admitted()).isEqualTo(i < 1);
    }
  }
}
