package dev.warden.policy.check;

import com.fasterxml.jackson.databind.JsonNode;
import dev.warden.policy.runtime.Cidr;
import dev.warden.policy.runtime.IpAddress;
import dev.warden.policy.types.Type;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/** Infers the type of a data document, or validates it against a declared type. */
final class DataTypes {
  private DataTypes() {}

  /** The type of a JSON value: objects are records, arrays lists of their items' joined type. */
  static Optional<Type> infer(JsonNode n, String at, BiConsumer<String, String> report) {
    if (n == null || n.isNull() || n.isMissingNode()) {
      return Optional.of(Type.NOTHING);
    }
    if (n.isBoolean()) {
      return Optional.of(Type.BOOL);
    }
    if (n.isIntegralNumber()) {
      return Optional.of(n.canConvertToLong() ? Type.INT : Type.DECIMAL);
    }
    if (n.isNumber()) {
      return Optional.of(Type.DECIMAL);
    }
    if (n.isTextual()) {
      return Optional.of(Type.STRING);
    }
    if (n.isArray()) {
      Type element = Type.NOTHING;
      int i = 0;
      for (JsonNode item : n) {
        Optional<Type> t = infer(item, at + "/" + i, report);
        if (t.isEmpty()) {
          return t;
        }
        Optional<Type> j = i == 0 ? t : Type.join(element, t.get());
        if (j.isEmpty()) {
          report.accept(at + "/" + i, "list items must have one type: `" + t.get().display()
              + "` does not fit `" + element.display() + "`");
          return Optional.empty();
        }
        element = j.get();
        i++;
      }
      return Optional.of(new Type.ListType(element));
    }
    Map<String, Type> fields = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      Optional<Type> t = infer(e.getValue(), at + "/" + e.getKey(), report);
      if (t.isEmpty()) {
        return t;
      }
      fields.put(e.getKey(), t.get() == Type.NOTHING ? Type.optional(Type.NOTHING) : t.get());
    }
    return Optional.of(new Type.RecordType(fields));
  }

  /** Reports every place where {@code n} does not fit {@code t}. */
  static void validate(JsonNode n, Type t, String at, BiConsumer<String, String> report) {
    String where = at.isEmpty() ? "/" : at;
    if (n == null || n.isNull() || n.isMissingNode()) {
      if (!(t instanceof Type.Optional)) {
        report.accept(where, "value is missing or null, expected `" + t.display() + "`");
      }
      return;
    }
    Type base = Type.unwrap(t);
    boolean ok = switch (base instanceof Type.Prim p ? p : Type.NOTHING) {
      case BOOL -> n.isBoolean();
      case INT -> n.isIntegralNumber() && n.canConvertToLong();
      case DECIMAL -> n.isNumber();
      case STRING -> n.isTextual();
      case DURATION -> n.isTextual() && parseDuration(n.asText()) != null;
      case TIME -> n.isTextual() && parseTime(n.asText()) != null;
      case IP -> n.isTextual() && IpAddress.parse(n.asText()) != null;
      case CIDR -> n.isTextual() && Cidr.parse(n.asText()) != null;
      case NOTHING -> true;
    };
    if (base instanceof Type.Prim) {
      if (!ok) {
        report.accept(where, "found " + describe(n) + ", expected `" + base.display() + "`");
      }
      return;
    }
    if (base instanceof Type.ListType || base instanceof Type.SetType) {
      Type element = base instanceof Type.ListType l ? l.element() : ((Type.SetType) base).element();
      if (!n.isArray()) {
        report.accept(where, "found " + describe(n) + ", expected `" + base.display() + "`");
        return;
      }
      int i = 0;
      for (JsonNode item : n) {
        validate(item, element, at + "/" + i++, report);
      }
      return;
    }
    if (!n.isObject()) {
      report.accept(where, "found " + describe(n) + ", expected `" + base.display() + "`");
      return;
    }
    if (base instanceof Type.MapType m) {
      n.fields().forEachRemaining(e -> validate(e.getValue(), m.value(), at + "/" + e.getKey(), report));
      return;
    }
    Type.RecordType r = (Type.RecordType) base;
    r.fields().forEach((name, ft) -> validate(n.get(name), ft, at + "/" + name, report));
    n.fieldNames().forEachRemaining(name -> {
      if (!r.fields().containsKey(name)) {
        report.accept(at + "/" + name, "field `" + name + "` is not declared in `" + r.display() + "`");
      }
    });
  }

  private static String describe(JsonNode n) {
    if (n.isTextual()) {
      String s = n.asText();
      return "`\"" + (s.length() > 30 ? s.substring(0, 30) + "…" : s) + "\"`";
    }
    if (n.isObject()) {
      return "an object";
    }
    if (n.isArray()) {
      return "a list";
    }
    return "`" + n + "`";
  }

  static Duration parseDuration(String s) {
    try {
      return Duration.parse(s.startsWith("P") ? s : "PT" + s.toUpperCase());
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  static Instant parseTime(String s) {
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
