package dev.warden.policy.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
  /** The headers that frameworks read as a method override. */
  public static final List<String> OVERRIDE_HEADERS = List.of("x-http-method-override", "x-http-method", "x-method-override");
  /** The query parameter and form field that frameworks read as a method override. */
  public static final String OVERRIDE_PARAMETER = "_method";

  private static final String BAD_OVERRIDE = "method override not allowed";

  public boolean ok() {
    return refusal == null;
  }

  public static RequestLine of(Request r, RequestRules rules) {
    String method = HttpTokens.method(r.method());
    if (method == null) {
      return refused("bad request method", "method `" + Printable.of(r.method()) + "` is not an HTTP token (ASCII letters, digits, `!#$%&'*+-.^_`|~`)");
    }
    RequestPaths.Canonical path = RequestPaths.canonicalize(r.path(), rules.pathParameters());
    if (!path.ok()) {
      return refused("bad request path", path.error() + " in `" + Printable.of(r.path()) + "`");
    }
    QueryStrings.Parsed query = QueryStrings.ofTarget(r.path());
    if (!query.ok()) {
      return refused("bad query string", query.error());
    }
    return overrides(method, path.path(), query.values(), r, rules.methodOverride());
  }

  private static RequestLine overrides(String method, String path, Map<String, List<String>> query, Request r,
      RequestRules.MethodOverride mode) {
    List<String> headers = null;
    List<String> values = null;
    for (String h : OVERRIDE_HEADERS) {
      String v = r.headers().get(h);
      if (v != null) {
        headers = add(headers, h);
        values = add(values, v);
      }
    }
    List<String> inQuery = query.get(OVERRIDE_PARAMETER);
    if (inQuery != null) {
      values = values == null ? new ArrayList<>(inQuery) : addAll(values, inQuery);
    }
    BodyOverride inBody = bodyOverride(r.body());
    if (headers == null && inQuery == null && inBody == null) {
      return new RequestLine(method, path, query, List.of(), List.of(), null, null);
    }
    String where = describe(headers, inQuery != null, inBody != null);
    switch (mode) {
      case DENY:
        return refused(BAD_OVERRIDE, "the request carries a method override (" + where + ")");
      case STRIP:
        if (inBody != null) {
          return refused(BAD_OVERRIDE, "the request carries a method override in its body (`_method`), which cannot be"
              + " stripped");
        }
        String unstrippable = inQuery == null ? null : unstrippable(r.path(), query);
        if (unstrippable != null) {
          return refused(BAD_OVERRIDE, unstrippable);
        }
        return new RequestLine(method, path, inQuery == null ? query : without(query, OVERRIDE_PARAMETER),
            headers == null ? List.of() : List.copyOf(headers), inQuery == null ? List.of() : List.of(OVERRIDE_PARAMETER),
            null, null);
      default:
        return decideOverridden(method, path, query, values, inBody, where);
    }
  }

  /** The DECIDE mode: the overridden method, which every override must name alike, on a POST. */
  private static RequestLine decideOverridden(String method, String path, Map<String, List<String>> query,
      List<String> values, BodyOverride inBody, String where) {
    if (!method.equals("POST")) {
      return refused(BAD_OVERRIDE, "a method override (" + where + ") on a " + method
          + " request: frameworks honour overrides on POST only");
    }
    if (inBody != null) {
      if (inBody.values == null) {
        return refused(BAD_OVERRIDE, "the body may carry a method override (`_method`) that cannot be read");
      }
      values = values == null ? new ArrayList<>(inBody.values) : addAll(values, inBody.values);
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
   * parameters by their name as written, so `%5Fmethod` would stay and reach the upstream, which
   * decodes it; and it rebuilds the query from a map of names, which keeps one value of a
   * repeated name in some Envoy versions, so the upstream would see another query than the one
   * decided on.
   */
  private static String unstrippable(String target, Map<String, List<String>> query) {
    for (Map.Entry<String, List<String>> e : query.entrySet()) {
      if (e.getValue().size() > 1) {
        return "the query repeats `" + Printable.of(e.getKey()) + "` and carries a method override (`_method`): Envoy"
            + " would rebuild the query to strip it";
      }
    }
    int q = target.indexOf('?');
    int hash = target.indexOf('#', q);
    String raw = target.substring(q + 1, hash < 0 ? target.length() : hash);
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      if (!name.equals(OVERRIDE_PARAMETER) && name.indexOf('%') >= 0) {
        QueryStrings.Parsed decoded = QueryStrings.parse(name);
        if (decoded.ok() && decoded.values().containsKey(OVERRIDE_PARAMETER)) {
          return "the method override is spelled `" + Printable.of(name) + "`, which Envoy would not strip";
        }
      }
    }
    return null;
  }

  /** A `_method` form field (values null when the body may hold one that cannot be read). */
  private record BodyOverride(List<String> values) {}

  private static BodyOverride bodyOverride(RequestBody body) {
    if (body == null) {
      return null;
    }
    if (body.isForm()) {
      QueryStrings.Parsed form = body.form();
      if (form.ok()) {
        List<String> v = form.values().get(OVERRIDE_PARAMETER);
        return v == null ? null : new BodyOverride(v);
      }
      // Upstream form parsers are lenient: an unreadable form that mentions the field may carry it.
      return containsIgnoreCase(body.text(), "method") ? new BodyOverride(null) : null;
    }
    if (body.mediaType().startsWith("multipart/form-data")) {
      return containsIgnoreCase(body.text(), "name=\"_method\"") ? new BodyOverride(null) : null;
    }
    return null;
  }

  private static boolean containsIgnoreCase(String text, String needle) {
    return text.toLowerCase(Locale.ROOT).contains(needle);
  }

  private static String describe(List<String> headers, boolean query, boolean body) {
    List<String> parts = new ArrayList<>();
    if (headers != null) {
      headers.forEach(h -> parts.add("header `" + h + "`"));
    }
    if (query) {
      parts.add("query parameter `_method`");
    }
    if (body) {
      parts.add("form field `_method`");
    }
    return String.join(", ", parts);
  }

  private static Map<String, List<String>> without(Map<String, List<String>> query, String name) {
    Map<String, List<String>> out = new LinkedHashMap<>(query);
    out.remove(name);
    return java.util.Collections.unmodifiableMap(out);
  }

  private static List<String> add(List<String> list, String v) {
    List<String> out = list == null ? new ArrayList<>(2) : list;
    out.add(v);
    return out;
  }

  private static List<String> addAll(List<String> list, List<String> more) {
    list.addAll(more);
    return list;
  }

  private static RequestLine refused(String refusal, String error) {
    return new RequestLine(null, null, Map.of(), List.of(), List.of(), refusal, error);
  }
}
