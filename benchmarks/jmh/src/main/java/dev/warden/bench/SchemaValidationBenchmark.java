package dev.warden.bench;

import dev.warden.policy.runtime.RequestBody;
import dev.warden.policy.runtime.Violation;
import dev.warden.policy.schema.jsonschema.JsonSchemaBody;
import dev.warden.policy.source.Bundle;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The cost of a body schema per Check (issue 12's target: at most 10 µs): a typical 1 KiB order
 * (eighteen items, a customer composed with `allOf` and a cross-file `$ref`, a payment `oneOf`,
 * uuid, email and date-time formats) validated by {@link JsonSchemaBody}, strict (the default)
 * and with `additional allow`; `parseAndValidate` adds parsing the bytes as the sidecar does.
 */
@State(Scope.Benchmark)
public class SchemaValidationBenchmark extends BenchmarkSettings {
  static final String ORDER_SCHEMA = """
      {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
       "required": ["items", "currency", "customer", "payment"],
       "properties": {
         "items": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"$ref": "common.json#/$defs/Item"}},
         "note": {"type": "string", "maxLength": 500},
         "currency": {"enum": ["EUR", "USD"]},
         "shipBy": {"type": "string", "format": "date-time"},
         "customer": {"allOf": [{"$ref": "common.json#/$defs/Person"}, {"properties": {"vip": {"type": "boolean"}}}]},
         "payment": {"oneOf": [{"$ref": "#/$defs/Card"}, {"$ref": "#/$defs/Iban"}]}},
       "$defs": {
         "Card": {"type": "object", "required": ["kind", "last4"],
                  "properties": {"kind": {"const": "card"}, "last4": {"type": "string", "pattern": "^[0-9]{4}$"}}},
         "Iban": {"type": "object", "required": ["kind", "iban"],
                  "properties": {"kind": {"const": "iban"}, "iban": {"type": "string", "minLength": 15, "maxLength": 34}}}}}""";
  static final String COMMON_SCHEMA = """
      {"$defs": {
         "Item": {"type": "object", "required": ["sku", "qty"], "properties": {
           "sku": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Z0-9-]+$"},
           "qty": {"type": "integer", "minimum": 1, "maximum": 1000}}},
         "Person": {"type": "object", "required": ["id", "email"], "properties": {
           "id": {"type": "string", "format": "uuid"}, "email": {"type": "string", "format": "email"},
           "address": {"$ref": "#/$defs/Address"}}},
         "Address": {"type": "object", "required": ["city"], "properties": {
           "city": {"type": "string"}, "zip": {"type": "string"}}}}}""";

  /**
   * The same order in the keywords Warden's inline shapes mean the same way (`plain`: validated by
   * the shape it compiles to, the fast path), or with `allOf`, `oneOf`, `const` and the `email`
   * and `date-time` formats (`composed`: validated by networknt).
   */
  static final String PLAIN_SCHEMA = """
      {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
       "required": ["items", "currency", "customer", "payment"],
       "properties": {
         "items": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"$ref": "common.json#/$defs/Item"}},
         "note": {"type": "string", "maxLength": 500},
         "currency": {"type": "string", "enum": ["EUR", "USD"]},
         "customer": {"type": "object", "required": ["id"], "properties": {
           "id": {"type": "string", "format": "uuid"}, "vip": {"type": "boolean"},
           "address": {"$ref": "common.json#/$defs/Address"}}},
         "payment": {"$ref": "#/$defs/Card"}},
       "$defs": {
         "Card": {"type": "object", "required": ["kind", "last4"],
                  "properties": {"kind": {"type": "string", "enum": ["card"]},
                                 "last4": {"type": "string", "pattern": "^[0-9]{4}$"}}}}}""";

  @Param({"plain", "composed"})
  public String schemaKind;

  @Param({"strict", "allow"})
  public String additional;

  private JsonSchemaBody schema;
  private Object parsed;
  private byte[] bytes;

  @Setup
  public void setUp() {
    boolean plain = schemaKind.equals("plain");
    JsonSchemaBody.Result result = JsonSchemaBody.compile("schemas/new-order.json",
        Bundle.of(Map.of("schemas/new-order.json", plain ? PLAIN_SCHEMA : ORDER_SCHEMA, "schemas/common.json",
            COMMON_SCHEMA)), additional.equals("allow"));
    if (!result.ok()) {
      throw new IllegalStateException("the benchmark schema does not compile: " + result.errors());
    }
    schema = result.body();
    bytes = (plain ? plainOrder() : order()).getBytes(StandardCharsets.UTF_8);
    parsed = parse();
    List<Violation> found = schema.validate(parsed);
    if (!found.isEmpty() || bytes.length < 900 || bytes.length > 1200) {
      throw new IllegalStateException("unexpected setup: " + bytes.length + " bytes, " + found);
    }
  }

  /** About 1 KiB: eighteen items, a note, a customer with an address, a card. */
  static String order() {
    StringBuilder items = new StringBuilder();
    for (int i = 0; i < 18; i++) {
      items.append(i == 0 ? "" : ", ").append("{\"sku\": \"SKU-").append(10_000 + i).append("-EU\", \"qty\": ")
          .append(i + 1).append('}');
    }
    return "{\"items\": [" + items + "], \"currency\": \"EUR\","
        + " \"note\": \"Please leave the parcel with the neighbours at number 12 if nobody is at home.\","
        + " \"shipBy\": \"2026-12-24T18:00:00Z\", \"customer\": {\"id\": \"6f1c64b2-4a3e-4a35-9b7a-0a8f3e1f2a11\","
        + " \"email\": \"ann.example@example.com\", \"vip\": true, \"address\": {\"city\": \"Lyon\", \"zip\": \"69001\"}},"
        + " \"payment\": {\"kind\": \"card\", \"last4\": \"1234\"}}";
  }

  /** The order {@link #PLAIN_SCHEMA} describes: without the date-time and the email. */
  static String plainOrder() {
    return order().replace(" \"shipBy\": \"2026-12-24T18:00:00Z\",", "")
        .replace(" \"email\": \"ann.example@example.com\",", "");
  }

  private Object parse() {
    RequestBody.Parsed p = RequestBody.ofBytes(java.nio.ByteBuffer.wrap(bytes), "application/json", false).json();
    if (!p.ok()) {
      throw new IllegalStateException(p.error());
    }
    return p.value();
  }

  @Benchmark
  public List<Violation> validate() {
    return schema.validate(parsed);
  }

  @Benchmark
  public List<Violation> parseAndValidate() {
    return schema.validate(parse());
  }
}
