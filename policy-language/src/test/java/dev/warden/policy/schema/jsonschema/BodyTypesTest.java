package dev.warden.policy.schema.jsonschema;

import static dev.warden.policy.schema.jsonschema.Schemas.compile;
import static dev.warden.policy.schema.jsonschema.Schemas.inline;
import static dev.warden.policy.schema.jsonschema.Schemas.resources;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.types.Type;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The type `request.body` gets from a JSON Schema: what a policy may read, and nothing it may not. */
class BodyTypesTest {
  private static Type field(Type record, String... path) {
    Type t = record;
    for (String name : path) {
      assertThat(Type.unwrap(t)).as("%s on the way to %s", t.display(), String.join(".", path))
          .isInstanceOf(Type.RecordType.class);
      t = ((Type.RecordType) Type.unwrap(t)).fields().get(name);
      if (t == null) {
        return null;
      }
    }
    return t;
  }

  private static Type.RecordType record(Map<String, Type> fields) {
    return Type.record(fields);
  }

  @Test
  void recordsOptionalsAndListsFromTheOrderSchema() {
    Type t = compile("schemas/orders/new-order.json", resources("orders/new-order.json", "orders/common.json")).type();
    Type item = record(Map.of("sku", Type.STRING, "qty", Type.INT));
    assertThat(field(t, "items")).isEqualTo(new Type.ListType(item));
    assertThat(field(t, "note")).isEqualTo(Type.optional(Type.STRING));
    assertThat(field(t, "currency")).isEqualTo(Type.STRING);
    assertThat(field(t, "shipBy")).isEqualTo(Type.optional(Type.TIME));
    assertThat(field(t, "boxes")).isEqualTo(Type.optional(new Type.ListType(new Type.ListType(item))));
    // allOf merged: Person's fields from common.json and vip from the second part.
    assertThat(field(t, "customer")).isEqualTo(record(Map.of("id", Type.STRING, "email", Type.STRING,
        "vip", Type.optional(Type.BOOL),
        "address", Type.optional(record(Map.of("city", Type.STRING, "zip", Type.optional(Type.STRING)))))));
    // oneOf of two shapes: only what both branches type alike (kind), never last4 or iban.
    assertThat(field(t, "payment")).isEqualTo(record(Map.of("kind", Type.STRING)));
  }

  @Test
  void draft7RootReferenceFormatsAndAllOf() {
    Type t = compile("schemas/draft7/order.json", resources("draft7/order.json", "draft7/lines.json")).type();
    assertThat(t).isEqualTo(record(Map.of(
        "id", Type.STRING,
        "placed", Type.optional(Type.STRING),
        "origin", Type.optional(Type.IP),
        "lines", new Type.ListType(record(Map.of("sku", Type.STRING, "qty", Type.INT,
            "gift", Type.optional(Type.BOOL)))),
        "shipping", Type.optional(record(Map.of("city", Type.optional(Type.STRING),
            "express", Type.optional(Type.BOOL)))))));
  }

  @Test
  void scalarsEnumsAndNullable() {
    Type t = inline("""
        {"type": "object", "required": ["n", "d", "b", "e", "nul", "c"], "properties": {
           "n": {"type": "integer"}, "d": {"type": "number"}, "b": {"type": "boolean"},
           "e": {"enum": ["x", "y"]}, "c": {"const": 3}, "nul": {"type": ["string", "null"]},
           "v6": {"type": "string", "format": "ipv6"}, "mixed": {"enum": ["x", 1]},
           "either": {"type": ["string", "integer"]},
           "maybe": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}}""").type();
    assertThat(t).isEqualTo(record(Map.of("n", Type.INT, "d", Type.DECIMAL, "b", Type.BOOL, "e", Type.STRING,
        "c", Type.INT, "nul", Type.optional(Type.STRING), "v6", Type.optional(Type.IP),
        "maybe", Type.optional(Type.INT))));
  }

  @Test
  void mapsWhereAdditionalPropertiesIsASchemaAndNothingForObjectsWithoutProperties() {
    Type t = inline("""
        {"type": "object", "properties": {
           "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
           "free": {"type": "object"}, "anything": {}, "flag": true,
           "patterned": {"type": "object", "patternProperties": {"^x": {"type": "string"}}}}}""").type();
    assertThat(t).isEqualTo(record(Map.of("counts", Type.optional(new Type.MapType(Type.INT)))));
  }

  @Test
  void allOfMergesRequiredAndNarrows() {
    Type t = inline("""
        {"allOf": [{"properties": {"a": {"type": "number"}, "s": {"type": "string"}}},
                   {"required": ["a"], "properties": {"a": {"type": "integer"}, "s": {"format": "date-time"}}}]}""")
        .type();
    assertThat(t).isEqualTo(record(Map.of("a", Type.INT, "s", Type.optional(Type.TIME))));
    Type clash = inline("""
        {"allOf": [{"properties": {"a": {"type": "string"}}}, {"properties": {"a": {"type": "integer"}}}],
         "properties": {"b": {"type": "boolean"}}}""").type();
    assertThat(clash).isEqualTo(record(Map.of("b", Type.optional(Type.BOOL))));
  }

  @Test
  void oneOfOfDifferentShapesIsLeftOut() {
    Type t = inline("""
        {"type": "object", "properties": {
           "v": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
           "w": {"oneOf": [{"type": "string", "maxLength": 3}, {"type": "string", "format": "email"}]},
           "o": {"oneOf": [{"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]},
                           {"type": "object", "properties": {"x": {"type": "string"}, "y": {"type": "integer"}}}]}}}""")
        .type();
    assertThat(t).isEqualTo(record(Map.of("w", Type.optional(Type.STRING),
        "o", Type.optional(record(Map.of("x", Type.optional(Type.STRING)))))));
  }

  @Test
  void recursiveReferencesAndTuplesAreLeftOut() {
    Type t = inline("""
        {"type": "object", "properties": {
           "tree": {"$ref": "#/$defs/node"}, "pair": {"type": "array", "prefixItems": [{"type": "string"}]},
           "name": {"type": "string"}},
         "$defs": {"node": {"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                                                              "label": {"type": "string"}}}}}""").type();
    assertThat(t).isEqualTo(record(Map.of("name", Type.optional(Type.STRING),
        "tree", Type.optional(record(Map.of("label", Type.optional(Type.STRING)))))));
  }

  @Test
  void aRootThatCannotBeTypedIsAnEmptyRecordAndArraysAreLists() {
    assertThat(inline("{}").type()).isEqualTo(record(Map.of()));
    assertThat(inline("{\"type\": \"array\", \"items\": {\"type\": \"string\"}}").type())
        .isEqualTo(new Type.ListType(Type.STRING));
  }

  @Test
  void strictnessDoesNotChangeTheType() {
    var bundle = resources("orders/new-order.json", "orders/common.json");
    assertThat(compile("schemas/orders/new-order.json", bundle, true).type())
        .isEqualTo(compile("schemas/orders/new-order.json", bundle, false).type());
  }
}
