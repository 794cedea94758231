package dev.warden.server.openapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.re2j.Pattern;
import io.swagger.v3.oas.models.parameters.Parameter;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ShapesTest {
  static final String SPEC = """
      openapi: 3.0.3
      info: {title: Shapes, version: "1"}
      paths:
        /x:
          get:
            parameters:
              - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100}}
              - {name: page, in: query, schema: {type: integer, minimum: 1}}
              - {name: below, in: query, schema: {type: integer, maximum: 10, exclusiveMaximum: true}}
              - {name: sort, in: query, schema: {type: string, enum: [asc, desc]}}
              - {name: q, in: query, schema: {type: string, minLength: 1, maxLength: 200}}
              - {name: short, in: query, schema: {type: string, maxLength: 8}}
              - {name: tag, in: query, schema: {type: array, items: {type: string}, maxItems: 5}}
              - {name: ids, in: query, schema: {type: array, items: {type: integer, minimum: 0}}}
              - {name: id, in: query, schema: {type: string, format: uuid}}
              - {name: at, in: query, schema: {type: string, format: date-time}}
              - {name: day, in: query, schema: {type: string, format: date}}
              - {name: mail, in: query, schema: {type: string, format: email}}
              - {name: addr, in: query, schema: {type: string, format: ipv4}}
              - {name: dry, in: query, schema: {type: boolean}}
              - {name: ratio, in: query, schema: {type: number, minimum: 0, maximum: 1.5}}
              - {name: sku, in: query, schema: {type: string, pattern: "^[A-Z]{3}-[0-9]+$"}}
              - {name: part, in: query, schema: {type: string, pattern: "ab"}}
              - {name: code, in: query, schema: {type: string, minLength: 2, maxLength: 4, pattern: "^[a-z]+$"}}
              - {name: js, in: query, schema: {type: string, pattern: "^(?=a)b$"}}
              - {name: either, in: query, schema: {oneOf: [{type: string}, {type: integer}]}}
              - {name: ref, in: query, schema: {$ref: '#/components/schemas/Size'}}
            responses: {"200": {description: ok}}
      components:
        schemas:
          Size: {type: string, enum: [S, M, "L\\"XL"]}
      """;

  static Map<String, Shapes.Shape> shapes() throws OpenApiException {
    OpenApiSpec spec = OpenApiSpec.parse("shapes.yaml", "shapes.yaml", SPEC);
    List<Parameter> params = spec.operations().get(0).parameters();
    return params.stream().collect(Collectors.toMap(Parameter::getName, p -> Shapes.of(p.getSchema(), spec, p.getName())));
  }

  @Test
  void numbersKeepTheirBounds() throws OpenApiException {
    var s = shapes();
    assertThat(s.get("limit").text()).isEqualTo("int(1..100)");
    assertThat(s.get("page").text()).isEqualTo("int(1..)");
    assertThat(s.get("below").text()).isEqualTo("int(..9)");
    assertThat(s.get("ratio").text()).isEqualTo("decimal(0..1.5)");
    assertThat(s.get("dry").text()).isEqualTo("bool");
  }

  @Test
  void stringsKeepEnumsLengthsAndFormats() throws OpenApiException {
    var s = shapes();
    assertThat(s.get("sort").text()).isEqualTo("\"asc\" | \"desc\"");
    assertThat(s.get("q").text()).isEqualTo("string(1..200)");
    assertThat(s.get("short").text()).isEqualTo("string(..8)");
    assertThat(s.get("id").text()).isEqualTo("uuid");
    assertThat(s.get("at").text()).isEqualTo("time");
    assertThat(s.get("day").text()).isEqualTo("date");
    assertThat(s.get("mail").text()).isEqualTo("email");
    assertThat(s.get("addr").text()).isEqualTo("ip");
    assertThat(s.get("ref").text()).isEqualTo("\"S\" | \"M\" | \"L\\\"XL\"");
  }

  @Test
  void arraysAreLists() throws OpenApiException {
    var s = shapes();
    assertThat(s.get("tag").text()).isEqualTo("list<string>(..5)");
    assertThat(s.get("ids").text()).isEqualTo("list<int(0..)>");
  }

  @Test
  void patternsMatchTheWholeValueAndOnlyRe2IsKept() throws OpenApiException {
    var s = shapes();
    assertThat(s.get("sku").text()).isEqualTo("string matches \"[A-Z]{3}-[0-9]+\"");
    assertThat(s.get("part").text()).isEqualTo("string matches \"(?s:.*)(?:ab)(?s:.*)\"");
    assertThat(s.get("code").text()).isEqualTo("string(2..4) matches \"[a-z]+\"");
    assertThat(Pattern.compile(Shapes.wholeMatch("ab")).matches("xxabyy")).isTrue();
    assertThat(Pattern.compile(Shapes.wholeMatch("^ab")).matches("xxab")).isFalse();
    assertThat(s.get("js").text()).isEqualTo("string");
    assertThat(s.get("js").notes()).singleElement().asString().contains("is not RE2");
  }

  @Test
  void whatShapesCannotSayIsStringWithANote() throws OpenApiException {
    var s = shapes();
    assertThat(s.get("either").text()).isEqualTo("string");
    assertThat(s.get("either").notes()).singleElement().asString().contains("oneOf");
    assertThat(s.get("limit").notes()).isEmpty();
  }
}
