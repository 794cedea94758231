package dev.warden.server.openapi;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * One OpenAPI 3.0 or 3.1 document, read by swagger-parser, with its operations in document
 * order (paths as written, methods in swagger-parser's fixed order: GET, PUT, POST, DELETE,
 * OPTIONS, HEAD, PATCH, TRACE), so that the same file always gives the same operations in the
 * same order. References are resolved within the file only: nothing is ever fetched, and a
 * `$ref` to another file or URL is an {@link OpenApiException}.
 */
public final class OpenApiSpec {
  /** Most characters of a document read (its YAML reader otherwise stops at 3 MB). */
  static final int MAX_CODE_POINTS = 256 * 1024 * 1024;

  /**
   * One operation: its method in capitals, its path as the spec writes it, its `operationId` or
   * null, whether it is deprecated, its parameters (the path item's and its own, the operation's
   * winning by name and location, references resolved), and its JSON node in the document.
   */
  public record Operation(String method, String path, String operationId, boolean deprecated,
      List<Parameter> parameters, JsonNode node) {}

  private final String fileName;
  private final OpenAPI api;
  private final JsonNode root;
  private final List<String> warnings;
  private final List<Operation> operations;

  private OpenApiSpec(String fileName, OpenAPI api, JsonNode root, List<String> warnings) throws OpenApiException {
    this.fileName = fileName;
    this.api = api;
    this.root = root;
    this.warnings = warnings;
    this.operations = collect();
  }

