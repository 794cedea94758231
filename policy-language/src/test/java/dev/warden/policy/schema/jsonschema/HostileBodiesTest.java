package dev.warden.policy.schema.jsonschema;

import static dev.warden.policy.schema.jsonschema.Schemas.compile;
import static dev.warden.policy.schema.jsonschema.Schemas.inline;
import static dev.warden.policy.schema.jsonschema.Schemas.json;
import static dev.warden.policy.schema.jsonschema.Schemas.resources;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.warden.policy.runtime.RequestBody;
import dev.warden.policy.runtime.Violation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Bodies built to hurt: deep, long, wide. They validate to violations, never to an exception or a stack overflow. */
class HostileBodiesTest {
  private static final JsonSchemaBody ORDERS = compile("schemas/orders/new-order.json",
      resources("orders/new-order.json", "orders/common.json"));
  private static final JsonSchemaBody RECURSIVE = inline("""
      {"$ref": "#/$defs/node", "$defs": {"node": {"type": "object", "properties": {
         "a": {"$ref": "#/$defs/node"}, "l": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}}}""");

  private static String nested(int depth, String open, String close, String inner) {
    return open.repeat(depth) + inner + close.repeat(depth);
  }

  @Test
  void nestingToTheParsersLimitValidates() {
    int depth = RequestBody.MAX_DEPTH;
    String objects = nested(depth - 1, "{\"a\": ", "}", "{}");
    assertThat(RECURSIVE.validate(json(objects))).isEmpty();
    String unknownDeep = nested(depth - 1, "{\"a\": ", "}", "{\"x\": 1}");
    assertThat(RECURSIVE.validate(json(unknownDeep))).singleElement()
        .satisfies(v -> assertThat(v.path()).isEqualTo("body" + ".a".repeat(depth - 1) + ".x"));
    String arrays = "{\"l\": " + nested(depth - 2, "[", "]", "[]") + "}";
    assertThatCode(() -> RECURSIVE.validate(json(arrays))).doesNotThrowAnyException();
    String extra = "{\"extra\": " + nested(depth - 2, "{\"a\": ", "}", "[]") + "}";
    assertThat(ORDERS.validate(json(extra))).contains(new Violation("body.extra", "unknown"));
  }

  @Test
  void deeperThanTheParserAllowsIsADepthViolationNotAStackOverflow() {
    Object deep = List.of();
    for (int i = 0; i < 100_000; i++) {
      deep = List.of(deep);
    }
    Object body = deep;
    assertThat(RECURSIVE.validate(Map.of("l", body))).containsExactly(new Violation("body", "depth"));
  }

  @Test
  void aHundredThousandItemsValidate() {
    List<Object> items = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      items.add(Map.of("sku", "A-" + i, "qty", 1L));
    }
    List<Violation> found = ORDERS.validate(Map.of("items", items, "currency", "EUR"));
    assertThat(found).contains(new Violation("body.items", "items"), new Violation("body.customer", "required"));
    List<Object> bad = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      bad.add(Map.of("sku", "A", "qty", 1L, "x" + i, true));
    }
    assertThat(ORDERS.validate(Map.of("items", bad))).hasSize(JsonSchemaBody.MAX_VIOLATIONS);
  }

  @Test
  void aMegabyteStringValidates() {
    String huge = "a".repeat(1 << 20);
    List<Violation> found = ORDERS.validate(Map.of("items", List.of(Map.of("sku", huge, "qty", 1L)),
        "note", huge + "!", "currency", huge));
    assertThat(found).contains(new Violation("body.items[0].sku", "length"), new Violation("body.items[0].sku", "pattern"),
        new Violation("body.note", "length"), new Violation("body.currency", "enum"));
    JsonSchemaBody pattern = inline("{\"type\": \"string\", \"pattern\": \"(a|aa)*b\"}");
    assertThat(pattern.validate("a".repeat(1 << 20))).containsExactly(new Violation("body", "pattern"));
  }

  @Test
  void validationIsSafeFromManyThreads() {
    String good = """
        {"items": [{"sku": "A-1", "qty": 2}], "currency": "EUR",
         "customer": {"id": "6f1c64b2-4a3e-4a35-9b7a-0a8f3e1f2a11", "email": "ann@example.com"},
         "payment": {"kind": "iban", "iban": "DE89370400440532013000"}}""";
    Object valid = json(good);
    Object invalid = json(good.replace("\"qty\": 2", "\"qty\": 2, \"x\": 1"));
    AtomicInteger wrong = new AtomicInteger();
    IntStream.range(0, 2_000).parallel().forEach(i -> {
      List<Violation> v = ORDERS.validate(i % 2 == 0 ? valid : invalid);
      if (i % 2 == 0 ? !v.isEmpty() : !v.equals(List.of(new Violation("body.items[0].x", "unknown")))) {
        wrong.incrementAndGet();
      }
    });
    assertThat(wrong).hasValue(0);
  }

  @Test
  void valuesThatAreNotParsedJsonAreRefusedClearly() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ORDERS.validate(Map.of("items", new Object())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("java.lang.Object");
  }
}
