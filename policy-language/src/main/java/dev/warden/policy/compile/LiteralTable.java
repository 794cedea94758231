package dev.warden.policy.compile;

import java.util.Map;

/**
 * An immutable open-addressing table from path segment to trie node, looked up by a region of
 * the request path: no substring is made for literal segments, and lookup cost does not depend
 * on how many siblings a segment has.
 */
final class LiteralTable<V> {
  private final String[] keys;
  private final Object[] values;
  private final int mask;

  LiteralTable(Map<String, V> entries) {
    int capacity = Integer.highestOneBit(Math.max(2, entries.size() * 2 - 1)) << 1;
    keys = new String[capacity];
    values = new Object[capacity];
    mask = capacity - 1;
    entries.forEach((k, v) -> {
      int i = k.hashCode() & mask;
      while (keys[i] != null) {
        i = (i + 1) & mask;
      }
      keys[i] = k;
      values[i] = v;
    });
  }

  /** The value for {@code s[start, end)}, or null. */
  @SuppressWarnings("unchecked")
  V get(String s, int start, int end) {
    int h = 0;
    for (int i = start; i < end; i++) {
      h = 31 * h + s.charAt(i);
    }
    int len = end - start;
    for (int i = h & mask; keys[i] != null; i = (i + 1) & mask) {
      String k = keys[i];
      if (k.length() == len && s.regionMatches(start, k, 0, len)) {
        return (V) values[i];
      }
    }
    return null;
  }
}
