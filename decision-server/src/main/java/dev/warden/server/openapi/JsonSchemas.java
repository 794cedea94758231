package dev.warden.server.openapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A request body's OpenAPI schema as a self-contained JSON Schema 2020-12 document: every
 * `#/components/schemas/NAME` it reaches, directly or through other schemas, is copied under
 * `$defs/NAME` (in name order) and its references rewritten to `#/$defs/NAME`, so the file needs
 * nothing else. OpenAPI 3.0's dialect is translated: `nullable: true` adds `"null"` to the type,
 * boolean `exclusiveMinimum`/`exclusiveMaximum` become the numeric 2020-12 keywords, `example`
 * becomes `examples`; OpenAPI-only keywords (`discriminator`, `xml`, `externalDocs`, `x-…`) are
 * dropped. Only schema positions are rewritten: a property named `nullable` stays a property.
 */
final class JsonSchemas {
  static final String DIALECT = "https://json-schema.org/draft/2020-12/schema";
  private static final String COMPONENTS = "#/components/schemas/";
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Set<String> SCHEMA_MAPS = Set.of("properties", "patternProperties", "$defs", "definitions",
      "dependentSchemas");
  private static final Set<String> SCHEMA_LISTS = Set.of("allOf", "anyOf", "oneOf", "prefixItems");
  private static final Set<String> SCHEMA_ONE = Set.of("items", "additionalProperties", "not", "if", "then", "else",
      "contains", "propertyNames", "unevaluatedProperties", "unevaluatedItems", "additionalItems", "contentSchema");
  private static final Set<String> DROPPED = Set.of("discriminator", "xml", "externalDocs");

  private final JsonNode root;
  private final boolean v30;
  private final String where;

  private JsonSchemas(JsonNode root, boolean v30, String where) {
    this.root = root;
    this.v30 = v30;
    this.where = where;
  }

