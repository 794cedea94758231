package dev.warden.policy.schema.jsonschema;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.runtime.Violation;
import dev.warden.policy.source.Bundle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Strictness as a universal guarantee: whatever body is sent, it validates exactly when it has no
 * property the schema did not declare, at any depth, however the declaration is composed
 * (`$ref` to a definition, a second part in `allOf`, items of an array), and each undeclared
 * property is reported at its path.
 */
class StrictnessProperties {
  /** Objects declare `a` (an object again, through `$ref`), `n` (an integer) and, in an allOf part, `b` (a list of objects). */
  private static final String SCHEMA = """
      {"$ref": "#/$defs/node",
       "$defs": {"node": {"type": "object",
                          "properties": {"a": {"$ref": "#/$defs/node"}, "n": {"type": "integer"}},
                          "allOf": [{"properties": {"b": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}]}}}""";
  private static final Set<String> DECLARED = Set.of("a", "b", "n");
  private static final JsonSchemaBody BODY = Schemas.compile("schemas/node.json",
      Bundle.of(Map.of("schemas/node.json", SCHEMA)));
  private static final JsonSchemaBody LAX = Schemas.compile("schemas/node.json",
      Bundle.of(Map.of("schemas/node.json", SCHEMA)), true);

  @Property
  void aBodyValidatesExactlyWhenEveryPropertyIsDeclared(@ForAll("nodes") Map<String, Object> body) {
    Set<String> undeclared = new TreeSet<>();
    undeclared("body", body, undeclared);
    List<Violation> found = BODY.validate(body);
    assertThat(found.isEmpty()).as("valid ⇔ no undeclared property (%s)", undeclared).isEqualTo(undeclared.isEmpty());
    assertThat(found).allSatisfy(v -> assertThat(v.problem()).isEqualTo("unknown"));
    assertThat(found.stream().map(Violation::path).toList()).containsExactlyInAnyOrderElementsOf(
        undeclared.stream().limit(JsonSchemaBody.MAX_VIOLATIONS).toList());
    assertThat(LAX.validate(body)).as("additional allow accepts them all").isEmpty();
  }

  @Provide
  Arbitrary<Map<String, Object>> nodes() {
    return node(4);
  }

  private Arbitrary<Map<String, Object>> node(int depth) {
    Arbitrary<Object> value = depth == 0 ? Arbitraries.just(null) : Arbitraries.lazy(() -> node(depth - 1)).map(m -> m);
    Arbitrary<Object> list = depth == 0 ? Arbitraries.just(List.of())
        : Arbitraries.lazy(() -> node(depth - 1)).list().ofMaxSize(3).map(l -> l);
    Arbitrary<Object> scalar = Arbitraries.oneOf(Arbitraries.longs().map(l -> l), Arbitraries.strings().ofMaxLength(4)
        .map(s -> s), Arbitraries.just(true));
    Arbitrary<Map.Entry<String, Object>> entry = Arbitraries.oneOf(
        value.map(v -> Map.entry("a", v == null ? Map.of() : v)),
        list.map(v -> Map.entry("b", v)),
        Arbitraries.longs().map(n -> Map.entry("n", (Object) n)),
        Arbitraries.of("x", "yy", "a b", "N").flatMap(k -> Arbitraries.oneOf(scalar, value.map(v -> v == null ? "" : v))
            .map(v -> Map.entry(k, v))));
    return entry.list().ofMaxSize(4).map(entries -> {
      Map<String, Object> m = new LinkedHashMap<>();
      entries.forEach(e -> m.put(e.getKey(), e.getValue()));
      return m;
    });
  }

  /** The paths of undeclared properties, as violations name them; what is under one is not looked at. */
  @SuppressWarnings("unchecked")
  private static void undeclared(String path, Object value, Set<String> out) {
    if (value instanceof Map<?, ?> map) {
      for (Map.Entry<String, Object> e : ((Map<String, Object>) map).entrySet()) {
        StringBuilder b = new StringBuilder(path);
        String k = e.getKey();
        b.append(k.matches("[A-Za-z0-9_-]+") ? "." + k : "[\"" + k + "\"]");
        if (DECLARED.contains(k)) {
          undeclared(b.toString(), e.getValue(), out);
        } else {
          out.add(b.toString());
        }
      }
    } else if (value instanceof List<?> list) {
      List<Object> items = new ArrayList<>(list);
      for (int i = 0; i < items.size(); i++) {
        undeclared(path + "[" + i + "]", items.get(i), out);
      }
    }
  }
}
