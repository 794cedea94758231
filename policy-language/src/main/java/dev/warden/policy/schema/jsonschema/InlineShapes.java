package dev.warden.policy.schema.jsonschema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.warden.policy.schema.Shape;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The fast path of a JSON Schema file: a schema written only with keywords Warden's inline shapes
 * mean the same way becomes one ({@link Shape}), which validates a body without a tree and in a
 * third of the time. The subset: `type` (one of object, array, string, integer, number, boolean)
 * with `properties` and `required` (every required name declared), `items` (one schema),
 * `minItems`/`maxItems`, `minLength`/`maxLength`, `pattern` (searched, as JSON Schema does),
 * `enum` of strings, `format` `uuid` and `date`, `minimum`/`maximum` (whole for integers), `$ref`
 * alone, and annotations. Anything else (composition, `additionalProperties`, other formats,
 * exclusive bounds, type lists, `$id`…) keeps the schema on the validator: {@link #of} answers null.
 * `JsonSchemaFastPathProperties` holds that both paths accept exactly the same bodies.
 */
final class InlineShapes {
  private static final Set<String> ANNOTATIONS = Set.of("$schema", "title", "description", "$comment", "examples",
      "default", "deprecated", "readOnly", "writeOnly", "$defs", "definitions");
  private static final Map<String, Set<String>> KEYWORDS = Map.of(
      "object", Set.of("properties", "required"),
      "array", Set.of("items", "minItems", "maxItems"),
      "string", Set.of("minLength", "maxLength", "pattern", "format", "enum"),
      "integer", Set.of("minimum", "maximum"),
      "number", Set.of("minimum", "maximum"),
      "boolean", Set.of());
  private static final int MAX_DEPTH = 32;

  private static final class Unsupported extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final Unsupported INSTANCE = new Unsupported();

    private Unsupported() {
      super(null, null, false, false);
    }
  }

  private InlineShapes() {}

  /** The root schema as a shape, or null when it uses what shapes cannot say the same way. */
  static Shape of(SchemaDocuments docs) {
    try {
      return convert(docs, docs.root, docs.original.get(docs.root), 0, new HashSet<>());
    } catch (Unsupported | com.google.re2j.PatternSyntaxException e) {
      return null;
    }
  }

  private static Shape convert(SchemaDocuments docs, String file, JsonNode n, int depth, Set<String> refsOnPath) {
    if (depth > MAX_DEPTH || !(n instanceof ObjectNode o)) {
      throw Unsupported.INSTANCE;
    }
    if (o.has("$ref")) {
      for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (!k.equals("$ref") && !ANNOTATIONS.contains(k)) {
          throw Unsupported.INSTANCE;
        }
      }
      SchemaDocuments.Target t = o.get("$ref").isTextual() ? docs.resolve(file, o.get("$ref").asText()) : null;
      String key = t == null ? null : t.file() + "#" + t.pointer();
      if (t == null || !refsOnPath.add(key)) {
        throw Unsupported.INSTANCE; // unresolved, or recursive: the validator handles both
      }
      Shape s = convert(docs, t.file(), t.node(), depth + 1, refsOnPath);
      refsOnPath.remove(key);
      return s;
    }
    JsonNode typeNode = o.get("type");
    if (typeNode == null || !typeNode.isTextual() || !KEYWORDS.containsKey(typeNode.asText())) {
      throw Unsupported.INSTANCE;
    }
    String type = typeNode.asText();
    Set<String> allowed = KEYWORDS.get(type);
    for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!k.equals("type") && !ANNOTATIONS.contains(k) && !allowed.contains(k)) {
        throw Unsupported.INSTANCE;
      }
    }
    return switch (type) {
      case "object" -> object(docs, file, o, depth, refsOnPath);
      case "array" -> {
        JsonNode items = o.get("items");
        if (items == null) {
          throw Unsupported.INSTANCE;
        }
        yield new Shape.ListOf(convert(docs, file, items, depth + 1, refsOnPath), count(o, "minItems"),
            count(o, "maxItems"));
      }
      case "string" -> string(o);
      case "integer" -> new Shape.Int(whole(o, "minimum"), whole(o, "maximum"));
      case "number" -> new Shape.Dec(decimal(o, "minimum"), decimal(o, "maximum"));
      default -> new Shape.Bool();
    };
  }

  private static Shape object(SchemaDocuments docs, String file, ObjectNode o, int depth, Set<String> refsOnPath) {
    Set<String> required = new HashSet<>();
    if (o.has("required")) {
      if (!o.get("required").isArray()) {
        throw Unsupported.INSTANCE;
      }
      o.get("required").forEach(r -> {
        if (!r.isTextual()) {
          throw Unsupported.INSTANCE;
        }
        required.add(r.asText());
      });
    }
    Map<String, Shape.Field> fields = new LinkedHashMap<>();
    JsonNode properties = o.get("properties");
    if (properties != null) {
      if (!properties.isObject()) {
        throw Unsupported.INSTANCE;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        fields.put(e.getKey(), new Shape.Field(convert(docs, file, e.getValue(), depth + 1, refsOnPath),
            !required.contains(e.getKey())));
      }
    }
    if (!fields.keySet().containsAll(required)) {
      throw Unsupported.INSTANCE; // a required name with no schema of its own: any value, which shapes do not say
    }
    return new Shape.Obj(fields);
  }

  private static Shape string(ObjectNode o) {
    if (o.has("enum")) {
      if (o.size() != countAnnotated(o, "type", "enum") || !o.get("enum").isArray() || o.get("enum").isEmpty()) {
        throw Unsupported.INSTANCE;
      }
      List<String> values = new ArrayList<>();
      for (JsonNode v : o.get("enum")) {
        if (!v.isTextual() || values.contains(v.asText())) {
          throw Unsupported.INSTANCE;
        }
        values.add(v.asText());
      }
      return new Shape.Enum(values);
    }
    Shape.Format format = null;
    if (o.has("format")) {
      format = switch (o.get("format").asText()) {
        case "uuid" -> Shape.Format.UUID;
        case "date" -> Shape.Format.DATE;
        default -> throw Unsupported.INSTANCE;
      };
    }
    com.google.re2j.Pattern pattern = o.has("pattern") && o.get("pattern").isTextual()
        ? com.google.re2j.Pattern.compile(o.get("pattern").asText()) : null;
    if (o.has("pattern") && pattern == null) {
      throw Unsupported.INSTANCE;
    }
    Integer min = count(o, "minLength");
    Integer max = count(o, "maxLength");
    if (format != null && (pattern != null || min != null || max != null)) {
      throw Unsupported.INSTANCE; // one check per shape: a format beside other constraints stays on the validator
    }
    return new Shape.Str(min, max, pattern, format, pattern == null || !anchored(pattern.pattern()));
  }

  /**
   * Whether searching for the pattern anywhere is matching it whole: `^…$` with no `|`, no flag
   * group (`(?m)` would make them line anchors) and no escape before the final `$`, so nothing
   * can escape the anchors; RE2 then runs it anchored, the cheaper way.
   */
  static boolean anchored(String p) {
    return p.length() >= 2 && p.startsWith("^") && p.endsWith("$") && !p.endsWith("\\$") && p.indexOf('|') < 0
        && !p.contains("(?");
  }

  /** The keys of {@code o} that are {@code keys} or annotations. */
  private static int countAnnotated(ObjectNode o, String... keys) {
    int n = 0;
    for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (ANNOTATIONS.contains(k) || List.of(keys).contains(k)) {
        n++;
      }
    }
    return n;
  }

  private static Integer count(ObjectNode o, String key) {
    JsonNode v = o.get(key);
    if (v == null) {
      return null;
    }
    if (!v.canConvertToExactIntegral() || !v.canConvertToInt() || v.asInt() < 0) {
      throw Unsupported.INSTANCE;
    }
    return v.asInt();
  }

  private static Long whole(ObjectNode o, String key) {
    JsonNode v = o.get(key);
    if (v == null) {
      return null;
    }
    if (!v.isNumber() || !v.canConvertToExactIntegral() || !v.canConvertToLong()) {
      throw Unsupported.INSTANCE;
    }
    return v.asLong();
  }

  private static java.math.BigDecimal decimal(ObjectNode o, String key) {
    JsonNode v = o.get(key);
    if (v == null) {
      return null;
    }
    if (!v.isNumber()) {
      throw Unsupported.INSTANCE;
    }
    return v.decimalValue();
  }
}
