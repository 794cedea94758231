package dev.warden.server.openapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.junit.jupiter.api.Test;

class JsonSchemasTest {
  static final String DOC = """
      openapi: 3.0.3
      components:
        schemas:
          Order:
            type: object
            required: [items]
            properties:
              items: {type: array, items: {$ref: '#/components/schemas/Item'}}
              note: {type: string, nullable: true, example: "leave at door"}
              nullable: {type: boolean}
              x-internal: {type: string}
            x-go-type: Order
            discriminator: {propertyName: kind}
          Item:
            allOf:
              - $ref: '#/components/schemas/Base'
              - type: object
                properties:
                  qty: {type: integer, minimum: 0, exclusiveMinimum: true, maximum: 10, exclusiveMaximum: false}
          Base: {type: object, properties: {sku: {type: string}}}
          Unused: {type: string}
          Self:
            type: object
            properties:
              child: {$ref: '#/components/schemas/Self'}
      """;

  static JsonNode root() throws Exception {
    return new YAMLMapper().readTree(DOC);
  }

  @Test
  void referencedSchemasAreInlinedUnderDefsTransitivelyAndOnlyThose() throws Exception {
    JsonNode out = JsonSchemas.export(root(), new ObjectMapper().readTree("{\"$ref\":\"#/components/schemas/Order\"}"), true, "t");
    assertThat(out.path("$schema").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
    assertThat(out.path("$ref").asText()).isEqualTo("#/$defs/Order");
    assertThat(out.path("$defs").fieldNames()).toIterable().containsExactly("Base", "Item", "Order");
    assertThat(out.at("/$defs/Order/properties/items/items/$ref").asText()).isEqualTo("#/$defs/Item");
    assertThat(out.at("/$defs/Item/allOf/0/$ref").asText()).isEqualTo("#/$defs/Base");
    assertThat(out.toString()).doesNotContain("#/components");
  }

  @Test
  void openApi30KeywordsBecome202012AndPropertiesNamedLikeKeywordsStay() throws Exception {
    JsonNode out = JsonSchemas.export(root(), new ObjectMapper().readTree("{\"$ref\":\"#/components/schemas/Order\"}"), true, "t");
    JsonNode order = out.at("/$defs/Order");
    assertThat(order.at("/properties/note/type").toString()).isEqualTo("[\"string\",\"null\"]");
    assertThat(order.at("/properties/note/examples").toString()).isEqualTo("[\"leave at door\"]");
    assertThat(order.at("/properties/note").has("nullable")).isFalse();
    assertThat(order.at("/properties/nullable/type").asText()).isEqualTo("boolean");
    assertThat(order.has("x-go-type")).isFalse();
    assertThat(order.has("discriminator")).isFalse();
    assertThat(order.at("/properties").has("x-internal")).isTrue();
    JsonNode qty = out.at("/$defs/Item/allOf/1/properties/qty");
    assertThat(qty.path("exclusiveMinimum").asInt()).isZero();
    assertThat(qty.has("minimum")).isFalse();
    assertThat(qty.path("maximum").asInt()).isEqualTo(10);
    assertThat(qty.has("exclusiveMaximum")).isFalse();
  }

  @Test
  void recursiveSchemasStayReferences() throws Exception {
    JsonNode out = JsonSchemas.export(root(), new ObjectMapper().readTree("{\"$ref\":\"#/components/schemas/Self\"}"), true, "t");
    assertThat(out.at("/$defs/Self/properties/child/$ref").asText()).isEqualTo("#/$defs/Self");
    assertThat(out.path("$defs").size()).isEqualTo(1);
  }

  @Test
  void referencesOutsideTheFileOrComponentsAreErrorsThatSayWhere() throws Exception {
    assertThatThrownBy(() -> JsonSchemas.export(root(), new ObjectMapper().readTree("{\"$ref\":\"other.yaml#/X\"}"), true,
        "api.yaml POST /orders"))
        .isInstanceOf(OpenApiException.class).hasMessageContaining("api.yaml POST /orders").hasMessageContaining("outside the file");
    assertThatThrownBy(() -> JsonSchemas.export(root(), new ObjectMapper().readTree("{\"$ref\":\"#/components/schemas/Nope\"}"),
        true, "t")).isInstanceOf(OpenApiException.class).hasMessageContaining("names no schema");
  }

  @Test
  void openApi31SchemasAreKeptAsTheyAre() throws Exception {
    JsonNode schema = new ObjectMapper().readTree("{\"type\":[\"string\",\"null\"],\"example\":\"x\",\"exclusiveMinimum\":3}");
    JsonNode out = JsonSchemas.export(root(), schema, false, "t");
    assertThat(out.path("type").toString()).isEqualTo("[\"string\",\"null\"]");
    assertThat(out.path("example").asText()).isEqualTo("x");
    assertThat(out.path("exclusiveMinimum").asInt()).isEqualTo(3);
  }
}
