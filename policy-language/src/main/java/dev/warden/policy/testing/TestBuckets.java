package dev.warden.policy.testing;

import dev.warden.policy.runtime.Gcra;
import dev.warden.policy.runtime.QuotaAdmission;
import java.util.HashMap;
import java.util.Map;

/** The buckets of one run of one test: a plain map, since a test runs on one thread. */
public final class TestBuckets implements QuotaAdmission.Buckets {
  private final Map<String, Long> states = new HashMap<>();

  @Override
  public long get(String bucket) {
    return states.getOrDefault(bucket, Gcra.FULL);
  }

  @Override
  public boolean compareAndSet(String bucket, long expect, long update) {
    if (get(bucket) != expect) {
      return false;
    }
    states.put(bucket, update);
    return true;
  }

  /** Every bucket's state now, by bucket name. */
  public Map<String, Long> snapshot() {
    return Map.copyOf(states);
  }
}
