package dev.warden.policy.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A request's method, path and query as Warden decides on them, canonicalized once and strictly
 * ({@link HttpTokens}, {@link RequestPaths}, {@link QueryStrings}), with method overrides handled
 * as the bundle's {@link RequestRules} say. The program builds it first thing, for every entry
 * point (sidecar, decide API, `warden eval`, `warden test`), so they cannot read a request
 * differently.
 *
 * @param stripHeaders method-override headers to remove from the upstream request
 * @param stripQuery query parameters to remove from the upstream request
 * @param refusal the public reason of a refused request (a 400), or null when it is accepted
 * @param error why it was refused, for explanations and logs
 */
public record RequestLine(String method, String path, Map<String, List<String>> query, List<String> stripHeaders,
    List<String> stripQuery, String refusal, String error) {
  private static final String BAD_OVERRIDE = "method override not allowed";

  public boolean ok() {
    return refusal == null;
  }

  public static RequestLine of(Request r, RequestRules rules) {
    String method = HttpTokens.method(r.method());
    if (method == null) {
      return refused("bad request method", "method `" + Printable.of(r.method())
          + "` is not an HTTP token (ASCII letters, digits, `!#$%&'*+-.^_`|~`)");
    }
    String target = r.path();
    if (RequestPaths.isCanonical(target)) {
      // The common case, in one pass and without allocating: a canonical path has no `?`.
      return overrides(method, target, Map.of(), r, rules.methodOverride());
    }
    RequestPaths.Canonical path = RequestPaths.canonicalize(target, rules.pathParameters());
    if (!path.ok()) {
      return refused("bad request path", path.error() + " in `" + Printable.of(target) + "`");
    }
    QueryStrings.Parsed query = QueryStrings.ofTarget(target);
    if (!query.ok()) {
      return refused("bad query string", query.error());
    }
    return overrides(method, path.path(), query.values(), r, rules.methodOverride());
  }

  private static RequestLine overrides(String method, String path, Map<String, List<String>> query, Request r,
      RequestRules.MethodOverride mode) {
    List<String> headers = MethodOverrides.headers(r.headers());
    List<String> queryNames = null;
    for (String name : query.keySet()) {
      if (MethodOverrides.isOverrideName(name)) {
        queryNames = MethodOverrides.add(queryNames, name);
      }
    }
    MethodOverrides.InBody inBody = MethodOverrides.body(r.body());
    if (headers == null && queryNames == null && inBody == null) {
      return new RequestLine(method, path, query, List.of(), List.of(), null, null);
    }
    String where = describe(headers, queryNames, inBody != null);
    switch (mode) {
      case DENY:
        return refused(BAD_OVERRIDE, "the request carries a method override (" + where + ")");
      case STRIP:
        if (inBody != null) {
          return refused(BAD_OVERRIDE, "the request carries a method override in its body (`_method`), which cannot be"
              + " stripped");
        }
        String unstrippable = queryNames == null ? null : unstrippable(r.path(), query, queryNames);
        if (unstrippable != null) {
          return refused(BAD_OVERRIDE, unstrippable);
        }
        return new RequestLine(method, path, queryNames == null ? query : without(query, MethodOverrides.PARAMETER),
            headers == null ? List.of() : List.copyOf(headers), queryNames == null ? List.of() : List.of(MethodOverrides.PARAMETER),
            null, null);
      default:
        List<String> values = new ArrayList<>();
        if (headers != null) {
          headers.forEach(h -> values.add(r.headers().get(h)));
        }
        if (queryNames != null) {
          queryNames.forEach(n -> values.addAll(query.get(n)));
        }
        return decideOverridden(method, path, query, values, inBody, where);
    }
  }

  /** The DECIDE mode: the overridden method, which every override must name alike, on a POST. */
  private static RequestLine decideOverridden(String method, String path, Map<String, List<String>> query,
      List<String> values, MethodOverrides.InBody inBody, String where) {
    if (!method.equals("POST")) {
      return refused(BAD_OVERRIDE, "a method override (" + where + ") on a " + method
          + " request: frameworks honour overrides on POST only");
    }
    if (inBody != null) {
      if (!inBody.readable()) {
        return refused(BAD_OVERRIDE, "the body may carry a method override (`_method`) that cannot be read");
      }
      values.addAll(inBody.values());
    }
    String overridden = null;
    for (String v : values) {
      String m = HttpTokens.method(v.trim());
      if (m == null || (overridden != null && !overridden.equals(m))) {
        return refused(BAD_OVERRIDE, "method overrides (" + where + ") must name one HTTP method, found `"
            + Printable.of(String.join("`, `", values)) + "`");
      }
      overridden = m;
    }
    return new RequestLine(overridden, path, query, List.of(), List.of(), null, null);
  }

  /**
   * Why Envoy could not strip `_method` from this query faithfully, or null. Envoy removes query
   * parameters by their name as written, so a name that is `_method` only to the upstream (`
   * _method` and `.method` to PHP, `%5Fmethod` once decoded) would stay and reach it; and Envoy
   * rebuilds the query from a map of names, which keeps one value of a repeated name in some
   * Envoy versions, so the upstream would see another query than the one decided on.
   */
  private static String unstrippable(String target, Map<String, List<String>> query, List<String> names) {
    for (String name : names) {
      if (!name.equals(MethodOverrides.PARAMETER)) {
        return "the method override is spelled `" + Printable.of(name) + "`, which Envoy would not strip";
      }
    }
    for (Map.Entry<String, List<String>> e : query.entrySet()) {
      if (e.getValue().size() > 1) {
        return "the query repeats `" + Printable.of(e.getKey()) + "` and carries a method override (`_method`): Envoy"
            + " would rebuild the query to strip it";
      }
    }
    int q = target.indexOf('?');
    int hash = target.indexOf('#', q);
    for (String pair : target.substring(q + 1, hash < 0 ? target.length() : hash).split("&")) {
      int eq = pair.indexOf('=');
      String raw = eq < 0 ? pair : pair.substring(0, eq);
      if (!raw.equals(MethodOverrides.PARAMETER) && (raw.indexOf('%') >= 0 || raw.indexOf('+') >= 0)) {
        QueryStrings.Parsed decoded = QueryStrings.parse(raw);
        if (decoded.ok() && decoded.values().keySet().stream().anyMatch(MethodOverrides::isOverrideName)) {
          return "the method override is spelled `" + Printable.of(raw) + "`, which Envoy would not strip";
        }
      }
    }
    return null;
  }

  private static String describe(List<String> headers, List<String> queryNames, boolean body) {
    List<String> parts = new ArrayList<>();
    if (headers != null) {
      headers.forEach(h -> parts.add("header `" + h + "`"));
    }
    if (queryNames != null) {
      queryNames.forEach(n -> parts.add("query parameter `" + Printable.of(n) + "`"));
    }
    if (body) {
      parts.add("body field `_method`");
    }
    return String.join(", ", parts);
  }

  private static Map<String, List<String>> without(Map<String, List<String>> query, String name) {
    Map<String, List<String>> out = new LinkedHashMap<>(query);
    out.remove(name);
    return java.util.Collections.unmodifiableMap(out);
  }

  private static RequestLine refused(String refusal, String error) {
    return new RequestLine(null, null, Map.of(), List.of(), List.of(), refusal, error);
  }
}
