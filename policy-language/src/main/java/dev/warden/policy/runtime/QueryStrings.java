package dev.warden.policy.runtime;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Parses `a=1&b=2&a=3` into names with their values in order. */
public final class QueryStrings {
  private QueryStrings() {}

  /** The query parameters of a request target (`/path?a=1#frag`); empty when it has no query. */
  public static Map<String, List<String>> ofTarget(String target) {
    int q = target.indexOf('?');
    if (q < 0) {
      return Map.of();
    }
    int hash = target.indexOf('#', q);
    return parse(target.substring(q + 1, hash < 0 ? target.length() : hash));
  }

  public static Map<String, List<String>> parse(String query) {
    if (query == null || query.isEmpty()) {
      return Map.of();
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      out.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }
    out.replaceAll((k, v) -> List.copyOf(v));
    return out;
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }
}
