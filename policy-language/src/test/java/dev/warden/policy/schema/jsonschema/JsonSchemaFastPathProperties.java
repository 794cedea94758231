package dev.warden.policy.schema.jsonschema;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.source.Bundle;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The fast path ({@link InlineShapes}) accepts exactly the bodies networknt's validator accepts,
 * strict and with `additional allow`, for schemas in the subset it takes; schemas outside it stay
 * on the validator. Bodies are drawn near the schemas' own fields and values, so that both valid
 * and invalid ones come up at every depth.
 */
class JsonSchemaFastPathProperties {
  /** An order, as the example bundle's: records, a list of records, a pattern, an enum, bounds, a $ref. */
  static final String ORDER = """
      {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "required": ["items", "currency"],
       "properties": {
         "items": {"type": "array", "minItems": 1, "maxItems": 3, "items": {"$ref": "#/$defs/line"}},
         "currency": {"type": "string", "enum": ["EUR", "USD"]},
         "note": {"type": "string", "maxLength": 5},
         "total": {"type": "number", "minimum": 0, "maximum": 100},
         "gift": {"type": "boolean"},
         "ref": {"type": "string", "format": "uuid"},
         "day": {"type": "string", "format": "date"},
         "meta": {"type": "object"}},
       "$defs": {"line": {"type": "object", "required": ["sku", "qty"],
         "properties": {"sku": {"type": "string", "pattern": "^[A-Z]{2}-[0-9]+$"},
                        "qty": {"type": "integer", "minimum": 1, "maximum": 10}}}}}
      """;
  /** Draft 7, an unanchored pattern and length bounds. */
  static final String DRAFT7 = """
      {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
       "properties": {"sku": {"type": "string", "pattern": "[0-9]", "minLength": 2}, "qty": {"type": "integer"},
                      "note": {"type": "string", "pattern": "^(?m)[a-z]+$"}, "currency": {"type": "string", "pattern": "^E|D$"},
                      "items": {"type": "array", "items": {"type": "string"}}}}
      """;

  private static final List<String> KEYS = List.of("items", "currency", "note", "total", "gift", "ref", "day", "meta",
      "sku", "qty", "extra");
  private static final List<Object> SCALARS = List.of("EUR", "USD", "GBP", "", "abc", "abcdef", "AB-1", "ab-1", "x1", "xAB-1", "AB-1x", "AB-1\n", "ab\nCD", "a1b", "1",
     
      "12", "7f0c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e01", "7F0C2A9E-1B2C-4D3E-8F40-5A6B7C8D9E01", "2026-12-01",
      "2026-02-30", 0L, 1L, 5L, 10L, 11L, -1L, 100L, 101L, new BigDecimal("2.0"), new BigDecimal("2.5"),
      new BigDecimal("99.99"), new BigInteger("123456789012345678901234567890"), true, false);

  private static JsonSchemaBody body(String schema, boolean allow) {
    return Schemas.compile("schemas/x.json", Bundle.of(Map.of("schemas/x.json", schema)), allow);
  }

  @Test
  void theSchemasHereTakeTheFastPathAndCompositionDoesNot() {
    assertThat(body(ORDER, false).fast()).isTrue();
    assertThat(body(DRAFT7, true).fast()).isTrue();
    assertThat(body("{\"type\": \"object\", \"allOf\": [{\"properties\": {\"a\": {\"type\": \"string\"}}}]}", false)
        .fast()).isFalse();
    assertThat(body("{\"type\": \"object\", \"additionalProperties\": false}", false).fast()).isFalse();
    assertThat(body("{\"type\": \"string\", \"format\": \"email\"}", false).fast()).isFalse();
  }

