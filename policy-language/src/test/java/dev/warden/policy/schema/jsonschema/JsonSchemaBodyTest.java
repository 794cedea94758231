package dev.warden.policy.schema.jsonschema;

import static dev.warden.policy.schema.jsonschema.Schemas.compile;
import static dev.warden.policy.schema.jsonschema.Schemas.errors;
import static dev.warden.policy.schema.jsonschema.Schemas.inline;
import static dev.warden.policy.schema.jsonschema.Schemas.json;
import static dev.warden.policy.schema.jsonschema.Schemas.resources;
import static dev.warden.policy.schema.jsonschema.Schemas.violations;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.runtime.Violation;
import dev.warden.policy.source.Bundle;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class JsonSchemaBodyTest {
  private static final String UUID = "6f1c64b2-4a3e-4a35-9b7a-0a8f3e1f2a11";
  private static final String GOOD_ORDER = """
      {"items": [{"sku": "A-1", "qty": 2}], "currency": "EUR",
       "customer": {"id": "%s", "email": "ann@example.com", "vip": true, "address": {"city": "Lyon"}},
       "payment": {"kind": "card", "last4": "1234"},
       "boxes": [[{"sku": "B-2", "qty": 1}], []]}""".formatted(UUID);

  private static JsonSchemaBody orders() {
    return compile("schemas/orders/new-order.json", resources("orders/new-order.json", "orders/common.json"));
  }

  private static JsonSchemaBody draft7() {
    return compile("schemas/draft7/order.json", resources("draft7/order.json", "draft7/lines.json"));
  }

  @Nested
  class References {
    @Test
    void localAndCrossFileReferencesValidate() {
      JsonSchemaBody body = orders();
      assertThat(violations(body, GOOD_ORDER)).isEmpty();
      // Item is in common.json (cross-file), Card in the same file (#/$defs/Card).
      assertThat(violations(body, GOOD_ORDER.replace("\"qty\": 2", "\"qty\": 0")))
          .containsExactly("body.items[0].qty (range)");
      assertThat(violations(body, GOOD_ORDER.replace("\"1234\"", "\"12x4\"")))
          .contains("body.payment (type)");
    }

    @Test
    void relativePathsWithDotSegmentsStayInTheBundle() {
      JsonSchemaBody body = compile("schemas/api/order.json", Bundle.of(Map.of(
          "schemas/api/order.json", """
              {"type": "object", "properties": {"who": {"$ref": "../shared/person.json"}}}""",
          "schemas/shared/person.json", """
              {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}""")));
      assertThat(violations(body, "{\"who\": {\"name\": \"Ann\"}}")).isEmpty();
      assertThat(violations(body, "{\"who\": {\"name\": 1, \"age\": 3}}"))
          .containsExactly("body.who.age (unknown)", "body.who.name (type)");
    }

    @Test
    void anchorsResolve() {
      JsonSchemaBody body = inline("""
          {"properties": {"n": {"$ref": "#num"}},
           "$defs": {"n": {"$anchor": "num", "type": "integer", "maximum": 3}}}""");
      assertThat(violations(body, "{\"n\": 2}")).isEmpty();
      assertThat(violations(body, "{\"n\": 4}")).containsExactly("body.n (range)");
    }

    @Test
    void remoteReferencesAreRefusedWithTheFileAndPointer() {
      for (String ref : new String[] {"https://example.com/address.json", "http://example.com/a#/x",
          "file:///etc/passwd", "//example.com/a.json", "urn:example:address"}) {
        assertThat(errors(Map.of("schemas/x.json", """
            {"properties": {"a": {"$ref": "%s"}}}""".formatted(ref)), "schemas/x.json"))
            .singleElement().asString()
            .startsWith("schemas/x.json at /properties/a/$ref: the reference `" + ref + "` is outside the bundle")
            .contains("Hint:");
      }
    }

    @Test
    void remoteReferencesAreRefusedWithAdditionalAllowToo() {
      JsonSchemaBody.Result result = JsonSchemaBody.compile("schemas/x.json", Bundle.of(Map.of("schemas/x.json",
          "{\"$ref\": \"https://json-schema.org/draft/2020-12/schema\"}")), true);
      assertThat(result.body()).isNull();
      assertThat(result.errors()).singleElement().asString().contains("is outside the bundle");
    }

    @Test
    void referencesToMissingFilesPointersAndAnchorsAreErrors() {
      assertThat(errors(Map.of("schemas/x.json", "{\"$ref\": \"nope.json\"}"), "schemas/x.json"))
          .singleElement().asString().contains("`schemas/nope.json`, which is not in the bundle");
      assertThat(errors(Map.of("schemas/x.json", "{\"$ref\": \"../../up.json\"}"), "schemas/x.json"))
          .singleElement().asString().contains("a path above the bundle root");
      assertThat(errors(Map.of("schemas/x.json", "{\"$ref\": \"#/$defs/Missing\"}"), "schemas/x.json"))
          .singleElement().asString().contains("points at `/$defs/Missing`");
      assertThat(errors(Map.of("schemas/x.json", "{\"$ref\": \"#nowhere\"}"), "schemas/x.json"))
          .singleElement().asString().contains("the anchor `nowhere`");
    }

    @Test
    void anAbsoluteIdThatWouldMoveRelativeReferencesOutOfTheBundleIsAnError() {
      assertThat(errors(Map.of(
          "schemas/x.json", "{\"$id\": \"https://example.com/x.json\", \"$ref\": \"y.json\"}",
          "schemas/y.json", "{}"), "schemas/x.json"))
          .singleElement().asString().contains("relative to the file's `$id` `https://example.com/x.json`");
    }

    @Test
    void aReferenceToAnIdDeclaredInTheFileWorks() {
      JsonSchemaBody body = inline("""
          {"$id": "https://example.com/order.json",
           "properties": {"q": {"$ref": "https://example.com/qty.json"}},
           "$defs": {"q": {"$id": "https://example.com/qty.json", "type": "integer"}}}""");
      assertThat(violations(body, "{\"q\": 1}")).isEmpty();
      assertThat(violations(body, "{\"q\": \"1\"}")).containsExactly("body.q (type)");
    }
  }

  @Nested
  class Strictness {
    @Test
    void unknownFieldsAreReportedAtEveryDepthAndThroughAllOfRefAndOneOf() {
      String body = GOOD_ORDER
          .replace("\"currency\": \"EUR\"", "\"currency\": \"EUR\", \"extra\": 1")
          .replace("\"qty\": 2}", "\"qty\": 2, \"price\": 3}")
          .replace("\"city\": \"Lyon\"", "\"city\": \"Lyon\", \"zz\": 1")
          .replace("\"vip\": true", "\"vip\": true, \"role\": \"admin\"")
          .replace("\"last4\": \"1234\"", "\"last4\": \"1234\", \"cvv\": \"999\"")
          .replace("\"qty\": 1}]", "\"qty\": 1, \"deep\": true}]");
      assertThat(violations(orders(), body)).containsExactly(
          "body.boxes[0][0].deep (unknown)",
          "body.customer.address.zz (unknown)",
          "body.customer.role (unknown)",
          "body.extra (unknown)",
          "body.items[0].price (unknown)",
          "body.payment.cvv (unknown)");
    }

    @Test
    void allOfComposedObjectsAcceptEveryPartsProperties() {
      // vip comes from the second allOf part, id/email/address from the $ref'd first part.
      assertThat(violations(orders(), GOOD_ORDER)).isEmpty();
    }

    @Test
    void aSchemaThatSaysAdditionalPropertiesKeepsItsWord() {
      JsonSchemaBody open = inline("""
          {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": true,
           "required": ["a"]}""");
      assertThat(violations(open, "{\"a\": 1, \"b\": {\"c\": 2}}")).isEmpty();
      JsonSchemaBody typed = inline("""
          {"type": "object", "additionalProperties": {"type": "string"}}""");
      assertThat(violations(typed, "{\"a\": \"x\", \"b\": \"y\"}")).isEmpty();
      assertThat(violations(typed, "{\"a\": 1}")).containsExactly("body.a (type)");
      JsonSchemaBody closed = inline("""
          {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": false}""");
      assertThat(violations(closed, "{\"a\": 1, \"b\": 2}")).containsExactly("body.b (unknown)");
      JsonSchemaBody unevaluated = inline("""
          {"allOf": [{"properties": {"a": {}}}], "unevaluatedProperties": {"type": "boolean"}}""");
      assertThat(violations(unevaluated, "{\"a\": 1, \"b\": true}")).isEmpty();
      assertThat(violations(unevaluated, "{\"a\": 1, \"b\": 2}")).containsExactly("body.b (type)");
    }

    @Test
    void aValueSchemaThatAcceptsAnythingStaysOpen() {
      JsonSchemaBody body = inline("""
          {"type": "object", "properties": {"meta": {"description": "free-form"}, "any": true}}""");
      assertThat(violations(body, "{\"meta\": {\"x\": 1}, \"any\": {\"y\": 2}}")).isEmpty();
      assertThat(violations(body, "{\"other\": 1}")).containsExactly("body.other (unknown)");
    }

    @Test
    void allowAdditionalTurnsStrictnessOff() {
      Bundle bundle = resources("orders/new-order.json", "orders/common.json");
      JsonSchemaBody lax = compile("schemas/orders/new-order.json", bundle, true);
      String body = GOOD_ORDER.replace("\"currency\": \"EUR\"", "\"currency\": \"EUR\", \"extra\": 1")
          .replace("\"qty\": 2}", "\"qty\": 2, \"price\": 3}");
      assertThat(violations(lax, body)).isEmpty();
      assertThat(violations(lax, body.replace("\"EUR\"", "\"GBP\""))).containsExactly("body.currency (enum)");
      assertThat(violations(orders(), body)).containsExactly("body.extra (unknown)", "body.items[0].price (unknown)");
    }

    @Test
    void aDeclaredPropertyBesideARealViolationIsNotCalledUnknown() {
      // allOf/1 fails on vip, so by the specification it evaluated nothing: vip must not also be "unknown".
      assertThat(violations(orders(), GOOD_ORDER.replace("\"vip\": true", "\"vip\": \"yes\"")))
          .containsExactly("body.customer.vip (type)");
    }
  }

  @Nested
  class Drafts {
    @Test
    void draft7ValidatesWithStrictnessThroughRootRefAndAllOf() {
      JsonSchemaBody body = draft7();
      assertThat(violations(body, """
          {"id": "%s", "lines": [{"sku": "a", "qty": 1, "gift": true}], "shipping": {"city": "Graz"}}"""
          .formatted(UUID))).isEmpty();
      assertThat(violations(body, """
          {"id": "%s", "lines": [{"sku": "a", "qty": 0, "gift": true, "more": 1}],
           "shipping": {"city": "a", "z": 1}, "top": 1}""".formatted(UUID)))
          .containsExactly("body.lines[0].more (unknown)", "body.lines[0].qty (range)", "body.shipping.z (unknown)",
              "body.top (unknown)");
    }

    @Test
    void absentSchemaMeans202012() {
      // prefixItems is 2020-12 only: under draft 7 it would be ignored.
      JsonSchemaBody body = inline("{\"type\": \"array\", \"prefixItems\": [{\"type\": \"integer\"}]}");
      assertThat(violations(body, "[\"x\"]")).containsExactly("body[0] (type)");
    }

    @Test
    void draft7KeepsDraft7Semantics() {
      JsonSchemaBody body = inline("""
          {"$schema": "http://json-schema.org/draft-07/schema#", "type": "array",
           "items": [{"type": "integer"}], "additionalItems": false}""");
      assertThat(violations(body, "[1]")).isEmpty();
      assertThat(violations(body, "[\"x\", 2]")).contains("body[0] (type)");
    }

    @Test
    void anyOtherSchemaIsAnErrorNamingIt() {
      assertThat(errors(Map.of("schemas/x.json", "{\"$schema\": \"http://json-schema.org/draft-04/schema#\"}"),
          "schemas/x.json")).singleElement().asString()
          .startsWith("schemas/x.json at /$schema: `http://json-schema.org/draft-04/schema#` is not a JSON Schema draft")
          .contains("2020-12");
      assertThat(errors(Map.of("schemas/x.json", "{\"$schema\": \"https://json-schema.org/draft/2019-09/schema\"}"),
          "schemas/x.json")).singleElement().asString().contains("2019-09");
    }
  }

  @Nested
  class InvalidSchemas {
    @Test
    void aMissingFileNamesThePathAndWhatIsThere() {
      assertThat(errors(Map.of("schemas/order.json", "{}"), "schemas/oder.json")).singleElement().asString()
          .startsWith("schemas/oder.json: no such file in the bundle").contains("schemas/order.json");
    }

    @Test
    void invalidJsonAndDuplicateKeysAreErrorsWithTheLine() {
      assertThat(errors(Map.of("schemas/x.json", "{\"type\": \"object\",\n \"type\": \"string\"}"), "schemas/x.json"))
          .singleElement().asString().startsWith("schemas/x.json:2:").contains("Duplicate field 'type'");
      assertThat(errors(Map.of("schemas/x.json", "{\"type\": "), "schemas/x.json"))
          .singleElement().asString().startsWith("schemas/x.json:1:").contains("not valid JSON");
      assertThat(errors(Map.of("schemas/x.json", "[1]"), "schemas/x.json"))
          .singleElement().asString().contains("a JSON Schema is an object");
    }

    @Test
    void aSchemaTheMetaSchemaRejectsIsAnErrorAtItsPointer() {
      assertThat(errors(Map.of("schemas/x.json", """
          {"type": "object", "properties": {"qty": {"type": "integr", "minimum": "1"}}}"""), "schemas/x.json"))
          .anySatisfy(e -> assertThat(e).startsWith("schemas/x.json at /properties/qty/minimum:").contains("number"))
          .anySatisfy(e -> assertThat(e).startsWith("schemas/x.json at /properties/qty/type:"))
          .allSatisfy(e -> assertThat(e).contains("meta-schema").contains("Hint:"));
    }

    @Test
    void errorsInAReferencedFileNameThatFile() {
      assertThat(errors(Map.of("schemas/x.json", "{\"$ref\": \"y.json\"}",
          "schemas/y.json", "{\"maxLength\": -1}"), "schemas/x.json"))
          .singleElement().asString().startsWith("schemas/y.json at /maxLength:");
    }

    @Test
    void patternsRe2CannotRunAreErrors() {
      assertThat(errors(Map.of("schemas/x.json", """
          {"properties": {"a": {"type": "string", "pattern": "^(?=.*[0-9])\\\\w+$"}}}"""), "schemas/x.json"))
          .singleElement().asString()
          .startsWith("schemas/x.json at /properties/a/pattern: `pattern` `^(?=.*[0-9])\\w+$` is not a regular expression RE2 can run")
          .contains("linear");
      assertThat(errors(Map.of("schemas/x.json", """
          {"patternProperties": {"^(a)\\\\1$": {}}}"""), "schemas/x.json"))
          .singleElement().asString().contains("a `patternProperties` key");
    }
  }

  @Nested
  class Problems {
    @Test
    void formatsAreAsserted() {
      JsonSchemaBody body = inline("""
          {"type": "object", "properties": {
             "id": {"type": "string", "format": "uuid"}, "mail": {"type": "string", "format": "email"},
             "at": {"type": "string", "format": "date-time"}, "day": {"type": "string", "format": "date"},
             "v4": {"type": "string", "format": "ipv4"}, "v6": {"type": "string", "format": "ipv6"},
             "host": {"type": "string", "format": "hostname"}}}""");
      assertThat(violations(body, """
          {"id": "%s", "mail": "ann@example.com", "at": "2026-12-02T13:00:00Z", "day": "2026-12-02",
           "v4": "10.0.0.1", "v6": "2001:db8::1", "host": "not a host name"}""".formatted(UUID))).isEmpty();
      assertThat(violations(body, """
          {"id": "6f1c64b2", "mail": "ann", "at": "2026-12-02 13:00", "day": "2026-02-30",
           "v4": "10.0.0.256", "v6": "2001:db8:::1"}""")).containsExactly(
          "body.at (format)", "body.day (format)", "body.id (format)", "body.mail (format)", "body.v4 (format)",
          "body.v6 (format)");
    }

    @Test
    void keywordsMapToProblemCodes() {
      JsonSchemaBody body = inline("""
          {"type": "object", "required": ["need"], "properties": {
             "need": {}, "n": {"type": "integer", "minimum": 1, "exclusiveMaximum": 10},
             "s": {"type": "string", "minLength": 2, "maxLength": 3}, "p": {"type": "string", "pattern": "^[a-z]+$"},
             "e": {"enum": ["a", "b"]}, "c": {"const": 3}, "l": {"type": "array", "minItems": 1, "maxItems": 2},
             "t": {"type": "boolean"}, "o": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
             "x": {"not": {"type": "string"}}, "m": {"type": "number", "multipleOf": 0.5}}}""");
      assertThat(violations(body, """
          {"n": 10, "s": "a", "p": "A1", "e": "z", "c": 4, "l": [], "t": "true", "o": true, "x": "s", "m": 0.3}"""))
          .containsExactly("body.c (enum)", "body.e (enum)", "body.l (items)", "body.m (range)", "body.n (range)",
              "body.need (required)", "body.o (type)", "body.p (pattern)", "body.s (length)", "body.t (type)",
              "body.x (type)");
      assertThat(violations(body, "{\"need\": 1, \"l\": [1, 2, 3], \"s\": \"abcd\", \"n\": 0}"))
          .containsExactly("body.l (items)", "body.n (range)", "body.s (length)");
      assertThat(violations(body, "[]")).containsExactly("body (type)");
    }

    @Test
    void otherFormatsStayAnnotationsAndDependentRequiredIsRequired() {
      JsonSchemaBody body = inline("""
          {"type": "object", "properties": {"a": {"type": "string", "format": "x-house-style"},
             "card": {"type": "string"}, "cvv": {"type": "string", "format": "uri"}},
           "dependentRequired": {"card": ["cvv"]}}""");
      assertThat(violations(body, "{\"a\": \"anything\", \"card\": \"4111\", \"cvv\": \"not a uri\"}")).isEmpty();
      assertThat(violations(body, "{\"card\": \"4111\"}")).containsExactly("body.cvv (required)");
      JsonSchemaBody draft7 = inline("""
          {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
           "properties": {"card": {}, "cvv": {}}, "dependencies": {"card": ["cvv"]}}""");
      assertThat(violations(draft7, "{\"card\": 1}")).containsExactly("body (required)");
    }

    @Test
    void patternsAreSearchedNotAnchored() {
      JsonSchemaBody body = inline("{\"type\": \"string\", \"pattern\": \"[0-9]{3}\"}");
      assertThat(violations(body, "\"ab123cd\"")).isEmpty();
      assertThat(violations(body, "\"ab12cd\"")).containsExactly("body (pattern)");
    }

    @Test
    void integersMayBeWrittenAsDecimalsAndAreBoundedTo64BitsUnlessTheSchemaSaysMore() {
      JsonSchemaBody body = inline("{\"type\": \"integer\", \"minimum\": 0}");
      assertThat(violations(body, "1.0")).isEmpty();
      assertThat(violations(body, "1e2")).isEmpty();
      assertThat(violations(body, "9223372036854775807")).isEmpty();
      assertThat(violations(body, "9223372036854775808")).containsExactly("body (range)");
      assertThat(violations(body, "1.5")).containsExactly("body (type)");
      assertThat(violations(body, "-1")).containsExactly("body (range)");
      assertThat(body.type()).isEqualTo(dev.warden.policy.types.Type.INT);
      JsonSchemaBody wide = inline("{\"type\": \"integer\", \"maximum\": 1e40}");
      assertThat(violations(wide, "123456789012345678901234567890")).isEmpty();
      assertThat(wide.type()).isEqualTo(dev.warden.policy.types.Type.DECIMAL);
    }

    @Test
    void oddPropertyNamesAreQuotedAndLongOnesCut() {
      JsonSchemaBody body = inline("{\"type\": \"object\"}");
      String longName = "k".repeat(200);
      assertThat(violations(body, "{\"a.b\": 1, \"with \\\"quote\\\"\": 2, \"" + longName + "\": 3, \"ok-name_1\": 4}"))
          .containsExactlyInAnyOrder("body[\"a.b\"] (unknown)", "body[\"with \\\"quote\\\"\"] (unknown)",
              "body[\"" + "k".repeat(64) + "…\"] (unknown)", "body.ok-name_1 (unknown)");
    }

    @Test
    void violationsAreDeduplicatedSortedAndCapped() {
      JsonSchemaBody body = inline("{\"type\": \"object\", \"properties\": {}}");
      StringBuilder many = new StringBuilder("{");
      for (int i = 0; i < 500; i++) {
        many.append(i == 0 ? "" : ",").append("\"f").append(i).append("\": ").append(i);
      }
      var found = body.validate(json(many.append('}').toString()));
      assertThat(found).hasSize(JsonSchemaBody.MAX_VIOLATIONS).doesNotHaveDuplicates()
          .isSortedAccordingTo(java.util.Comparator.comparing(Violation::path))
          .allSatisfy(v -> assertThat(v.problem()).isEqualTo("unknown"));
    }
  }
}
