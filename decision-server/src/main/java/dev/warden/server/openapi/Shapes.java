package dev.warden.server.openapi;

import com.google.re2j.PatternSyntaxException;
import io.swagger.v3.oas.models.media.Schema;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Warden shapes (the types of `schema` blocks) for the schemas of OpenAPI parameters. A shape is
 * never looser than Warden's `string` for a value that arrives as text, and never stricter than
 * the parameter's schema: what Warden's shapes cannot say (a pattern that is not RE2, an object,
 * `oneOf`, exclusive decimal bounds) is dropped, and {@link Shape#notes()} says what was.
 */
final class Shapes {
  /** A shape's text and what the mapping had to leave out. */
  record Shape(String text, List<String> notes) {}

  private static final long MAX_INT = 999_999_999_999_999_999L;

  private Shapes() {}

  /** The shape of one parameter schema; {@code what} names the parameter in notes. */
  static Shape of(Schema<?> schema, OpenApiSpec spec, String what) {
    List<String> notes = new ArrayList<>();
    String text = shape(schema, spec, what, notes, 0);
    return new Shape(text, List.copyOf(notes));
  }

  /** Whether the schema is an object (a parameter whose properties arrive as parameters of their own). */
  static boolean isObject(Schema<?> schema, OpenApiSpec spec) {
    Schema<?> s = spec.schema(schema);
    return s != null && ("object".equals(type(s)) || s.getProperties() != null && !s.getProperties().isEmpty());
  }

  private static String shape(Schema<?> schema, OpenApiSpec spec, String what, List<String> notes, int depth) {
    Schema<?> s = spec.schema(schema);
    if (s == null) {
      notes.add(what + ": no schema, or a reference Warden cannot follow: taken as `string`");
      return "string";
    }
    String type = type(s);
    if (s.getEnum() != null && !s.getEnum().isEmpty()) {
      List<?> values = s.getEnum().stream().filter(v -> v != null).toList();
      if (!values.isEmpty() && values.stream().allMatch(v -> v instanceof String)) {
        return values.stream().map(v -> Emit.quote((String) v)).distinct().collect(Collectors.joining(" | "));
      }
    }
    if (type == null) {
      notes.add(what + ": no single type (" + describe(s) + "): taken as `string`");
      return "string";
    }
    switch (type) {
      case "boolean":
        return "bool";
      case "integer":
        return "int" + range(integerMin(s), integerMax(s));
      case "number": {
        BigDecimal min = s.getMinimum();
        BigDecimal max = s.getMaximum();
        boolean exclusive = Boolean.TRUE.equals(s.getExclusiveMinimum()) || Boolean.TRUE.equals(s.getExclusiveMaximum())
            || s.getExclusiveMinimumValue() != null || s.getExclusiveMaximumValue() != null;
        if (exclusive) {
          notes.add(what + ": exclusive bounds are not Warden shapes: left out");
          return "decimal";
        }
        return min != null && max != null
            ? "decimal(" + min.stripTrailingZeros().toPlainString() + ".." + max.stripTrailingZeros().toPlainString() + ")"
            : "decimal";
      }
      case "string":
        return string(s, what, notes);
      case "array": {
        if (depth > 0) {
          notes.add(what + ": an array of arrays: taken as `string`");
          return "string";
        }
        String item = s.getItems() == null ? "string" : shape(s.getItems(), spec, what + " items", notes, depth + 1);
        Long min = s.getMinItems() == null ? null : (long) s.getMinItems();
        Long max = s.getMaxItems() == null ? null : (long) s.getMaxItems();
        return "list<" + item + ">" + range(min == null || min == 0 ? null : min, max);
      }
      default:
        notes.add(what + ": a `" + type + "` is not a parameter shape Warden has: taken as `string`");
        return "string";
    }
  }

  private static String string(Schema<?> s, String what, List<String> notes) {
    String format = s.getFormat() == null ? "" : s.getFormat();
    switch (format) {
      case "uuid":
        return "uuid";
      case "email":
        return "email";
      case "date-time":
        return "time";
      case "date":
        return "date";
      case "ipv4":
      case "ipv6":
        return "ip";
      default:
        break;
    }
    Long min = s.getMinLength() == null || s.getMinLength() == 0 ? null : (long) s.getMinLength();
    Long max = s.getMaxLength() == null ? null : (long) s.getMaxLength();
    String text = "string" + range(min, max);
    if (s.getPattern() != null) {
      String re = wholeMatch(s.getPattern());
      try {
        com.google.re2j.Pattern.compile(re);
        return text + " matches " + Emit.quote(re);
      } catch (PatternSyntaxException e) {
        notes.add(what + ": pattern `" + s.getPattern() + "` is not RE2 (" + e.getDescription() + "): left out");
      }
    }
    return text;
  }

  /**
   * A JSON Schema `pattern` (found anywhere in the value) as a regex that must match the whole
   * value, as Warden's `matches` does: an anchor the pattern has is dropped, a missing one
   * becomes `.*` (any characters, newlines included).
   */
  static String wholeMatch(String pattern) {
    String core = pattern;
    String head = "(?s:.*)";
    String tail = "(?s:.*)";
    if (core.startsWith("^")) {
      core = core.substring(1);
      head = "";
    }
    if (core.endsWith("$") && !escaped(core, core.length() - 1)) {
      core = core.substring(0, core.length() - 1);
      tail = "";
    }
    return head.isEmpty() && tail.isEmpty() ? core : head + "(?:" + core + ")" + tail;
  }

  private static boolean escaped(String s, int at) {
    int backslashes = 0;
    for (int i = at - 1; i >= 0 && s.charAt(i) == '\\'; i--) {
      backslashes++;
    }
    return backslashes % 2 == 1;
  }

  private static Long integerMin(Schema<?> s) {
    BigDecimal min = s.getMinimum();
    boolean exclusive = Boolean.TRUE.equals(s.getExclusiveMinimum());
    if (s.getExclusiveMinimumValue() != null && (min == null || s.getExclusiveMinimumValue().compareTo(min) >= 0)) {
      min = s.getExclusiveMinimumValue();
      exclusive = true;
    }
    if (min == null) {
      return null;
    }
    BigDecimal whole = min.setScale(0, RoundingMode.CEILING);
    if (exclusive && whole.compareTo(min) == 0) {
      whole = whole.add(BigDecimal.ONE);
    }
    return fits(whole) ? whole.longValueExact() : null;
  }

  private static Long integerMax(Schema<?> s) {
    BigDecimal max = s.getMaximum();
    boolean exclusive = Boolean.TRUE.equals(s.getExclusiveMaximum());
    if (s.getExclusiveMaximumValue() != null && (max == null || s.getExclusiveMaximumValue().compareTo(max) <= 0)) {
      max = s.getExclusiveMaximumValue();
      exclusive = true;
    }
    if (max == null) {
      return null;
    }
    BigDecimal whole = max.setScale(0, RoundingMode.FLOOR);
    if (exclusive && whole.compareTo(max) == 0) {
      whole = whole.subtract(BigDecimal.ONE);
    }
    return fits(whole) ? whole.longValueExact() : null;
  }

  private static boolean fits(BigDecimal v) {
    return v.abs().compareTo(BigDecimal.valueOf(MAX_INT)) <= 0;
  }

  /** `(MIN..MAX)`, `(MIN..)`, `(..MAX)`, or nothing without bounds. */
  static String range(Long min, Long max) {
    if (min == null && max == null) {
      return "";
    }
    return "(" + (min == null ? "" : min) + ".." + (max == null ? "" : max) + ")";
  }

  /** The one type of a schema: 3.0's `type`, or 3.1's `type` list less `null`; null when there is not one. */
  static String type(Schema<?> s) {
    if (s.getType() != null) {
      return s.getType();
    }
    Set<String> types = s.getTypes();
    if (types == null) {
      return null;
    }
    List<String> real = types.stream().filter(t -> !"null".equals(t)).toList();
    return real.size() == 1 ? real.get(0) : null;
  }

  private static String describe(Schema<?> s) {
    if (s.getOneOf() != null) {
      return "oneOf";
    }
    if (s.getAnyOf() != null) {
      return "anyOf";
    }
    if (s.getAllOf() != null) {
      return "allOf";
    }
    return s.getTypes() != null ? "types " + s.getTypes() : "no type";
  }
}
