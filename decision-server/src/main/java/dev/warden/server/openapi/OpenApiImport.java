package dev.warden.server.openapi;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.swagger.v3.oas.models.parameters.Parameter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * `warden openapi import`: an OpenAPI document as the generated part of a Warden bundle. One
 * `api` block with one route per operation Warden can route (an operation it cannot, a TRACE or
 * one whose path Warden cannot tell from another's, is a comment saying why), and a `schema`
 * block for each operation with query or header parameters or a JSON body, the body as a
 * self-contained JSON Schema 2020-12 file.
 *
 * <p>What it guarantees: {@link #render} depends only on the document and the options, so the
 * same document always gives byte-identical files; {@link #write} changes only `openapi.warden`,
 * the files under `schemas/openapi/` and, when there is none yet, `bundle.yaml`: hand-written
 * files in the bundle are never touched.
 */
public final class OpenApiImport {
  /** The generated policy file, relative to the bundle. */
  public static final String POLICY_FILE = "openapi.warden";
  /** The folder of the generated body schemas, relative to the bundle. */
  public static final String SCHEMA_DIR = "schemas/openapi";

  /** The methods a Warden route may have: an operation with another (TRACE) gets no route. */
  public static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");
  /** Header parameters OpenAPI says are ignored: the HTTP machinery owns them. */
  private static final Set<String> IGNORED_HEADERS = Set.of("accept", "content-type", "authorization");
  /** Longest line of a query or headers block before it is written one field a line. */
  private static final int LINE = 100;
  /** Widest path column before route comments: longer paths push their comment right. */
  private static final int PATH_COLUMN = 60;

  /** `--package` and `--owner`; null means "from the spec". */
  public record Options(String packageName, String owner) {}

  /**
   * The files an import writes: the policy text, each body schema by its file name under
   * `schemas/openapi/` (in name order), the number of operations in the spec, of routes
   * declared and of schema blocks, and the operations left out, each with the reason.
   */
  public record Result(String policy, Map<String, String> schemas, int operations, int routes, int schemaBlocks,
      List<String> leftOut) {}

  private record Route(String name, String method, String path, OpenApiSpec.Operation op, List<String> notes) {}

  private OpenApiImport() {}

  /** The generated files for {@code spec}. */
  public static Result render(OpenApiSpec spec, Options options) throws OpenApiException {
    String pkg = options.packageName() != null ? options.packageName() : WardenNames.snake(spec.title(), "openapi");
    String problem = packageProblem(pkg);
    if (problem != null) {
      throw new OpenApiException(problem);
    }
    String owner = options.owner() != null ? options.owner() : spec.owner();

    List<Route> routes = new ArrayList<>();
    List<String> leftOut = new ArrayList<>();
    List<String> leftOutLines = new ArrayList<>();
    WardenNames.Unique names = new WardenNames.Unique();
    Map<String, String> shapes = new HashMap<>();
    for (OpenApiSpec.Operation op : spec.operations()) {
      String what = op.method() + " " + op.path() + (op.operationId() == null ? "" : " (" + op.operationId() + ")");
      if (!METHODS.contains(op.method())) {
        String why = what + ": left out: Warden routes have no " + op.method() + " method";
        leftOut.add(why);
        leftOutLines.add(why);
        continue;
      }
      RouteTemplates.Converted path = RouteTemplates.toWarden(op.path(), pathTypes(op, spec));
      String key = op.method() + " " + typedShape(path.path());
      String name = names.take(baseName(op));
      String clash = shapes.putIfAbsent(key, name);
      if (clash != null) {
        String why = what + ": left out: route `" + clash + "` has the same method and path shape (" + path.path()
            + "), which Warden cannot tell apart";
        leftOut.add(why);
        leftOutLines.add(why);
        continue;
      }
      List<String> notes = new ArrayList<>(path.notes());
      if (op.deprecated()) {
        notes.add(0, "deprecated");
      }
      routes.add(new Route(name, op.method(), path.path(), op, notes));
    }

    StringBuilder out = new StringBuilder();
    out.append("// Generated by `warden openapi import` from ").append(Emit.comment(spec.fileName()))
        .append(": overwritten on every re-import, so write roles and rules in other files.\n");
    out.append("// ").append(Emit.comment(spec.title())).append(spec.version() == null ? "" : " " + Emit.comment(spec.version()))
        .append(": ").append(spec.operations().size()).append(" operation(s), ").append(routes.size()).append(" route(s)\n");
    out.append("package ").append(pkg).append("\n\n");
    out.append("api ").append(Emit.quote(spec.title()));
    if (owner != null) {
      out.append(" owner ").append(Emit.quote(owner));
    }
    out.append(" {\n");
    int nameWidth = routes.stream().mapToInt(r -> r.name().length()).max().orElse(0);
    int pathWidth = Math.min(PATH_COLUMN, routes.stream().mapToInt(r -> r.path().length()).max().orElse(0));
    for (Route r : routes) {
      String line = String.format(Locale.ROOT, "  route %-" + nameWidth + "s %-7s %s", r.name(), r.method(),
          r.notes().isEmpty() ? r.path() : String.format(Locale.ROOT, "%-" + pathWidth + "s", r.path()));
      if (!r.notes().isEmpty()) {
        line += "  // " + Emit.comment(String.join("; ", r.notes()));
      }
      out.append(line).append('\n');
    }
    for (String why : leftOutLines) {
      out.append("  // ").append(Emit.comment(why)).append('\n');
    }
    out.append("}\n");

    Map<String, String> schemaFiles = new TreeMap<>();
    int blocks = 0;
    ObjectWriter json = jsonWriter();
    for (Route r : routes) {
      String block = schemaBlock(r, spec, schemaFiles, json);
      if (block != null) {
        out.append('\n').append(block);
        blocks += block.startsWith("schema ") ? 1 : 0;
      }
    }
    return new Result(out.toString(), schemaFiles, spec.operations().size(), routes.size(), blocks, List.copyOf(leftOut));
  }

  /** Why {@code pkg} cannot be a package name (`shop.orders`), or null when it can. */
  public static String packageProblem(String pkg) {
    if (pkg.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*")
        && java.util.Arrays.stream(pkg.split("\\.")).noneMatch(WardenNames.KEYWORDS::contains)) {
      return null;
    }
    return "`" + pkg + "` is not a Warden package name: names are letters, digits and `_`, not starting with a digit,"
        + " dotted for nesting (`shop.orders`), and not keywords";
  }

  /**
   * Writes {@code result} into the bundle {@code dir} (created when missing): `openapi.warden`,
   * `schemas/openapi/*.json` (removing the `.json` files there no longer generated), and a
   * `bundle.yaml` only when the bundle has none. A file whose content is already the same is
   * not rewritten.
   */
  public static void write(Result result, Path dir, String specName) throws IOException {
    Files.createDirectories(dir);
    writeIfChanged(dir.resolve(POLICY_FILE), result.policy());
    Path schemas = dir.resolve(SCHEMA_DIR);
    if (!result.schemas().isEmpty()) {
      Files.createDirectories(schemas);
    }
    if (Files.isDirectory(schemas)) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(schemas, "*.json")) {
        for (Path f : files) {
          if (!result.schemas().containsKey(f.getFileName().toString())) {
            Files.delete(f);
          }
        }
      }
    }
    for (Map.Entry<String, String> e : result.schemas().entrySet()) {
      writeIfChanged(schemas.resolve(e.getKey()), e.getValue());
    }
    Path manifest = dir.resolve("bundle.yaml");
    if (!Files.exists(manifest)) {
      Files.writeString(manifest, "# Created by `warden openapi import` from " + Emit.comment(specName)
          + "; yours to edit (re-imports leave it alone).\n# Settings: docs/language.md, \"bundle.yaml\".\n"
          + "undeclared_status: 404\n", StandardCharsets.UTF_8);
    }
  }

  private static void writeIfChanged(Path file, String content) throws IOException {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    if (Files.isRegularFile(file) && java.util.Arrays.equals(Files.readAllBytes(file), bytes)) {
      return;
    }
    Files.write(file, bytes);
  }

  private static String baseName(OpenApiSpec.Operation op) {
    if (op.operationId() != null && !op.operationId().isBlank()) {
      return WardenNames.camel(op.operationId(), "operation");
    }
    StringBuilder b = new StringBuilder(op.method().toLowerCase(Locale.ROOT));
    for (String part : op.path().split("/")) {
      if (part.isEmpty()) {
        continue;
      }
      if (part.startsWith("{") && part.endsWith("}")) {
        b.append("By").append(WardenNames.capitalize(WardenNames.camel(part, "param")));
      } else {
        b.append(WardenNames.capitalize(WardenNames.camel(part, "")));
      }
    }
    if (b.length() == op.method().length()) {
      b.append("Root");
    }
    return WardenNames.camel(b.toString(), "operation");
  }

  /** The path with parameter names dropped and types kept: what Warden's route conflict compares. */
  private static String typedShape(String wardenPath) {
    return wardenPath.replaceAll("\\{[A-Za-z0-9_]+(:[a-z]+)?}", "{$1}");
  }

  private static Map<String, RouteTemplates.ParamType> pathTypes(OpenApiSpec.Operation op, OpenApiSpec spec) {
    Map<String, RouteTemplates.ParamType> types = new HashMap<>();
    for (Parameter p : op.parameters()) {
      if (!"path".equals(p.getIn())) {
        continue;
      }
      var s = spec.schema(p.getSchema());
      String type = s == null ? null : Shapes.type(s);
      if ("integer".equals(type)) {
        types.put(p.getName(), RouteTemplates.ParamType.INT);
      } else if ("string".equals(type) && "uuid".equals(s.getFormat())) {
        types.put(p.getName(), RouteTemplates.ParamType.UUID);
      }
    }
    return types;
  }

  private static String schemaBlock(Route r, OpenApiSpec spec, Map<String, String> files, ObjectWriter json)
      throws OpenApiException {
    List<String> lines = new ArrayList<>();
    List<String> query = new ArrayList<>();
    List<String> headers = new ArrayList<>();
    boolean objectQuery = false;
    for (Parameter p : r.op().parameters()) {
      String in = p.getIn();
      if ("query".equals(in)) {
        Shapes.Shape shape = Shapes.of(p.getSchema(), spec, "query " + p.getName());
        boolean oneValue = Boolean.FALSE.equals(p.getExplode()) && p.getStyle() != Parameter.StyleEnum.DEEPOBJECT;
        if (Shapes.isObject(p.getSchema(), spec) && oneValue) {
          lines.add("  // query " + Emit.comment(p.getName()) + " is an object in one value (`k,v,k,v`): taken as `string`");
          query.add(field(p.getName(), "string", Boolean.TRUE.equals(p.getRequired())));
          continue;
        }
        if (Shapes.isObject(p.getSchema(), spec)) {
          objectQuery = true;
          lines.add("  // query " + Emit.comment(p.getName()) + " is an object: its fields arrive as query parameters"
              + " of their own, which Warden's query shapes cannot name");
          continue;
        }
        String text = shape.text();
        boolean delimited = p.getStyle() == Parameter.StyleEnum.SPACEDELIMITED || p.getStyle() == Parameter.StyleEnum.PIPEDELIMITED
            || Boolean.FALSE.equals(p.getExplode());
        if (text.startsWith("list<") && delimited) {
          lines.add("  // query " + Emit.comment(p.getName()) + " is a list in one value (`a,b`, not `?x=a&x=b`):"
              + " taken as `string`");
          text = "string";
        } else {
          shape.notes().forEach(n -> lines.add("  // " + Emit.comment(n)));
        }
        query.add(field(p.getName(), text, Boolean.TRUE.equals(p.getRequired())));
      } else if ("header".equals(in)) {
        String name = p.getName().toLowerCase(Locale.ROOT);
        if (IGNORED_HEADERS.contains(name)) {
          continue;
        }
        Shapes.Shape shape = Shapes.of(p.getSchema(), spec, "header " + p.getName());
        shape.notes().forEach(n -> lines.add("  // " + Emit.comment(n)));
        headers.add(field(name, shape.text(), Boolean.TRUE.equals(p.getRequired())));
      }
    }
    if (!query.isEmpty()) {
      lines.add(record("  query   ", query));
    }
    if (!headers.isEmpty()) {
      lines.add(record("  headers ", headers));
    }
    String where = spec.fileName() + " " + r.method() + " " + r.op().path();
    JsonNode body = requestBody(r.op().node().path("requestBody"), spec.root(), where);
    boolean bodyLine = false;
    if (!body.isMissingNode()) {
      String jsonType = null;
      List<String> others = new ArrayList<>();
      Iterator<String> types = body.path("content").fieldNames();
      while (types.hasNext()) {
        String t = types.next();
        if (jsonType == null && isJson(t)) {
          jsonType = t;
        } else {
          others.add(t);
        }
      }
      boolean optional = !body.path("required").asBoolean(false);
      if (jsonType != null && body.path("content").path(jsonType).has("schema")) {
        String file = r.name() + ".json";
        JsonNode schema = body.path("content").path(jsonType).path("schema");
        files.put(file, pretty(json, JsonSchemas.export(spec.root(), schema, !spec.is31(), where)));
        if (!others.isEmpty()) {
          lines.add("  // the spec also accepts " + Emit.comment(String.join(", ", others))
              + " bodies: left out, and refused (415) while this JSON body schema holds");
        }
        if (optional) {
          lines.add("  // the spec makes the body optional (requestBody.required is not true)");
        }
        lines.add("  body json " + Emit.quote(SCHEMA_DIR + "/" + file));
        bodyLine = true;
      } else if (jsonType != null) {
        lines.add("  // the " + Emit.comment(jsonType) + " body has no schema in the spec: left out");
      } else if (!others.isEmpty()) {
        lines.add("  // body of type " + Emit.comment(String.join(", ", others)) + ": left out (Warden's body schemas are JSON)");
      }
    }
    boolean allow = objectQuery && !query.isEmpty();
    if (allow) {
      lines.add("  // so undeclared query parameters must pass" + (bodyLine ? " (and so, with them, undeclared body fields)" : ""));
      lines.add("  additional allow");
    }
    if (query.isEmpty() && headers.isEmpty() && !bodyLine) {
      if (lines.isEmpty()) {
        return null;
      }
      StringBuilder b = new StringBuilder("// ").append(r.name()).append(": no schema\n");
      lines.forEach(l -> b.append("//").append(l.substring(4)).append('\n'));
      return b.toString();
    }
    StringBuilder b = new StringBuilder("schema ").append(r.name()).append(" {\n");
    lines.forEach(l -> b.append(l).append('\n'));
    return b.append("}\n").toString();
  }

  /** `query { a: S, b?: S }` on one line when it fits in {@link #LINE} characters, else one field a line. */
  private static String record(String head, List<String> fields) {
    String one = head + "{ " + String.join(", ", fields) + " }";
    if (one.length() <= LINE) {
      return one;
    }
    return head.stripTrailing() + " {\n    " + String.join(",\n    ", fields) + "\n  }";
  }

  /** The request body node, following `$ref`s to `#/components/requestBodies`; missing when there is none. */
  private static JsonNode requestBody(JsonNode body, JsonNode root, String where) throws OpenApiException {
    for (int hops = 0; body.has("$ref"); hops++) {
      String ref = body.path("$ref").asText();
      if (!ref.startsWith("#/") || hops > 32) {
        throw new OpenApiException(where + ": request body `$ref: " + ref + "` points outside the file (or loops):"
            + " warden openapi reads one self-contained document");
      }
      JsonNode target = root.at(ref.substring(1));
      if (target.isMissingNode()) {
        throw new OpenApiException(where + ": request body `$ref: " + ref + "` points to nothing in the document");
      }
      body = target;
    }
    return body;
  }

  /** `application/json`, `application/…+json`, with or without parameters. */
  static boolean isJson(String mediaType) {
    String base = mediaType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    return base.equals("application/json") || base.startsWith("application/") && base.endsWith("+json");
  }

  /** A field of a query or headers block: `name: S` when required, `name?: S` when not. */
  static String field(String name, String shape, boolean required) {
    return Emit.field(name) + (required ? "" : "?") + ": " + shape;
  }

  private static ObjectWriter jsonWriter() {
    DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
        .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
        .withObjectIndenter(new DefaultIndenter("  ", "\n"))
        .withArrayIndenter(new DefaultIndenter("  ", "\n"));
    return new ObjectMapper().writer(printer);
  }

  private static String pretty(ObjectWriter json, JsonNode node) throws OpenApiException {
    try {
      return json.writeValueAsString(node) + "\n";
    } catch (IOException e) {
      throw new OpenApiException("cannot write a body schema: " + e.getMessage(), e);
    }
  }
}
