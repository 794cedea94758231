package dev.warden.policy.schema.jsonschema;

import com.fasterxml.jackson.databind.JsonNode;
import dev.warden.policy.types.Type;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The Warden type of the bodies a JSON Schema accepts, for `request.body` in the checker. Sound
 * before complete: every body the schema accepts must read as a value of the type
 * (`compile.BodyReader`), so whatever cannot be typed that way is left out of its record, and a
 * policy reading it gets "undeclared field" from the checker.
 *
 * <p>Typed: `type` string (`format` `date-time` → time, `ipv4`/`ipv6` → ip), integer (int;
 * decimal when the schema's own bounds go beyond 64 bits), number (decimal), boolean; a string
 * (or integer, number, boolean) `enum` or `const`; `items` → list; an object with `properties` → a record whose `required` fields are plain and others optional;
 * an object with only an `additionalProperties` schema → `map<string, …>`; a `null` type
 * beside another → optional. `$ref` is followed and `allOf` merged (a field required by any part
 * is required). `anyOf`/`oneOf` keep what every branch agrees on: the same scalar, or the record
 * fields every branch types alike. Left out: a schema accepting anything, objects without
 * properties, tuples, mixed types, `patternProperties`-only objects, recursive references.
 */
final class BodyTypes {
  private enum Kind { ANY, NONE, PRIM, LIST, OBJECT }

  /** What a schema says about the shape of a value, before it becomes a Type. */
  private static final class Shape {
    final Kind kind;
    Type.Prim prim;
    Shape element;
    final Map<String, Shape> props = new LinkedHashMap<>();
    final Set<String> required = new LinkedHashSet<>();
    Shape values;
    boolean nullable;
    /** For ANY: the type a string has here (a `format` without a `type`: time or ip), or null. */
    Type.Prim asString;

    Shape(Kind kind) {
      this.kind = kind;
    }

    static Shape any() {
      Shape s = new Shape(Kind.ANY);
      s.nullable = true;
      return s;
    }

    static Shape none() {
      return new Shape(Kind.NONE);
    }

    static Shape prim(Type.Prim p) {
      Shape s = new Shape(Kind.PRIM);
      s.prim = p;
      return s;
    }
  }

  private final SchemaDocuments docs;
  private final Set<String> inProgress = new HashSet<>();

  private BodyTypes(SchemaDocuments docs) {
    this.docs = docs;
  }

  /** The type of the root schema's bodies; an empty record when nothing of it can be typed. */
  static Type of(SchemaDocuments docs) {
    BodyTypes types = new BodyTypes(docs);
    Type t = types.toType(types.shape(docs.root, "", docs.original.get(docs.root)));
    return t == null ? Type.record(Map.of()) : t;
  }

  private Shape shape(String file, String pointer, JsonNode node) {
    if (node == null || !node.isObject()) {
      return node != null && node.isBoolean() && node.asBoolean() ? Shape.any() : Shape.none();
    }
    String key = file + "#" + pointer;
    if (!inProgress.add(key)) {
      return Shape.none();
    }
    try {
      return shapeOf(file, pointer, node);
    } finally {
      inProgress.remove(key);
    }
  }

  private Shape shapeOf(String file, String pointer, JsonNode node) {
    JsonNode ref = node.get("$ref");
    Shape refShape = Shape.any();
    if (ref != null) {
      SchemaDocuments.Target target = ref.isTextual() ? docs.resolve(file, ref.asText()) : null;
      refShape = target == null ? Shape.none() : shape(target.file(), target.pointer(), target.node());
      if (docs.drafts.get(file) == SchemaDocuments.Draft.DRAFT_7) {
        return refShape;
      }
    }
    if (node.has("$dynamicRef") || node.has("$recursiveRef")) {
      return Shape.none();
    }
    Shape s = meet(own(file, pointer, node), refShape);
    JsonNode allOf = node.get("allOf");
    if (allOf != null && allOf.isArray()) {
      for (int i = 0; i < allOf.size(); i++) {
        s = meet(s, shape(file, pointer + "/allOf/" + i, allOf.get(i)));
      }
    }
    for (String k : List.of("anyOf", "oneOf")) {
      JsonNode branches = node.get(k);
      if (branches != null && branches.isArray() && !branches.isEmpty()) {
        Shape joined = null;
        boolean nullBranch = false;
        for (int i = 0; i < branches.size(); i++) {
          JsonNode branch = branches.get(i);
          if (branch.path("type").asText().equals("null") && branch.size() == 1) {
            nullBranch = true;
            continue;
          }
          Shape b = shape(file, pointer + "/" + k + "/" + i, branch);
          joined = joined == null ? b : join(joined, b);
        }
        if (joined != null) {
          s = meet(s, nullBranch ? withNullable(joined, true) : joined);
        }
      }
    }
    return s;
  }

  /** What the node's own keywords say (not `$ref`, `allOf`, `anyOf`, `oneOf`). */
  private Shape own(String file, String pointer, JsonNode node) {
    Shape s = Shape.any();
    JsonNode type = node.get("type");
    if (type != null) {
      s = meet(s, ofType(file, pointer, node, type));
    } else if (node.has("properties") || node.has("required") || node.has("additionalProperties")) {
      s = meet(s, object(file, pointer, node));
    } else if (node.has("items")) {
      s = meet(s, list(file, pointer, node));
    } else {
      s.asString = switch (node.path("format").asText()) {
        case "date-time" -> Type.TIME;
        case "ipv4", "ipv6" -> Type.IP;
        default -> null;
      };
    }
    for (String k : List.of("enum", "const")) {
      JsonNode values = node.get(k);
      if (values != null) {
        s = meet(s, ofValues(values.isArray() && k.equals("enum") ? values : List.of(values)));
      }
    }
    return s;
  }

  private Shape ofType(String file, String pointer, JsonNode node, JsonNode type) {
    Shape s = null;
    boolean nullable = false;
    for (JsonNode t : type.isArray() ? type : List.of(type)) {
      String name = t.asText();
      if (name.equals("null")) {
        nullable = true;
        continue;
      }
      if (s != null) {
        return Shape.none();
      }
      s = switch (name) {
        case "string" -> Shape.prim(switch (node.path("format").asText()) {
          case "date-time" -> Type.TIME;
          case "ipv4", "ipv6" -> Type.IP;
          default -> Type.STRING;
        });
        case "integer" -> Shape.prim(withinLong(node) ? Type.INT : Type.DECIMAL);
        case "number" -> Shape.prim(Type.DECIMAL);
        case "boolean" -> Shape.prim(Type.BOOL);
        case "array" -> list(file, pointer, node);
        case "object" -> object(file, pointer, node);
        default -> Shape.none();
      };
    }
    if (s == null) {
      return Shape.none();
    }
    s.nullable = nullable;
    return s;
  }

  /** Whether the integer's bounds, where the schema gives them, lie within 64 bits (absent ones are added). */
  private static boolean withinLong(JsonNode node) {
    for (String k : List.of("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")) {
      JsonNode bound = node.get(k);
      if (bound != null && bound.isNumber() && !(bound.isIntegralNumber() ? bound.canConvertToLong()
          : bound.decimalValue().abs().compareTo(java.math.BigDecimal.valueOf(Long.MAX_VALUE)) < 0)) {
        return false;
      }
    }
    return true;
  }

  private Shape list(String file, String pointer, JsonNode node) {
    Shape s = new Shape(Kind.LIST);
    JsonNode items = node.get("items");
    s.element = items != null && items.isObject() && !node.has("prefixItems")
        ? shape(file, pointer + "/items", items) : Shape.none();
    return s;
  }

  private Shape object(String file, String pointer, JsonNode node) {
    Shape s = new Shape(Kind.OBJECT);
    JsonNode props = node.get("properties");
    if (props != null && props.isObject()) {
      props.fields().forEachRemaining(e -> s.props.put(e.getKey(),
          shape(file, pointer + "/properties/" + SchemaDocuments.escape(e.getKey()), e.getValue())));
    }
    JsonNode required = node.get("required");
    if (required != null && required.isArray()) {
      required.forEach(r -> s.required.add(r.asText()));
    }
    JsonNode additional = node.get("additionalProperties");
    if (additional != null && additional.isObject()) {
      s.values = shape(file, pointer + "/additionalProperties", additional);
    }
    return s;
  }

  private static Shape ofValues(Iterable<JsonNode> values) {
    Type.Prim prim = null;
    boolean nullable = false;
    for (JsonNode v : values) {
      Type.Prim p;
      if (v.isNull()) {
        nullable = true;
        continue;
      } else if (v.isTextual()) {
        p = Type.STRING;
      } else if (v.isIntegralNumber() && v.canConvertToLong()) {
        p = Type.INT;
      } else if (v.isNumber()) {
        p = Type.DECIMAL;
      } else if (v.isBoolean()) {
        p = Type.BOOL;
      } else {
        return Shape.none();
      }
      if (prim == null || prim == p) {
        prim = p;
      } else if (Type.isNumeric(prim) && Type.isNumeric(p)) {
        prim = Type.DECIMAL;
      } else {
        return Shape.none();
      }
    }
    if (prim == null) {
      return Shape.none();
    }
    Shape s = Shape.prim(prim);
    s.nullable = nullable;
    return s;
  }

  /** Both apply (allOf, or a node and its `$ref`). */
  private static Shape meet(Shape a, Shape b) {
    if (a.kind == Kind.ANY && b.kind == Kind.ANY) {
      Shape s = Shape.any();
      s.asString = a.asString != null ? a.asString : b.asString;
      return s;
    }
    if (a.kind == Kind.ANY || b.kind == Kind.ANY) {
      Shape any = a.kind == Kind.ANY ? a : b;
      Shape other = a.kind == Kind.ANY ? b : a;
      if (any.asString != null && other.kind == Kind.PRIM && other.prim == Type.STRING) {
        return withNullable(Shape.prim(any.asString), other.nullable);
      }
      return other;
    }
    if (a.kind == Kind.NONE || b.kind == Kind.NONE) {
      return Shape.none();
    }
    boolean nullable = a.nullable && b.nullable;
    if (a.kind == Kind.PRIM && b.kind == Kind.PRIM) {
      Type.Prim p = a.prim == b.prim ? a.prim : narrower(a.prim, b.prim);
      if (p == null) {
        return Shape.none();
      }
      return withNullable(Shape.prim(p), nullable);
    }
    if (a.kind == Kind.LIST && b.kind == Kind.LIST) {
      Shape s = new Shape(Kind.LIST);
      s.element = meet(a.element, b.element);
      return withNullable(s, nullable);
    }
    if (a.kind == Kind.OBJECT && b.kind == Kind.OBJECT) {
      Shape s = new Shape(Kind.OBJECT);
      s.props.putAll(a.props);
      b.props.forEach((k, v) -> s.props.merge(k, v, BodyTypes::meet));
      s.required.addAll(a.required);
      s.required.addAll(b.required);
      s.values = a.values == null ? b.values : b.values == null ? a.values : meet(a.values, b.values);
      return withNullable(s, nullable);
    }
    return Shape.none();
  }

  private static Type.Prim narrower(Type.Prim a, Type.Prim b) {
    if (a == Type.DECIMAL && b == Type.INT || a == Type.INT && b == Type.DECIMAL) {
      return Type.INT;
    }
    if (a == Type.STRING && (b == Type.TIME || b == Type.IP)) {
      return b;
    }
    if (b == Type.STRING && (a == Type.TIME || a == Type.IP)) {
      return a;
    }
    return null;
  }

  private static Shape withNullable(Shape s, boolean nullable) {
    s.nullable = nullable;
    return s;
  }

  /** Either applies (anyOf, oneOf): what both agree on. */
  private Shape join(Shape a, Shape b) {
    if (a.kind == Kind.NONE || b.kind == Kind.NONE || a.kind == Kind.ANY || b.kind == Kind.ANY) {
      return Shape.none();
    }
    boolean nullable = a.nullable || b.nullable;
    if (a.kind == Kind.OBJECT && b.kind == Kind.OBJECT) {
      Shape s = new Shape(Kind.OBJECT);
      for (Map.Entry<String, Shape> e : a.props.entrySet()) {
        Shape other = b.props.get(e.getKey());
        if (other != null && Objects.equals(toType(e.getValue()), toType(other)) && toType(other) != null) {
          s.props.put(e.getKey(), e.getValue());
          if (a.required.contains(e.getKey()) && b.required.contains(e.getKey())) {
            s.required.add(e.getKey());
          }
        }
      }
      return withNullable(s, nullable);
    }
    Type ta = toType(withNullable(copy(a), false));
    Type tb = toType(withNullable(copy(b), false));
    if (ta == null || !ta.equals(tb)) {
      return Shape.none();
    }
    return withNullable(a, nullable);
  }

  private static Shape copy(Shape s) {
    Shape c = new Shape(s.kind);
    c.prim = s.prim;
    c.element = s.element;
    c.props.putAll(s.props);
    c.required.addAll(s.required);
    c.values = s.values;
    c.nullable = s.nullable;
    return c;
  }

  /** The Warden type, or null when the shape cannot be typed soundly. */
  private Type toType(Shape s) {
    Type t = switch (s.kind) {
      case ANY, NONE -> null;
      case PRIM -> s.prim;
      case LIST -> {
        Type element = toType(s.element);
        yield element == null ? null : new Type.ListType(element);
      }
      case OBJECT -> {
        if (s.props.isEmpty()) {
          Type values = s.values == null ? null : toType(s.values);
          yield values == null ? null : new Type.MapType(values);
        }
        Map<String, Type> fields = new LinkedHashMap<>();
        s.props.forEach((name, field) -> {
          Type ft = toType(field);
          if (ft != null) {
            fields.put(name, s.required.contains(name) ? ft : Type.optional(ft));
          }
        });
        yield Type.record(fields);
      }
    };
    return t == null || !s.nullable ? t : Type.optional(t);
  }
}
