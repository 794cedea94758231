package dev.warden.policy.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * Charges the quotas of one request against a store of buckets, all or none: the request's
 * enforced quotas are all charged when every one admits it, and none is when one refuses (a
 * refused request spends nothing). Shadow quotas are charged on their own, each as if it were
 * the only one, and never refuse. The same code runs the sidecar's local buckets and a policy
 * test's, so that a test sees what the sidecar does.
 *
 * <p>Lock-free: it reads the buckets, works out every answer, then swaps each bucket's state
 * with a compare-and-set. Should another request have changed a bucket in between, the swaps
 * made so far are taken back and it starts again; so a refused request never keeps a charge,
 * and an admitted one is charged exactly once. (While the swaps are in flight, another request
 * may find a bucket charged that is then taken back: it may be refused by a few tokens that a
 * moment later are there again; it is never admitted beyond the limit.)
 */
public final class QuotaAdmission {
  /** A store of bucket states ({@link Gcra}): one number a bucket, {@link Gcra#FULL} when absent. */
  public interface Buckets {
    /** The bucket's state, or {@link Gcra#FULL}. */
    long get(String bucket);

    /** Sets the state to {@code update} when it is {@code expect}; false when it was not. */
    boolean compareAndSet(String bucket, long expect, long update);
  }

  /** Attempts before a request refuses itself; each failed attempt means another request was charged. */
  static final int MAX_ATTEMPTS = 10_000;

  private QuotaAdmission() {}

  /**
   * Charges {@code charges} (a request's, of one scope) at {@code now}: the enforced ones all or
   * none, each shadow one alone. The answers come in the order of the charges, each {@code via}
   * as given, those not charged because another refused marked {@link QuotaResult.Via#NOT_CHARGED}.
   */
  public static List<QuotaResult> admit(List<QuotaCharge> charges, long now, Buckets buckets, QuotaResult.Via via) {
    QuotaResult[] out = new QuotaResult[charges.size()];
    List<Integer> enforced = new ArrayList<>(charges.size());
    for (int i = 0; i < charges.size(); i++) {
      if (charges.get(i).quota().shadow()) {
        out[i] = admitAll(List.of(charges.get(i)), now, buckets, via).get(0);
      } else {
        enforced.add(i);
      }
    }
    if (!enforced.isEmpty()) {
      List<QuotaCharge> these = new ArrayList<>(enforced.size());
      enforced.forEach(i -> these.add(charges.get(i)));
      List<QuotaResult> answers = admitAll(these, now, buckets, via);
      for (int k = 0; k < enforced.size(); k++) {
        out[enforced.get(k)] = answers.get(k);
      }
    }
    return List.of(out);
  }

  private static List<QuotaResult> admitAll(List<QuotaCharge> charges, long now, Buckets buckets,
      QuotaResult.Via via) {
    int n = charges.size();
    long[] before = new long[n];
    Gcra.Admission[] answers = new Gcra.Admission[n];
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      boolean all = true;
      for (int i = 0; i < n; i++) {
        QuotaCharge c = charges.get(i);
        before[i] = buckets.get(c.bucket());
        answers[i] = Gcra.admit(before[i], now, c.quota().intervalNanos(), c.quota().burst(), c.cost());
        all &= answers[i].admitted();
      }
      if (!all) {
        return results(charges, answers, via, true);
      }
      int swapped = 0;
      while (swapped < n && (answers[swapped].tat() == before[swapped]
          || buckets.compareAndSet(charges.get(swapped).bucket(), before[swapped], answers[swapped].tat()))) {
        swapped++;
      }
      if (swapped == n) {
        return results(charges, answers, via, false);
      }
      for (int i = 0; i < swapped; i++) {
        takeBack(charges.get(i), before[i], answers[i].tat(), buckets);
      }
    }
    Gcra.Admission busy = new Gcra.Admission(false, Gcra.FULL, 0, charges.get(0).quota().intervalNanos(), 0);
    java.util.Arrays.fill(answers, busy);
    return results(charges, answers, via, false);
  }

  /** Undoes a swap: back to {@code before} if nobody has moved it since, else its cost out of what is there now. */
  private static void takeBack(QuotaCharge c, long before, long after, Buckets buckets) {
    if (after == before || buckets.compareAndSet(c.bucket(), after, before)) {
      return;
    }
    long back = after - Math.max(before, after - c.cost() * c.quota().intervalNanos());
    while (true) {
      long now = buckets.get(c.bucket());
      if (now == Gcra.FULL || buckets.compareAndSet(c.bucket(), now, now - back)) {
        return;
      }
    }
  }

  /**
   * Takes back what {@code results} charged to {@code buckets}: each admitted, enforced answer
   * with a cost, its cost out of its bucket. For a request that one store admitted and another
   * then refused (a local quota charged before Redis refused a global one), so that a refused
   * request keeps no charge.
   */
  public static void refund(List<QuotaResult> results, Buckets buckets) {
    for (QuotaResult r : results) {
      QuotaCharge c = r.charge();
      if (!r.admitted() || c.quota().shadow() || c.cost() == 0 || r.via() == QuotaResult.Via.NOT_CHARGED) {
        continue;
      }
      long back = c.cost() * c.quota().intervalNanos();
      for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        long now = buckets.get(c.bucket());
        if (now == Gcra.FULL || buckets.compareAndSet(c.bucket(), now, now - back)) {
          break;
        }
      }
    }
  }

  private static List<QuotaResult> results(List<QuotaCharge> charges, Gcra.Admission[] answers, QuotaResult.Via via,
      boolean refused) {
    List<QuotaResult> out = new ArrayList<>(charges.size());
    for (int i = 0; i < charges.size(); i++) {
      QuotaResult r = QuotaResult.of(charges.get(i), answers[i], via);
      out.add(refused ? r.notCharged() : r);
    }
    return out;
  }
}
