package dev.warden.policy.compile;

import dev.warden.policy.runtime.Cidr;
import dev.warden.policy.runtime.IpAddress;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * Membership in a collection of scalars that never changes (a data document, a constant list
 * literal), answered by a hash lookup instead of a scan. Built once, when the collection is.
 *
 * <p>Answers exactly what a scan with {@link Values#equal} would: every element is stored under
 * a key whose Java equality is policy equality. That is the element itself, except for numbers,
 * which compare by value (1 == 1.0): a number's key is a {@code Long} when it is integral and
 * fits, else its {@code BigDecimal} without trailing zeros. Absent elements equal nothing and are
 * left out.
 */
final class ScalarIndex {
  /** Up to this many keys are kept in an array: small lists are common inside data records. */
  private static final int SMALL = 8;
  private static final BigDecimal LONG_MIN = BigDecimal.valueOf(Long.MIN_VALUE);
  private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

  private final Object[] small;
  private final Set<Object> large;

  private ScalarIndex(Object[] small, Set<Object> large) {
    this.small = small;
    this.large = large;
  }

  /** The index of {@code items}, or null when one of them is not a scalar. */
  static ScalarIndex of(Collection<?> items) {
    Object[] keys = new Object[items.size()];
    int n = 0;
    for (Object x : items) {
      if (x == null) {
        continue;
      }
      if (!isScalar(x)) {
        return null;
      }
      keys[n++] = key(x);
    }
    if (n <= SMALL) {
      return new ScalarIndex(Arrays.copyOf(keys, n), null);
    }
    return new ScalarIndex(null, new HashSet<>(Arrays.asList(keys).subList(0, n)));
  }

  /** Whether some element is policy-equal to {@code item}. */
  boolean contains(Object item) {
    if (item == null || !isScalar(item)) {
      // A scalar equals no list, map or record, and nothing equals an absent value.
      return false;
    }
    Object k = key(item);
    if (large != null) {
      return large.contains(k);
    }
    for (Object x : small) {
      if (k.equals(x)) {
        return true;
      }
    }
    return false;
  }

  /** Values whose policy equality is their Java equality, numbers once normalized. */
  static boolean isScalar(Object x) {
    return x instanceof String || x instanceof Number || x instanceof Boolean || x instanceof Instant
        || x instanceof Duration || x instanceof IpAddress || x instanceof Cidr;
  }

  /** The key of a scalar: itself, or for a number one canonical form of its value. */
  static Object key(Object x) {
    if (x instanceof Long || !(x instanceof Number n)) {
      return x;
    }
    if (!(n instanceof BigDecimal d)) {
      // As Values.decimal reads any other number: by its long value.
      return n.longValue();
    }
    BigDecimal s = d.stripTrailingZeros();
    if (s.scale() <= 0 && s.compareTo(LONG_MIN) >= 0 && s.compareTo(LONG_MAX) <= 0) {
      return s.longValue();
    }
    return s;
  }
}