  /**
   * The self-contained 2020-12 document for {@code schema}, a schema node of the OpenAPI
   * document {@code root}; {@code where} names it in messages.
   */
  static ObjectNode export(JsonNode root, JsonNode schema, boolean v30, String where) throws OpenApiException {
    JsonSchemas x = new JsonSchemas(root, v30, where);
    Set<String> needed = new LinkedHashSet<>();
    JsonNode top = x.convert(schema, needed, 0);
    ObjectNode doc = NODES.objectNode();
    doc.put("$schema", DIALECT);
    if (top.isBoolean()) {
      doc.set("allOf", NODES.arrayNode().add(top));
    } else {
      top.fields().forEachRemaining(f -> {
        if (!f.getKey().equals("$schema")) {
          doc.set(f.getKey(), f.getValue());
        }
      });
    }
    Map<String, JsonNode> defs = new TreeMap<>();
    Deque<String> todo = new ArrayDeque<>(needed);
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (defs.containsKey(name)) {
        continue;
      }
      JsonNode target = root.path("components").path("schemas").path(name);
      if (target.isMissingNode()) {
        throw new OpenApiException(where + ": `$ref: " + COMPONENTS + name + "` names no schema in #/components/schemas");
      }
      Set<String> more = new LinkedHashSet<>();
      defs.put(name, x.convert(target, more, 0));
      todo.addAll(more);
    }
    if (!defs.isEmpty()) {
      ObjectNode d = doc.has("$defs") && doc.get("$defs").isObject() ? (ObjectNode) doc.get("$defs") : NODES.objectNode();
      defs.forEach(d::set);
      doc.set("$defs", d);
    }
    return doc;
  }

  private JsonNode convert(JsonNode node, Set<String> needed, int depth) throws OpenApiException {
    if (depth > 200) {
      throw new OpenApiException(where + ": a schema nested more than 200 levels deep");
    }
    if (!node.isObject()) {
      return node.deepCopy();
    }
    ObjectNode out = NODES.objectNode();
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      String key = f.getKey();
      JsonNode value = f.getValue();
      if (key.startsWith("x-") || DROPPED.contains(key)) {
        continue;
      }
      if (key.equals("$ref") && value.isTextual()) {
        out.put("$ref", ref(value.asText(), needed));
      } else if (SCHEMA_MAPS.contains(key) && value.isObject()) {
        ObjectNode map = NODES.objectNode();
        Iterator<Map.Entry<String, JsonNode>> entries = value.fields();
        while (entries.hasNext()) {
          Map.Entry<String, JsonNode> e = entries.next();
          map.set(e.getKey(), convert(e.getValue(), needed, depth + 1));
        }
        out.set(key, map);
      } else if (SCHEMA_LISTS.contains(key) && value.isArray()) {
        ArrayNode list = NODES.arrayNode();
        for (JsonNode item : value) {
          list.add(convert(item, needed, depth + 1));
        }
        out.set(key, list);
      } else if (SCHEMA_ONE.contains(key) && (value.isObject() || value.isBoolean())) {
        out.set(key, convert(value, needed, depth + 1));
      } else if (key.equals("items") && value.isArray()) {
        ArrayNode list = NODES.arrayNode();
        for (JsonNode item : value) {
          list.add(convert(item, needed, depth + 1));
        }
        out.set("prefixItems", list);
      } else if (v30 && key.equals("example")) {
        out.set("examples", NODES.arrayNode().add(value.deepCopy()));
      } else if (v30 && (key.equals("nullable") || key.equals("exclusiveMinimum") || key.equals("exclusiveMaximum"))
          && value.isBoolean()) {
        continue;
      } else {
        out.set(key, value.deepCopy());
      }
    }
    if (v30) {
      translate30(node, out);
    }
    return out;
  }

  /** OpenAPI 3.0's `nullable` and boolean exclusive bounds, in 2020-12 terms. */
  private static void translate30(JsonNode in, ObjectNode out) {
    if (in.path("nullable").asBoolean(false)) {
      JsonNode type = out.get("type");
      if (type != null && type.isTextual() && !type.asText().equals("null")) {
        out.set("type", NODES.arrayNode().add(type.asText()).add("null"));
      } else if (type != null && type.isArray()) {
        List<String> types = new ArrayList<>();
        type.forEach(t -> types.add(t.asText()));
        if (!types.contains("null")) {
          ((ArrayNode) type).add("null");
        }
      }
      if (out.has("enum") && out.get("enum").isArray()) {
        boolean hasNull = false;
        for (JsonNode v : out.get("enum")) {
          hasNull |= v.isNull();
        }
        if (!hasNull) {
          ((ArrayNode) out.get("enum")).addNull();
        }
      }
    }
    if (in.path("exclusiveMinimum").asBoolean(false) && out.has("minimum")) {
      out.set("exclusiveMinimum", out.remove("minimum"));
    }
    if (in.path("exclusiveMaximum").asBoolean(false) && out.has("maximum")) {
      out.set("exclusiveMaximum", out.remove("maximum"));
    }
  }

  private String ref(String ref, Set<String> needed) throws OpenApiException {
    if (ref.startsWith(COMPONENTS)) {
      String rest = ref.substring(COMPONENTS.length());
      int slash = rest.indexOf('/');
      String name = unescape(slash < 0 ? rest : rest.substring(0, slash));
      needed.add(name);
      return "#/$defs/" + rest;
    }
    if (ref.startsWith("#")) {
      throw new OpenApiException(where + ": `$ref: " + ref + "` points outside #/components/schemas; Warden's"
          + " body schemas can follow only those (move the schema there)");
    }
    throw new OpenApiException(where + ": `$ref: " + ref + "` points outside the file: warden openapi reads one"
        + " self-contained document (bundle it first, e.g. with `redocly bundle`)");
  }

  /** A JSON Pointer token as the name it escapes (`~1` is `/`, `~0` is `~`). */
  private static String unescape(String token) {
    return token.replace("~1", "/").replace("~0", "~");
  }
}
