package dev.warden.policy.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the method overrides a request carries, read the way the frameworks that honour them
 * read a request: the `X-HTTP-Method-Override`, `X-HTTP-Method` and `X-Method-Override` headers
 * (also spelled with `_`, which CGI and Rack servers file under the same variable), and a
 * `_method` query parameter or body field, named as PHP names variables (leading spaces dropped,
 * spaces and dots turned into `_`: ` _method` and `.method` are `_method` to Symfony and
 * Laravel). Bodies are read as forms (also without a media type, as Rack does), as multipart
 * forms and as JSON (Laravel reads `_method` from a JSON body too); a body that may hold one but
 * cannot be read says so.
 */
final class MethodOverrides {
  /** The names Warden looks for, in the spelling Envoy forwards (lower case). */
  static final List<String> HEADERS = List.of("x-http-method-override", "x-http-method", "x-method-override",
      "x_http_method_override", "x_http_method", "x_method_override");
  static final String PARAMETER = "_method";

  private static final Pattern PART_NAME =
      Pattern.compile("(?i)content-disposition\\s*:[^\\r\\n]*?\\bname\\*?\\s*=\\s*(\"([^\"]*)\"|([^;\\s]+))");

  private MethodOverrides() {}

  /** The override headers present, in {@link #HEADERS} order, or null when there is none. */
  static List<String> headers(Map<String, String> requestHeaders) {
    List<String> found = null;
    for (String h : HEADERS) {
      if (requestHeaders.containsKey(h)) {
        if (found == null) {
          found = new ArrayList<>(2);
        }
        found.add(h);
      }
    }
    return found;
  }

  /** Whether a decoded query or form name is `_method` to PHP, Rails, Express and ASP.NET Core. */
  static boolean isOverrideName(String name) {
    if (name.equals(PARAMETER)) {
      return true;
    }
    if (name.length() < PARAMETER.length()) {
      return false;
    }
    int start = 0;
    while (start < name.length() && name.charAt(start) == ' ') {
      start++;
    }
    String php = name.substring(start).replace(' ', '_').replace('.', '_');
    return php.equals(PARAMETER);
  }

  /** What a body says about `_method`: nothing (null), its values, or that it cannot be read. */
  record InBody(List<String> values) {
    static final InBody UNREADABLE = new InBody(null);

    boolean readable() {
      return values != null;
    }
  }

  static InBody body(RequestBody body) {
    if (body == null) {
      return null;
    }
    String type = body.mediaType();
    if (body.isForm() || type.isEmpty()) {
      return form(body);
    }
    if (type.startsWith("multipart/")) {
      return multipart(body);
    }
    if (body.isJson()) {
      return json(body);
    }
    return null;
  }

  /**
   * A form, or a body without a media type, which Rack reads as a form. Decoded strictly, like a
   * query: a form Warden cannot read, or one Envoy cut short, may hold the field after all.
   */
  private static InBody form(RequestBody body) {
    QueryStrings.Parsed form = body.form();
    if (!form.ok()) {
      return InBody.UNREADABLE;
    }
    List<String> values = null;
    for (Map.Entry<String, List<String>> e : form.values().entrySet()) {
      if (isOverrideName(e.getKey())) {
        values = values == null ? new ArrayList<>(e.getValue()) : addAll(values, e.getValue());
      }
    }
    return values == null ? null : new InBody(values);
  }

  /** The names of a multipart body's parts, quoted or not: a value is not read. */
  private static InBody multipart(RequestBody body) {
    if (!body.containsAscii("method", true)) {
      return null;
    }
    Matcher m = PART_NAME.matcher(body.text());
    while (m.find()) {
      String name = m.group(2) != null ? m.group(2) : m.group(3);
      if (isOverrideName(name) || name.toLowerCase(Locale.ROOT).contains("method")) {
        return InBody.UNREADABLE;
      }
    }
    return null;
  }

  /** The top-level fields of a JSON object body; parsed only when its text could name one. */
  private static InBody json(RequestBody body) {
    if (!body.containsAscii("method", false) && !body.containsAscii("\\u", false)) {
      return null;
    }
    RequestBody.Parsed parsed = body.json();
    if (!parsed.ok()) {
      return InBody.UNREADABLE;
    }
    if (!(parsed.value() instanceof Map<?, ?> fields)) {
      return null;
    }
    List<String> values = null;
    for (Map.Entry<?, ?> e : fields.entrySet()) {
      if (isOverrideName((String) e.getKey())) {
        if (!(e.getValue() instanceof String s)) {
          return InBody.UNREADABLE;
        }
        values = add(values, s);
      }
    }
    return values == null ? null : new InBody(values);
  }

  static List<String> add(List<String> list, String v) {
    List<String> out = list == null ? new ArrayList<>(2) : list;
    out.add(v);
    return out;
  }

  static List<String> addAll(List<String> list, List<String> more) {
    list.addAll(more);
    return list;
  }
}
