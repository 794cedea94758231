package dev.warden.policy.schema;

import dev.warden.policy.runtime.Violation;
import dev.warden.policy.runtime.IpAddress;
import dev.warden.policy.types.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A checked shape of a `schema` block: a type with the constraints a request value must meet.
 * Immutable and thread-safe. A shape validates a parsed JSON value ({@link #validate}: Map, List,
 * String, Long, BigInteger, BigDecimal, Boolean, null, as {@code RequestBody} parses them) or the
 * text of a query parameter, header or form field ({@link #validateText}), adding a
 * {@link Violation} per problem, never a value. What it accepts, the value reader of
 * `request.body` reads as the {@link #type} it gives the policy: the two agree by construction
 * (`int` accepts an integral JSON number, `time` what {@link Instant#parse} reads).
 */
public sealed interface Shape {
  /** The type a policy sees for a value of this shape. */
  Type type();

  /** Checks a JSON value at {@code path}. */
  void validate(Object value, FieldPath path, Check check);

  /** Checks the text of a query parameter, a header or a form field at {@code path}. */
  default void validateText(String text, FieldPath path, Check check) {
    check.add(path, "type");
  }

  /** Whether the text of a query parameter or header can hold this shape (scalars, and lists of them). */
  default boolean textual() {
    return false;
  }

  /** What a validation found, and whether undeclared fields pass. Not thread-safe: one per request. */
  final class Check {
    private final List<Violation> violations = new ArrayList<>();
    private final boolean allowAdditional;
    private final int max;

    /** @param max the most violations kept; more are not looked for */
    public Check(boolean allowAdditional, int max) {
      this.allowAdditional = allowAdditional;
      this.max = max;
    }

    public void add(FieldPath path, String problem) {
      if (violations.size() < max) {
        violations.add(new Violation(path.toString(), problem));
      }
    }

    /** A violation found elsewhere (a JSON Schema validator), as it is. */
    public void add(Violation v) {
      if (violations.size() < max) {
        violations.add(v);
      }
    }

    public boolean full() {
      return violations.size() >= max;
    }

    public boolean allowAdditional() {
      return allowAdditional;
    }

    public List<Violation> violations() {
      return List.copyOf(violations);
    }
  }

  /** `bool`. */
  record Bool() implements Shape {
    @Override
    public Type type() {
      return Type.BOOL;
    }

    @Override
    public void validate(Object v, FieldPath path, Check c) {
      if (!(v instanceof Boolean)) {
        c.add(path, "type");
      }
    }

    @Override
    public void validateText(String text, FieldPath path, Check c) {
      if (!text.equals("true") && !text.equals("false")) {
        c.add(path, "type");
      }
    }

    @Override
    public boolean textual() {
      return true;
    }
  }

  /** `int`, `int(min..max)`; either bound null when open. */
  record Int(Long min, Long max) implements Shape {
    private static final Pattern TEXT = Pattern.compile("-?[0-9]{1,19}");

    @Override
    public Type type() {
      return Type.INT;
    }

    @Override
    public void validate(Object v, FieldPath path, Check c) {
      Long n = integral(v);
      if (n == null) {
        // A whole number too large for 64 bits is out of range; anything else is not an integer.
        c.add(path, wholeBeyondLong(v) ? "range" : "type");
      } else if (min != null && n < min || max != null && n > max) {
        c.add(path, "range");
      }
    }

    @Override
    public void validateText(String text, FieldPath path, Check c) {
      if (!TEXT.matcher(text).matches()) {
        c.add(path, "type");
        return;
      }
      try {
        validate(Long.parseLong(text), path, c);
      } catch (NumberFormatException e) {
        c.add(path, "range");
      }
    }

    @Override
    public boolean textual() {
      return true;
    }

    static boolean wholeBeyondLong(Object v) {
      if (v instanceof BigInteger) {
        return true;
      }
      return v instanceof BigDecimal d && (d.signum() == 0 || d.stripTrailingZeros().scale() <= 0);
    }

    /** The value as a long when it is an integral JSON number that fits one, else null. */
    static Long integral(Object v) {
      if (v instanceof Long l) {
        return l;
      }
      try {
        if (v instanceof BigInteger i) {
          return i.longValueExact();
        }
        if (v instanceof BigDecimal d) {
          return d.longValueExact();
        }
      } catch (ArithmeticException e) {
        return null;
      }
      return null;
    }
  }

  /** `decimal`, `decimal(min..max)`. */
  record Dec(BigDecimal min, BigDecimal max) implements Shape {
    private static final Pattern TEXT = Pattern.compile("-?(0|[1-9][0-9]{0,39})(\\.[0-9]{1,40})?");

    @Override
    public Type type() {
      return Type.DECIMAL;
    }

    @Override
    public void validate(Object v, FieldPath path, Check c) {
      BigDecimal d = v instanceof BigDecimal b ? b : v instanceof Long l ? BigDecimal.valueOf(l)
          : v instanceof BigInteger i ? new BigDecimal(i) : null;
      if (d == null) {
        c.add(path, "type");
      } else if (min != null && d.compareTo(min) < 0 || max != null && d.compareTo(max) > 0) {
        c.add(path, "range");
      }
    }

    @Override
    public void validateText(String text, FieldPath path, Check c) {
      if (!TEXT.matcher(text).matches()) {
        c.add(path, "type");
      } else {
        validate(new BigDecimal(text), path, c);
      }
    }

    @Override
    public boolean textual() {
      return true;
    }
  }

  /** The string formats a shape can name. */
  enum Format {
    UUID, EMAIL, TIME, DATE, IP;

    private static final Pattern UUID_TEXT =
        Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    // Deliberately plain: one `@`, no blanks or controls, a dotted domain of letters, digits and `-`.
    private static final Pattern EMAIL_TEXT =
        Pattern.compile("[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
            + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+");

    boolean holds(String s) {
      return switch (this) {
        case UUID -> UUID_TEXT.matcher(s).matches();
        case EMAIL -> s.length() <= 254 && EMAIL_TEXT.matcher(s).matches();
        case TIME -> {
          try {
            Instant.parse(s);
            yield true;
          } catch (DateTimeParseException e) {
            yield false;
          }
        }
        case DATE -> {
          try {
            yield s.length() == 10 && LocalDate.parse(s) != null;
          } catch (DateTimeParseException e) {
            yield false;
          }
        }
        case IP -> IpAddress.parse(s) != null;
      };
    }
  }

  /**
   * `string`, `string(min..max)` (length in code points), `string matches "re"` (RE2, the whole
   * string; with {@code search}, anywhere in it, as JSON Schema's `pattern`), or a format (`uuid`, `email`, `time`, `date`, `ip`); what is not set is null.
   */
  record Str(Integer min, Integer max, com.google.re2j.Pattern pattern, Format format, boolean search)
      implements Shape {
    /** A pattern that must match the whole string (Warden's `matches`). */
    public Str(Integer min, Integer max, com.google.re2j.Pattern pattern, Format format) {
      this(min, max, pattern, format, false);
    }

    @Override
    public Type type() {
      return format == Format.TIME ? Type.TIME : format == Format.IP ? Type.IP : Type.STRING;
    }

    @Override
    public void validate(Object v, FieldPath path, Check c) {
      if (v instanceof String s) {
        validateText(s, path, c);
      } else {
        c.add(path, "type");
      }
    }

    @Override
    public void validateText(String s, FieldPath path, Check c) {
      if (min != null || max != null) {
        int n = s.codePointCount(0, s.length());
        if (min != null && n < min || max != null && n > max) {
          c.add(path, "length");
          return;
        }
      }
      if (format != null && !format.holds(s)) {
        c.add(path, "format");
      } else if (pattern != null && !(search ? pattern.matcher(s).find() : pattern.matches(s))) {
        c.add(path, "pattern");
      }
    }

    @Override
    public boolean textual() {
      return true;
    }
  }

  /** `"a" | "b"`. */
  record Enum(List<String> values) implements Shape {
    public Enum {
      values = List.copyOf(values);
    }

    @Override
    public Type type() {
      return Type.STRING;
    }

    @Override
    public void validate(Object v, FieldPath path, Check c) {
      if (v instanceof String s) {
        validateText(s, path, c);
      } else {
        c.add(path, "type");
      }
    }

    @Override
    public void validateText(String s, FieldPath path, Check c) {
      if (!values.contains(s)) {
        c.add(path, "enum");
      }
    }

    @Override
    public boolean textual() {
      return true;
    }
  }

  /** `list<S>`, `list<S>(min..max)` (items). */
  record ListOf(Shape item, Integer min, Integer max) implements Shape {
    @Override
    public Type type() {
      return new Type.ListType(item.type());
    }

    @Override
    public void validate(Object v, FieldPath path, Check c) {
      if (!(v instanceof List<?> list)) {
        c.add(path, "type");
        return;
      }
      if (min != null && list.size() < min || max != null && list.size() > max) {
        c.add(path, "items");
        return;
      }
      for (int i = 0; i < list.size() && !c.full(); i++) {
        item.validate(list.get(i), path.at(i), c);
      }
    }

    /** The values of a repeated query parameter or form field. */
    public void validateTexts(List<String> texts, FieldPath path, Check c) {
      if (min != null && texts.size() < min || max != null && texts.size() > max) {
        c.add(path, "items");
        return;
      }
      for (int i = 0; i < texts.size() && !c.full(); i++) {
        item.validateText(texts.get(i), path.at(i), c);
      }
    }

    @Override
    public boolean textual() {
      return item.textual() && !(item instanceof ListOf);
    }
  }

  /** `map<string, S>`: an object with any keys. */
  record MapOf(Shape value) implements Shape {
    @Override
    public Type type() {
      return new Type.MapType(value.type());
    }

    @Override
    public void validate(Object v, FieldPath path, Check c) {
      if (!(v instanceof Map<?, ?> m)) {
        c.add(path, "type");
        return;
      }
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (c.full()) {
          return;
        }
        value.validate(e.getValue(), path.field((String) e.getKey()), c);
      }
    }
  }

  /** A record's field: its shape, and whether it may be absent. */
  record Field(Shape shape, boolean optional) {}

  /** `{ f: S, g?: S }`: strict unless the check allows additional fields. */
  record Obj(Map<String, Field> fields) implements Shape {
    public Obj {
      fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    @Override
    public Type type() {
      Map<String, Type> types = new LinkedHashMap<>();
      fields.forEach((name, f) -> types.put(name, f.optional() ? Type.optional(f.shape().type()) : f.shape().type()));
      return Type.record(types);
    }

    @Override
    public void validate(Object v, FieldPath path, Check c) {
      if (!(v instanceof Map<?, ?> m)) {
        c.add(path, "type");
        return;
      }
      for (Map.Entry<String, Field> e : fields.entrySet()) {
        if (c.full()) {
          return;
        }
        Object value = m.get(e.getKey());
        if (value == null && !m.containsKey(e.getKey())) {
          if (!e.getValue().optional()) {
            c.add(path.field(e.getKey()), "required");
          }
        } else {
          e.getValue().shape().validate(value, path.field(e.getKey()), c);
        }
      }
      if (!c.allowAdditional()) {
        for (Object key : m.keySet()) {
          if (!fields.containsKey(key) && !c.full()) {
            c.add(path.field((String) key), "unknown");
          }
        }
      }
    }
  }
}
