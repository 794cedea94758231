package dev.warden.policy.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * The token bucket's guarantees, for any arrival pattern: it never admits more than
 * {@code burst + rate × time} over any span; a refused request is admitted once it waits the
 * retry-after it was told, and not a nanosecond before; a full bucket admits a whole burst; a
 * refused request of several quotas charges none of them.
 */
class BucketProperties {
  private static final RuleRef REF = new RuleRef("p.q", "quota", "p.warden:1");

  /** One arrival: how long after the previous one, and its cost. */
  record Arrival(long gapNanos, long cost) {}

  @Provide
  Arbitrary<List<Arrival>> arrivals() {
    Arbitrary<Long> gaps = Arbitraries.oneOf(Arbitraries.just(0L), Arbitraries.longs().between(0, 2_000_000_000L),
        Arbitraries.longs().between(0, 50_000_000L));
    Arbitrary<Long> costs = Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(8, Arbitraries.just(1L)),
        net.jqwik.api.Tuple.of(2, Arbitraries.longs().between(0, 12)));
    return Combinators.combine(gaps, costs).as(Arrival::new).list().ofMinSize(1).ofMaxSize(300);
  }

  private static Quota quota(long limit, long periodMillis, long burst) {
    return new Quota("p.q", "q", REF, limit, periodMillis * 1_000_000L, burst, false, Quota.Fallback.CLOSED, 1, false);
  }

  @Property(tries = 300)
  void neverAdmitsMoreThanTheBurstPlusTheRateOverAnySpan(@ForAll @IntRange(min = 1, max = 50) int limit,
      @ForAll @LongRange(min = 1, max = 5_000) long periodMillis, @ForAll @IntRange(min = 1, max = 20) int burst,
      @ForAll("arrivals") List<Arrival> arrivals) {
    Quota q = quota(limit, periodMillis, burst);
    dev.warden.policy.testing.TestBuckets buckets = new dev.warden.policy.testing.TestBuckets();
    long now = 1_000_000_000_000L;
    List<long[]> admitted = new ArrayList<>(); // {time, cost}
    for (Arrival a : arrivals) {
      now += a.gapNanos();
      QuotaResult r = QuotaAdmission.admit(List.of(new QuotaCharge(q, "k", a.cost())), now, buckets,
          QuotaResult.Via.LOCAL).get(0);
      if (r.admitted()) {
        admitted.add(new long[] {now, a.cost()});
      }
    }
    long interval = q.intervalNanos();
    for (int i = 0; i < admitted.size(); i++) {
      long sum = 0;
      for (int j = i; j < admitted.size(); j++) {
        sum += admitted.get(j)[1];
        long span = admitted.get(j)[0] - admitted.get(i)[0];
        assertThat(sum).as("tokens admitted from arrival %d to %d, %d ns apart", i, j, span)
            .isLessThanOrEqualTo(burst + span / interval);
      }
    }
  }

  @Property(tries = 300)
  void aRefusedRequestIsAdmittedExactlyAfterItsRetryAfter(@ForAll @IntRange(min = 1, max = 50) int limit,
      @ForAll @LongRange(min = 1, max = 5_000) long periodMillis, @ForAll @IntRange(min = 1, max = 20) int burst,
      @ForAll("arrivals") List<Arrival> arrivals, @ForAll @LongRange(min = 1, max = 20) long cost) {
    Quota q = quota(limit, periodMillis, burst);
    dev.warden.policy.testing.TestBuckets buckets = new dev.warden.policy.testing.TestBuckets();
    long now = 0;
    for (Arrival a : arrivals) {
      now += a.gapNanos();
      QuotaAdmission.admit(List.of(new QuotaCharge(q, "k", a.cost())), now, buckets, QuotaResult.Via.LOCAL);
    }
    long tat = buckets.get("p.q|k");
    Gcra.Admission asked = Gcra.admit(tat, now, q.intervalNanos(), burst, cost);
    if (asked.admitted()) {
      return;
    }
    if (cost > burst) {
      assertThat(asked.retryAfterNanos()).isEqualTo(Long.MAX_VALUE);
      return;
    }
    long wait = asked.retryAfterNanos();
    assertThat(Gcra.admit(tat, now + wait - 1, q.intervalNanos(), burst, cost).admitted()).isFalse();
    assertThat(Gcra.admit(tat, now + wait, q.intervalNanos(), burst, cost).admitted()).isTrue();
  }

  @Property(tries = 200)
  void aBucketLeftAloneUntilFullAdmitsAWholeBurst(@ForAll @IntRange(min = 1, max = 50) int limit,
      @ForAll @LongRange(min = 1, max = 5_000) long periodMillis, @ForAll @IntRange(min = 1, max = 20) int burst,
      @ForAll("arrivals") List<Arrival> arrivals) {
    Quota q = quota(limit, periodMillis, burst);
    dev.warden.policy.testing.TestBuckets buckets = new dev.warden.policy.testing.TestBuckets();
    long now = 0;
    for (Arrival a : arrivals) {
      now += a.gapNanos();
      QuotaAdmission.admit(List.of(new QuotaCharge(q, "k", a.cost())), now, buckets, QuotaResult.Via.LOCAL);
    }
    now += q.fillNanos();
    for (int i = 0; i < burst; i++) {
      assertThat(QuotaAdmission.admit(List.of(new QuotaCharge(q, "k", 1)), now, buckets, QuotaResult.Via.LOCAL)
          .get(0).admitted()).as("token %d of the burst", i + 1).isTrue();
    }
    assertThat(QuotaAdmission.admit(List.of(new QuotaCharge(q, "k", 1)), now, buckets, QuotaResult.Via.LOCAL)
        .get(0).admitted()).isFalse();
  }

  @Property(tries = 200)
  void aRequestOneQuotaRefusesChargesNoOther(@ForAll("arrivals") List<Arrival> arrivals,
      @ForAll @IntRange(min = 1, max = 10) int small, @ForAll @IntRange(min = 1, max = 10) int large) {
    Quota a = new Quota("p.a", "a", REF, small, 60_000_000_000L, small, false, Quota.Fallback.CLOSED, 1, false);
    Quota b = new Quota("p.b", "b", REF, large, 60_000_000_000L, large, false, Quota.Fallback.CLOSED, 1, false);
    dev.warden.policy.testing.TestBuckets buckets = new dev.warden.policy.testing.TestBuckets();
    long now = 0;
    for (Arrival x : arrivals) {
      now += x.gapNanos();
      Map<String, Long> before = buckets.snapshot();
      List<QuotaResult> r = QuotaAdmission.admit(List.of(new QuotaCharge(a, "k", x.cost()), new QuotaCharge(b, "k",
          x.cost())), now, buckets, QuotaResult.Via.LOCAL);
      boolean admitted = r.stream().allMatch(QuotaResult::admitted);
      if (!admitted) {
        assertThat(buckets.snapshot()).as("a refused request changes no bucket").isEqualTo(before);
        assertThat(r).anyMatch(x2 -> x2.via() == QuotaResult.Via.NOT_CHARGED || !x2.admitted());
      }
    }
  }
}
