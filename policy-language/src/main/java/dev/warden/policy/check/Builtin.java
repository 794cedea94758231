package dev.warden.policy.check;

/** The built-in functions and methods. Each is total: bad input is an error value, not a crash. */
public enum Builtin {
  /** `ip("10.0.0.1")`. */
  IP,
  /** `cidr("10.0.0.0/8")`. */
  CIDR,
  /** `size(x)` or `x.size()`: characters of a string, items of a collection. */
  SIZE,
  /** `s.startsWith(p)`. */
  STARTS_WITH,
  /** `s.endsWith(p)`. */
  ENDS_WITH,
  /** `s.contains(p)` on strings. */
  STRING_CONTAINS,
  /** `s.lower()`. */
  LOWER,
  /** `s.upper()`. */
  UPPER,
  /** `c.contains(ip)` on a cidr. */
  CIDR_CONTAINS,
  /** `xs.contains(x)` on a list or set. */
  COLLECTION_CONTAINS,
  /** `m.keys()` on a map: its keys as a set. */
  KEYS
}