  /** Each keyword of the subset refuses in both paths, and an order that keeps them all passes both. */
  @Test
  void eachKeywordOfTheSubsetRefusesOnBothPaths() {
    JsonSchemaBody strict = body(ORDER, false);
    String ok = "{\"items\":[{\"sku\":\"AB-1\",\"qty\":2}],\"currency\":\"EUR\"";
    assertThat(strict.validate(Schemas.json(ok + "}"))).isEmpty();
    assertThat(strict.validateWithValidator(Schemas.json(ok + "}"))).isEmpty();
    for (String bad : List.of(ok.replace("EUR", "GBP") + "}", ok + ",\"note\":\"abcdef\"}", ok + ",\"total\":101}",
        ok.replace("\"qty\":2", "\"qty\":11") + "}", ok.replace("AB-1", "ab-1") + "}", ok + ",\"gift\":1}",
        ok + ",\"ref\":\"x\"}", ok + ",\"day\":\"2026-02-30\"}", ok + ",\"extra\":1}", ok + ",\"meta\":{\"a\":1}}",
        "{\"items\":[],\"currency\":\"EUR\"}", "{\"currency\":\"EUR\"}", ok.replace("\"qty\":2", "\"qty\":2.5") + "}")) {
      Object v = Schemas.json(bad);
      assertThat(strict.validate(v)).as("fast path on %s", bad).isNotEmpty();
      assertThat(strict.validateWithValidator(v)).as("validator on %s", bad).isNotEmpty();
    }
  }

  /** Patterns are searched, as JSON Schema says, unless their anchors make searching matching. */
  @Test
  void patternsMeanOnTheFastPathWhatTheyMeanToTheValidator() {
    for (boolean allow : List.of(false, true)) {
      JsonSchemaBody d7 = body(DRAFT7, allow);
      for (String v : List.of("{\"sku\":\"a1b\"}", "{\"sku\":\"ab\"}", "{\"note\":\"ab\\nCD\"}",
          "{\"note\":\"ab\"}", "{\"note\":\"AB\"}", "{\"currency\":\"EUR\"}", "{\"currency\":\"xxD\"}",
          "{\"currency\":\"xx\"}", "{\"sku\":\"12\\n\"}")) {
        Object body = Schemas.json(v);
        assertThat(d7.validate(body).isEmpty()).as("%s (allow %s): %s", v, allow, d7.validateWithValidator(body))
            .isEqualTo(d7.validateWithValidator(body).isEmpty());
      }
    }
  }

  @Property(tries = 600)
  void theFastPathAcceptsExactlyWhatTheValidatorAccepts(@ForAll("bodies") Object value, @ForAll boolean allow,
      @ForAll boolean draft7) {
    JsonSchemaBody b = body(draft7 ? DRAFT7 : ORDER, allow);
    assertThat(b.fast()).isTrue();
    boolean fast = b.validate(value).isEmpty();
    boolean validator = b.validateWithValidator(value).isEmpty();
    assertThat(fast).as("%s: fast path %s, validator %s (%s)", value, fast, validator, b.validateWithValidator(value))
        .isEqualTo(validator);
  }

  @Provide
  Arbitrary<Object> bodies() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, near()),
        net.jqwik.api.Tuple.of(1, value(3)));
  }

  /** An order that is valid but for a few random changes. */
  private Arbitrary<Object> near() {
    return Arbitraries.integers().between(0, 6).flatMap(changes -> Arbitraries.longs().map(seed -> {
      java.util.Random r = new java.util.Random(seed);
      Map<String, Object> line = new LinkedHashMap<>(Map.of("sku", "AB-1", "qty", 2L));
      Map<String, Object> order = new LinkedHashMap<>();
      order.put("items", new ArrayList<>(List.of(line)));
      order.put("currency", "EUR");
      for (int i = 0; i < changes; i++) {
        Map<String, Object> target = r.nextBoolean() ? order : line;
        String key = KEYS.get(r.nextInt(KEYS.size()));
        switch (r.nextInt(3)) {
          case 0 -> target.remove(key);
          case 1 -> target.put(key, SCALARS.get(r.nextInt(SCALARS.size())));
          default -> target.put(key, r.nextBoolean() ? new LinkedHashMap<>(Map.of("sku", "AB-2"))
              : new ArrayList<>(List.of(new LinkedHashMap<>(line), "x")));
        }
      }
      return order;
    }));
  }

  private Arbitrary<Object> value(int depth) {
    Arbitrary<Object> scalar = Arbitraries.of(SCALARS);
    if (depth == 0) {
      return scalar;
    }
    Arbitrary<Object> list = value(depth - 1).list().ofMaxSize(4).map(l -> (Object) new ArrayList<>(l));
    Arbitrary<Object> map = Arbitraries.maps(Arbitraries.of(KEYS), value(depth - 1)).ofMaxSize(4)
        .map(m -> (Object) new LinkedHashMap<>(m));
    return Arbitraries.oneOf(scalar, list, map);
  }
}
