package dev.warden.policy.runtime;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * The one conversion of claim numbers to principal fields, whatever the identity path: a token
 * verified by Warden (its JSON parser gives Long or Double), Envoy's jwt_authn metadata and the
 * decide API (protobuf `Struct`: every number a double), an API key record or a test (Long or
 * BigDecimal). A double is read as the shortest decimal that denotes it (`0.3` is 0.3, not
 * 0.299999999999999988897769753748…, which `new BigDecimal(0.3)` gives), so `risk >= 0.3`
 * decides alike in `warden test` and behind Envoy. NaN and infinities are no number.
 */
public final class ClaimNumbers {
  private ClaimNumbers() {}

  /** The claim as an exact decimal, or null when it is not a finite number. */
  public static BigDecimal decimal(Object raw) {
    if (raw instanceof Long || raw instanceof Integer || raw instanceof Short || raw instanceof Byte) {
      return BigDecimal.valueOf(((Number) raw).longValue());
    }
    if (raw instanceof BigDecimal d) {
      return d;
    }
    if (raw instanceof BigInteger i) {
      return new BigDecimal(i);
    }
    if (raw instanceof Double d) {
      return Double.isFinite(d) ? BigDecimal.valueOf(d) : null;
    }
    if (raw instanceof Float f) {
      return Float.isFinite(f) ? new BigDecimal(Float.toString(f)) : null;
    }
    return null;
  }

  /**
   * The claim as an `int`: any number whose value is a whole number that fits 64 bits (`5`,
   * `5.0`, `5e0`), or null.
   */
  public static Long integer(Object raw) {
    if (raw instanceof Long || raw instanceof Integer || raw instanceof Short || raw instanceof Byte) {
      return ((Number) raw).longValue();
    }
    BigDecimal d = decimal(raw);
    if (d == null) {
      return null;
    }
    try {
      return d.longValueExact();
    } catch (ArithmeticException e) {
      return null;
    }
  }
}
