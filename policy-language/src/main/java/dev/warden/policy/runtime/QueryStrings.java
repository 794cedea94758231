package dev.warden.policy.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses `a=1&b=2&a=3` into names with their values in order, strictly: escapes are decoded as
 * {@link PercentDecoding} does (ASCII hex, valid UTF-8), `+` is a space, and a malformed escape
 * or a control character refuses the whole query instead of being kept as text, so that no
 * parameter means one thing to Warden and another to the upstream.
 */
public final class QueryStrings {
  /** The longest query string accepted, in characters. */
  public static final int MAX_LENGTH = 16384;

  private QueryStrings() {}

  /** Parameters by name, or why the query was refused. */
  public record Parsed(Map<String, List<String>> values, String error) {
    public boolean ok() {
      return error == null;
    }
  }

  private static final Parsed EMPTY = new Parsed(Map.of(), null);

  /** The query of a request target (`/path?a=1#frag`); empty when it has none. */
  public static Parsed ofTarget(String target) {
    // The fragment starts at the first `#`, and a `?` after it is part of the fragment.
    int hash = target.indexOf('#');
    int end = hash < 0 ? target.length() : hash;
    int q = target.indexOf('?');
    if (q < 0 || q > end) {
      return EMPTY;
    }
    return parse(target.substring(q + 1, end));
  }

  /** A query string, at most {@link #MAX_LENGTH} characters. */
  public static Parsed parse(String query) {
    return parse(query, MAX_LENGTH);
  }

  /** An HTML form body (`application/x-www-form-urlencoded`): a query string of any length. */
  public static Parsed parseForm(String body) {
    return parse(body, Integer.MAX_VALUE);
  }

  private static Parsed parse(String query, int maxLength) {
    if (query == null || query.isEmpty()) {
      return EMPTY;
    }
    if (query.length() > maxLength) {
      return new Parsed(null, "query string longer than " + MAX_LENGTH + " characters");
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    int start = 0;
    while (start <= query.length()) {
      int end = query.indexOf('&', start);
      if (end < 0) {
        end = query.length();
      }
      if (end > start) {
        int eq = query.indexOf('=', start);
        if (eq < 0 || eq > end) {
          eq = end;
        }
        try {
          String name = decode(query, start, eq);
          String value = eq == end ? "" : decode(query, eq + 1, end);
          out.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        } catch (PercentDecoding.Malformed e) {
          return new Parsed(null, "bad query string: " + e.getMessage());
        }
      }
      start = end + 1;
    }
    out.replaceAll((k, v) -> List.copyOf(v));
    return new Parsed(java.util.Collections.unmodifiableMap(out), null);
  }

  private static String decode(String s, int from, int to) throws PercentDecoding.Malformed {
    String decoded = PercentDecoding.decode(s, from, to, true);
    for (int i = 0; i < decoded.length(); i++) {
      char c = decoded.charAt(i);
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f)) {
        throw new PercentDecoding.Malformed("a control character U+" + PercentDecoding.hex4(c));
      }
    }
    return decoded;
  }
}
