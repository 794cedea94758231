package dev.warden.policy.schema.jsonschema;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.dialect.BasicDialectRegistry;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.keyword.KeywordType;
import com.networknt.schema.path.NodePath;
import com.networknt.schema.resource.InputStreamSource;
import com.networknt.schema.resource.SchemaLoader;
import dev.warden.policy.runtime.Violation;
import dev.warden.policy.source.Bundle;
import dev.warden.policy.types.Type;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A route's request body schema given as a JSON Schema file of the bundle
 * (`body json "schemas/new-order.json"`): compiled once with the bundle, then validating each
 * parsed body and typing `request.body` for the checker.
 *
 * <p>Validation is networknt json-schema-validator 2.x: the 2.x line is built on Jackson 2
 * (`com.fasterxml.jackson`), the Jackson the project uses; 3.x moved to Jackson 3
 * (`tools.jackson`), which would put a second Jackson beside ours. Drafts 2020-12 (the default
 * when `$schema` is absent) and 7; any other `$schema` is a compile error.
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>Strict by default</b>: a property the schema does not declare is a violation
 *   (`unknown`) at every level, also through `allOf`, `$ref` and `oneOf` (unevaluated-properties
 *   semantics, see {@link SchemaDocuments}); a schema that says `additionalProperties` or
 *   `unevaluatedProperties` keeps its word; `additional allow` validates the schema as written.
 *   <li><b>No I/O</b>: schemas come from the bundle's bytes only; a reference to anything else
 *   is a compile error, and the validator is given no loader that could fetch one (its loader
 *   serves the prepared bundle files and refuses every other address).
 *   <li><b>Linear-time patterns</b>: `pattern` and `patternProperties` run on re2j; a pattern RE2
 *   cannot run is a compile error.
 *   <li><b>Formats asserted</b>: `uuid`, `email`, `date-time`, `date`, `ipv4`, `ipv6` (2020-12
 *   treats `format` as an annotation unless told); other formats stay annotations.
 *   <li><b>Violations</b> name paths (`body`, `body.items[2].qty`, `body.extra`), never values,
 *   one per path and problem, sorted by path, at most {@link #MAX_VIOLATIONS}.
 *   <li>{@link #validate} is thread-safe and reads nothing but its argument.
 * </ul>
 */
public final class JsonSchemaBody implements dev.warden.policy.schema.RouteSchema.Validator {
  /** The most violations one body reports (a body with 100k unknown fields gives the first 100 by path). */
  public static final int MAX_VIOLATIONS = 100;
  /** Formats that are asserted; every other `format` is an annotation. */
  static final Set<String> ASSERTED_FORMATS = Set.of("uuid", "email", "date-time", "date", "ipv4", "ipv6");
  /** The longest property name a path shows whole; longer ones are cut (a path is not a place for a value). */
  static final int MAX_NAME_IN_PATH = 64;

  private static final Dialect DRAFT_2020_12 = Dialect.builder(Dialects.getDraft202012())
      .formats(formats -> formats.keySet().retainAll(ASSERTED_FORMATS))
      .build();
  /** Draft 7 with `unevaluatedProperties`, which strictness needs (draft 7 has no keyword for it). */
  private static final Dialect DRAFT_7 = Dialect.builder(Dialects.getDraft7())
      .keyword(KeywordType.UNEVALUATED_PROPERTIES)
      .formats(formats -> formats.keySet().retainAll(ASSERTED_FORMATS))
      .build();
  private static final SchemaRegistryConfig CONFIG = SchemaRegistryConfig.builder()
      .formatAssertionsEnabled(true)
      .regularExpressionFactory(Re2jRegularExpressions.INSTANCE)
      .losslessNarrowing(true)
      .preloadSchema(true)
      .cacheRefs(true)
      .build();

  private final Schema schema;
  private final Type type;
  private final Set<String> declaredNames;
  /** The schema as an inline shape, when it says nothing a shape would say otherwise ({@link InlineShapes}); else null. */
  private final dev.warden.policy.schema.Shape fast;
  private final boolean allowAdditional;

  private JsonSchemaBody(Schema schema, Type type, Set<String> declaredNames, dev.warden.policy.schema.Shape fast,
      boolean allowAdditional) {
    this.schema = schema;
    this.type = type;
    this.declaredNames = declaredNames;
    this.fast = fast;
    this.allowAdditional = allowAdditional;
  }

  /** Whether bodies are validated by the inline shape this schema is equivalent to, not by the validator. */
  boolean fast() {
    return fast != null;
  }

  /** The compiled schema, or why there is none: messages naming the file, the JSON pointer and a hint. */
  public record Result(JsonSchemaBody body, List<String> errors) {
    public Result {
      errors = List.copyOf(errors);
    }

    public boolean ok() {
      return body != null;
    }
  }

  /**
   * Compiles the JSON Schema at `path` (bundle-relative, e.g. "schemas/new-order.json") from the
   * bundle's files. `allowAdditional` is the schema block's `additional allow`.
   */
  public static Result compile(String path, Bundle bundle, boolean allowAdditional) {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(bundle, "bundle");
    SchemaDocuments docs = SchemaDocuments.load(path, bundle, !allowAdditional);
    if (!docs.errors.isEmpty()) {
      return new Result(null, docs.errors);
    }
    SchemaRegistry registry = SchemaRegistry.builder()
        .defaultDialectId(docs.rootDraft.id)
        .dialectRegistry(new BasicDialectRegistry(List.of(DRAFT_2020_12, DRAFT_7)))
        .schemaLoader(new SchemaLoader(List.of(), List.of(iri -> {
          byte[] bytes = docs.preparedBytes(iri.toString());
          return bytes == null ? null : (InputStreamSource) () -> new ByteArrayInputStream(bytes);
        }), iri -> iri.toString().startsWith(SchemaDocuments.SCHEME), null))
        .schemaRegistryConfig(CONFIG)
        .build();
    Schema schema;
    try {
      schema = registry.getSchema(SchemaLocation.of(SchemaDocuments.SCHEME + path), docs.prepared.get(path));
      schema.initializeValidators();
    } catch (RuntimeException e) {
      return new Result(null, List.of(path + ": the JSON Schema validator refused the schema: " + e.getMessage()
          + ". Hint: check the keyword it names against the " + docs.rootDraft.display + " specification;"
          + " every reference must name a file of the bundle by a relative path."));
    }
    return new Result(new JsonSchemaBody(schema, BodyTypes.of(docs), Set.copyOf(docs.declaredNames),
        InlineShapes.of(docs), allowAdditional), List.of());
  }

  /** The type `request.body` has for a policy on this route. */
  @Override
  public Type type() {
    return type;
  }

  /**
   * Validates a parsed body (a RequestBody.Parsed value: Map, List, String, Long, BigDecimal,
   * Boolean, null); empty when it is valid. Thread-safe, no I/O.
   */
  @Override
  public List<Violation> validate(Object body) {
    if (fast == null) {
      return validateWithValidator(body);
    }
    if (tooDeep(body, 0)) {
      return List.of(new Violation("body", "depth"));
    }
    dev.warden.policy.schema.Shape.Check c = new dev.warden.policy.schema.Shape.Check(allowAdditional, MAX_VIOLATIONS);
    fast.validate(body, dev.warden.policy.schema.FieldPath.root("body"), c);
    List<Violation> found = c.violations();
    return found.isEmpty() ? found : found.stream()
        .sorted(Comparator.comparing(Violation::path).thenComparing(Violation::problem)).toList();
  }

  /** Whether the value nests deeper than the parser allows (looked at no deeper than that). */
  private static boolean tooDeep(Object v, int depth) {
    if (!(v instanceof Map<?, ?>) && !(v instanceof List<?>)) {
      return false;
    }
    if (depth >= dev.warden.policy.runtime.RequestBody.MAX_DEPTH) {
      return true;
    }
    Iterable<?> children = v instanceof Map<?, ?> m ? m.values() : (List<?>) v;
    for (Object c : children) {
      if (tooDeep(c, depth + 1)) {
        return true;
      }
    }
    return false;
  }

  /** Validates with networknt's validator, whether or not the schema has a fast path (tests compare the two). */
  List<Violation> validateWithValidator(Object body) {
    JsonNode node;
    try {
      node = JsonValues.toNode(body);
    } catch (JsonValues.TooDeep e) {
      return List.of(new Violation("body", "depth"));
    }
    List<com.networknt.schema.Error> errors = schema.validate(node);
    if (errors.isEmpty()) {
      return List.of();
    }
    Set<Violation> found = new LinkedHashSet<>();
    List<Violation> unknown = new ArrayList<>();
    List<String> unknownNames = new ArrayList<>();
    List<String> unknownObjects = new ArrayList<>();
    // Objects in which something failed: every object on the path of a violation, and every
    // object above the object of an unknown property.
    Set<String> failing = new HashSet<>();
    for (com.networknt.schema.Error e : errors) {
      String keyword = e.getKeyword() == null ? "" : e.getKeyword();
      String problem = problem(keyword);
      String property = member(keyword, e);
      boolean names = property != null;
      List<String> prefixes = prefixes(e.getInstanceLocation(), property);
      Violation v = new Violation(prefixes.get(prefixes.size() - 1), problem);
      if (problem.equals("unknown") && names) {
        unknown.add(v);
        unknownNames.add(e.getProperty());
        unknownObjects.add(prefixes.get(prefixes.size() - 2));
        failing.addAll(prefixes.subList(0, prefixes.size() - 2));
      } else {
        found.add(v);
        failing.addAll(prefixes);
      }
    }
    // A subschema that fails drops what it evaluated (the specification's rule), so a declared
    // property can look unevaluated when something else in its object failed. An unknown
    // property is reported when nothing else in its object failed, or when no `properties` of
    // the schema declares its name (the body is invalid either way).
    for (int i = 0; i < unknown.size(); i++) {
      if (!declaredNames.contains(unknownNames.get(i)) || !failing.contains(unknownObjects.get(i))) {
        found.add(unknown.get(i));
      }
    }
    return found.stream()
        .sorted(Comparator.comparing(Violation::path).thenComparing(Violation::problem))
        .limit(MAX_VIOLATIONS)
        .toList();
  }

  /**
   * The member of the failing object a violation names: the undeclared or the missing one (for
   * `dependentRequired` the missing one, not the one that made it required); null when the
   * violation is about the value at the location itself (draft 7 `dependencies` does not say
   * which member is missing, so it names the object).
   */
  private static String member(String keyword, com.networknt.schema.Error e) {
    return switch (keyword) {
      case "required", "additionalProperties", "unevaluatedProperties" -> e.getProperty();
      case "dependentRequired" -> e.getArguments() != null && e.getArguments().length > 0
          && e.getArguments()[0] instanceof String missing ? missing : null;
      default -> null;
    };
  }

  /** The problem code for the keyword that failed. */
  static String problem(String keyword) {
    return switch (keyword) {
      case "additionalProperties", "unevaluatedProperties", "propertyNames", "false" -> "unknown";
      case "required", "dependentRequired", "dependencies" -> "required";
      case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf" -> "range";
      case "minLength", "maxLength" -> "length";
      case "pattern" -> "pattern";
      case "format" -> "format";
      case "enum", "const" -> "enum";
      case "minItems", "maxItems", "uniqueItems", "contains", "minContains", "maxContains", "additionalItems",
          "unevaluatedItems", "items", "prefixItems", "minProperties", "maxProperties" -> "items";
      default -> "type";
    };
  }

  /** `body` then the instance location: `.name` for a member, `[i]` for an item. */
  static String path(NodePath location, String property) {
    List<String> all = prefixes(location, property);
    return all.get(all.size() - 1);
  }

  /** The path of every object on the way to the location, from `body`; the last is the location's. */
  private static List<String> prefixes(NodePath location, String property) {
    List<String> out = new ArrayList<>(location.getNameCount() + 2);
    StringBuilder b = new StringBuilder("body");
    out.add(b.toString());
    for (int i = 0; i < location.getNameCount(); i++) {
      Object element = location.getElement(i);
      if (element instanceof Integer index) {
        b.append('[').append(index).append(']');
      } else {
        name(b, String.valueOf(element));
      }
      out.add(b.toString());
    }
    if (property != null) {
      name(b, property);
      out.add(b.toString());
    }
    return out;
  }

  private static void name(StringBuilder b, String name) {
    boolean plain = !name.isEmpty() && name.length() <= MAX_NAME_IN_PATH;
    for (int i = 0; plain && i < name.length(); i++) {
      char c = name.charAt(i);
      plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-';
    }
    if (plain) {
      b.append('.').append(name);
      return;
    }
    String shown = name.length() > MAX_NAME_IN_PATH
        ? name.substring(0, name.offsetByCodePoints(0, Math.min(name.codePointCount(0, name.length()), MAX_NAME_IN_PATH))) + "…"
        : name;
    b.append("[\"");
    shown.codePoints().forEach(c -> {
      if (c == '"' || c == '\\') {
        b.append('\\').appendCodePoint(c);
      } else if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\u%04x", c));
      } else {
        b.appendCodePoint(c);
      }
    });
    b.append("\"]");
  }

  @Override
  public String toString() {
    return "JsonSchemaBody" + Map.of("type", type.display());
  }
}
