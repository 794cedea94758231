package dev.warden.policy.schema.jsonschema;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.runtime.RequestBody;
import dev.warden.policy.runtime.Violation;
import dev.warden.policy.source.Bundle;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Test helpers: bundles of schema files from the test resources or from text, and bodies from JSON text. */
final class Schemas {
  private Schemas() {}

  /** The given test resources (under `jsonschema/`) as a bundle, each at `schemas/<name>`. */
  static Bundle resources(String... names) {
    Map<String, byte[]> files = new HashMap<>();
    for (String name : names) {
      try (InputStream in = Schemas.class.getResourceAsStream("/jsonschema/" + name)) {
        assertThat(in).as("test resource %s", name).isNotNull();
        files.put("schemas/" + name, in.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return Bundle.ofBytes(files);
  }

  static JsonSchemaBody compile(String path, Bundle bundle) {
    return compile(path, bundle, false);
  }

  static JsonSchemaBody compile(String path, Bundle bundle, boolean allowAdditional) {
    JsonSchemaBody.Result result = JsonSchemaBody.compile(path, bundle, allowAdditional);
    assertThat(result.errors()).as("compile errors of %s", path).isEmpty();
    assertThat(result.body()).isNotNull();
    return result.body();
  }

  /** One schema file, `schemas/x.json`, with the given text. */
  static JsonSchemaBody inline(String schema) {
    return compile("schemas/x.json", Bundle.of(Map.of("schemas/x.json", schema)));
  }

  static List<String> errors(Map<String, String> files, String path) {
    JsonSchemaBody.Result result = JsonSchemaBody.compile(path, Bundle.of(files), false);
    assertThat(result.body()).as("a schema with errors has no body").isNull();
    assertThat(result.errors()).isNotEmpty();
    return result.errors();
  }

  /** JSON text parsed as the sidecar parses request bodies. */
  static Object json(String text) {
    RequestBody.Parsed parsed = RequestBody.ofText(text, "application/json", false).json();
    assertThat(parsed.error()).as("test body parses").isNull();
    return parsed.value();
  }

  static List<String> violations(JsonSchemaBody body, String json) {
    return body.validate(json(json)).stream().map(Violation::toString).toList();
  }
}