  /**
   * Reads {@code file}: YAML or JSON, optionally gzipped (`.gz`). Throws with the parser's own
   * messages (and the line and column, for YAML and JSON syntax) when it is not a usable
   * OpenAPI 3.0 or 3.1 document; problems swagger-parser reports about a document it could
   * still read are {@link #warnings()}.
   */
  public static OpenApiSpec read(Path file) throws OpenApiException {
    String name = file.getFileName().toString();
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
      if (name.endsWith(".gz")) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
          bytes = in.readAllBytes();
        }
      }
    } catch (IOException e) {
      throw new OpenApiException(file + ": cannot read the OpenAPI document: " + e.getMessage(), e);
    }
    return parse(name.endsWith(".gz") ? name.substring(0, name.length() - 3) : name, file.toString(),
        new String(bytes, StandardCharsets.UTF_8));
  }

  /** Parses a document's text; {@code shown} names it in messages. */
  static OpenApiSpec parse(String fileName, String shown, String text) throws OpenApiException {
    JsonNode root = tree(shown, text);
    if (!root.isObject()) {
      throw new OpenApiException(shown + ": not an OpenAPI document: the top level is not a mapping");
    }
    String version = root.path("openapi").asText("");
    if (root.has("swagger")) {
      throw new OpenApiException(shown + ": this is a Swagger " + root.path("swagger").asText() + " document;"
          + " warden openapi reads OpenAPI 3.0 and 3.1 (convert it first, e.g. with swagger-converter)");
    }
    if (!version.startsWith("3.0") && !version.startsWith("3.1")) {
      throw new OpenApiException(shown + ": " + (version.isEmpty() ? "no `openapi` version field"
          : "OpenAPI version `" + version + "`") + ": warden openapi reads OpenAPI 3.0 and 3.1 documents"
          + " (the first line is usually `openapi: 3.0.3` or `openapi: 3.1.0`)");
    }
    ParseOptions options = new ParseOptions();
    options.setResolve(false);
    SwaggerParseResult result;
    try {
      result = new OpenAPIV3Parser().readContents(text, null, options);
    } catch (RuntimeException e) {
      throw new OpenApiException(shown + ": swagger-parser could not read the document: " + e.getMessage(), e);
    }
    List<String> messages = result.getMessages() == null ? List.of() : List.copyOf(result.getMessages());
    if (result.getOpenAPI() == null) {
      throw new OpenApiException(shown + ": not a usable OpenAPI document"
          + (messages.isEmpty() ? "" : ":\n  " + String.join("\n  ", messages)));
    }
    return new OpenApiSpec(fileName, result.getOpenAPI(), root, messages);
  }

  private static JsonNode tree(String shown, String text) throws OpenApiException {
    String trimmed = text.stripLeading();
    ObjectMapper mapper;
    if (trimmed.startsWith("{")) {
      mapper = new ObjectMapper();
    } else {
      LoaderOptions loader = new LoaderOptions();
      loader.setCodePointLimit(MAX_CODE_POINTS);
      mapper = new ObjectMapper(YAMLFactory.builder().loaderOptions(loader).build());
    }
    try {
      JsonNode node = mapper.readTree(text);
      if (node == null || node.isMissingNode()) {
        throw new OpenApiException(shown + ": the file is empty, not an OpenAPI document");
      }
      return node;
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
      throw new OpenApiException(shown + where + ": not valid " + (trimmed.startsWith("{") ? "JSON" : "YAML") + ": "
          + e.getOriginalMessage(), e);
    }
  }

  private List<Operation> collect() throws OpenApiException {
    List<Operation> out = new ArrayList<>();
    if (api.getPaths() == null) {
      return out;
    }
    for (Map.Entry<String, PathItem> path : api.getPaths().entrySet()) {
      PathItem item = path.getValue();
      String source = path.getKey();
      for (int hops = 0; item != null && item.get$ref() != null; hops++) {
        String ref = item.get$ref();
        if (!ref.startsWith("#/paths/") || hops > 32) {
          throw new OpenApiException(fileName + ": path `" + path.getKey() + "` is a reference (`$ref: " + ref
              + "`) to another file: warden openapi reads one self-contained document (bundle it first, e.g. with"
              + " `redocly bundle`)");
        }
        source = ref.substring("#/paths/".length()).replace("~1", "/").replace("~0", "~");
        item = api.getPaths().get(source);
      }
      if (item == null) {
        throw new OpenApiException(fileName + ": path `" + path.getKey() + "` refers to path `" + source
            + "`, which the document does not have");
      }
      for (Map.Entry<PathItem.HttpMethod, io.swagger.v3.oas.models.Operation> op : item.readOperationsMap().entrySet()) {
        String method = op.getKey().name().toUpperCase(Locale.ROOT);
        Map<String, Parameter> params = new LinkedHashMap<>();
        for (List<Parameter> list : java.util.Arrays.asList(item.getParameters(), op.getValue().getParameters())) {
          if (list != null) {
            for (Parameter p : list) {
              Parameter resolved = parameter(p);
              params.put(resolved.getIn() + " " + resolved.getName(), resolved);
            }
          }
        }
        JsonNode node = root.path("paths").path(source).path(method.toLowerCase(Locale.ROOT));
        out.add(new Operation(method, path.getKey(), op.getValue().getOperationId(),
            Boolean.TRUE.equals(op.getValue().getDeprecated()), List.copyOf(params.values()), node));
      }
    }
    return out;
  }

  private Parameter parameter(Parameter p) throws OpenApiException {
    for (int hops = 0; p.get$ref() != null; hops++) {
      String ref = p.get$ref();
      String name = local(ref, "#/components/parameters/");
      Parameter target = api.getComponents() == null || api.getComponents().getParameters() == null ? null
          : api.getComponents().getParameters().get(name);
      if (target == null || hops > 32) {
        throw new OpenApiException(fileName + ": parameter reference `" + ref + "` points to no parameter"
            + " (or to a cycle) in #/components/parameters");
      }
      p = target;
    }
    if (p.getName() == null || p.getIn() == null) {
      throw new OpenApiException(fileName + ": a parameter has no `name` or no `in` (every parameter needs both)");
    }
    return p;
  }

  /** The schema a `$ref` names in `#/components/schemas`, followed until it is no reference; null if none. */
  Schema<?> schema(Schema<?> s) {
    for (int hops = 0; s != null && s.get$ref() != null && hops < 32; hops++) {
      String ref = s.get$ref();
      if (!ref.startsWith("#/components/schemas/") || api.getComponents() == null
          || api.getComponents().getSchemas() == null) {
        return null;
      }
      s = api.getComponents().getSchemas().get(ref.substring("#/components/schemas/".length()));
    }
    return s != null && s.get$ref() != null ? null : s;
  }

  private String local(String ref, String prefix) throws OpenApiException {
    if (!ref.startsWith("#")) {
      throw new OpenApiException(fileName + ": `$ref: " + ref + "` points outside the file: warden openapi reads one"
          + " self-contained document (bundle it first, e.g. with `redocly bundle`)");
    }
    return ref.startsWith(prefix) ? ref.substring(prefix.length()) : ref;
  }

  /** The file name of the document, without directories and without `.gz`. */
  public String fileName() {
    return fileName;
  }

  /** Whether the document is OpenAPI 3.1 (its schemas are then JSON Schema 2020-12 already). */
  public boolean is31() {
    return root.path("openapi").asText().startsWith("3.1");
  }

  /** `info.title`, or the file name when there is none. */
  public String title() {
    String t = api.getInfo() == null ? null : api.getInfo().getTitle();
    return t == null || t.isBlank() ? fileName : t.strip();
  }

  /** `info.version`, or null. */
  public String version() {
    return api.getInfo() == null ? null : api.getInfo().getVersion();
  }

  /** The owner the spec names: `info.contact.name`, else `info.contact.email`, else null. */
  public String owner() {
    if (api.getInfo() == null || api.getInfo().getContact() == null) {
      return null;
    }
    String name = api.getInfo().getContact().getName();
    if (name != null && !name.isBlank()) {
      return name.strip();
    }
    String email = api.getInfo().getContact().getEmail();
    return email == null || email.isBlank() ? null : email.strip();
  }

  /** The operations, in document order. */
  public List<Operation> operations() {
    return operations;
  }

  /** What swagger-parser reported about a document it could still read. */
  public List<String> warnings() {
    return warnings;
  }

  /** The document as a JSON tree, as written (references not resolved). */
  public JsonNode root() {
    return root;
  }
}
