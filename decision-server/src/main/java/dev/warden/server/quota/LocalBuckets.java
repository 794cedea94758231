package dev.warden.server.quota;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.warden.policy.runtime.Gcra;
import dev.warden.policy.runtime.QuotaAdmission;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The replica's own buckets (`scope local`, and `fallback local` while Redis is down): one
 * number a bucket ({@link Gcra}'s theoretical arrival time, on a nanosecond clock), in a
 * bounded Caffeine cache.
 *
 * <p>A bucket is forgotten when it is full again (its entry expires at its own time): forgetting a
 * full bucket changes nothing, so expiry is exact. Past {@code maxKeys} buckets, Caffeine evicts by
 * size; evicting a bucket that is still draining lets its key start full again, so such evictions
 * are counted ({@link #evictedDraining}) for the operator to raise `quota.local.max_keys`. No
 * locks: reads and compare-and-set through the cache's map.
 */
public final class LocalBuckets implements QuotaAdmission.Buckets {
  private final Cache<String, Long> cache;
  private final ConcurrentMap<String, Long> map;
  private final LongAdder evictedDraining = new LongAdder();

  /** Buckets on {@link System#nanoTime}. */
  public LocalBuckets(long maxKeys) {
    this(maxKeys, System::nanoTime);
  }

  /**
   * Buckets whose states are times on {@code nanoClock}, the clock the gate charges by: the cache
   * expires a bucket on the same clock.
   */
  public LocalBuckets(long maxKeys, java.util.function.LongSupplier nanoClock) {
    if (maxKeys < 1) {
      throw new IllegalArgumentException("quota.local.max_keys of " + maxKeys + "; expected at least 1");
    }
    this.cache = Caffeine.newBuilder()
        .ticker(nanoClock::getAsLong)
        .maximumSize(maxKeys)
        .expireAfter(new Expiry<String, Long>() {
          @Override
          public long expireAfterCreate(String key, Long tat, long now) {
            return Math.max(0, tat - now);
          }

          @Override
          public long expireAfterUpdate(String key, Long tat, long now, long current) {
            return Math.max(0, tat - now);
          }

          @Override
          public long expireAfterRead(String key, Long tat, long now, long current) {
            return current;
          }
        })
        .evictionListener((String key, Long tat, RemovalCause cause) -> {
          if (cause == RemovalCause.SIZE && tat != null && tat - nanoClock.getAsLong() > 0) {
            evictedDraining.increment();
          }
        })
        .build();
    this.map = cache.asMap();
  }

  @Override
  public long get(String bucket) {
    Long tat = map.get(bucket);
    return tat == null ? Gcra.FULL : tat;
  }

  @Override
  public boolean compareAndSet(String bucket, long expect, long update) {
    if (expect == Gcra.FULL) {
      return map.putIfAbsent(bucket, update) == null;
    }
    return map.replace(bucket, expect, update);
  }

  /** Buckets held now (an estimate, expired ones may still count). */
  public long size() {
    return cache.estimatedSize();
  }

  /** Buckets evicted for room while still draining: each let its key start over with a full bucket. */
  public long evictedDraining() {
    return evictedDraining.sum();
  }
}
