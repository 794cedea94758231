package dev.warden.policy.schema.jsonschema;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.warden.policy.source.Bundle;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The JSON Schema files one body schema is made of: the file a `schema` block names and every
 * bundle file its `$ref`s reach, read from the bundle's bytes, checked, and prepared for the
 * validator. Nothing outside the bundle is read: a reference that leaves it (an `http:` or
 * `https:` address, a path above the bundle root, a file the bundle lacks) is an error here,
 * before the validator ever sees the schema.
 *
 * <p>Checks, each reported with the file, the JSON pointer in it, what is wrong and a hint: the
 * file is valid JSON (no duplicate keys), says a `$schema` Warden supports (2020-12, the
 * default, or draft 7), is a valid schema by its draft's meta-schema, has patterns RE2 can run,
 * and references only what exists.
 *
 * <p>Preparing, when strict: every schema that applies to a value of its own (the root, the
 * values of `properties`, `patternProperties`, `additionalProperties`, `items`, `prefixItems`,
 * `additionalItems`, `unevaluated*`) and says neither `additionalProperties` nor
 * `unevaluatedProperties` gets `unevaluatedProperties: false`. Unevaluated, not additional: a
 * property counts as declared when any in-place part of the schema declares it (`allOf`, the
 * passing branch of `anyOf`/`oneOf`, `$ref`, `if`/`then`), so composed objects stay strict
 * without breaking. Schemas only reached in place (`$defs`, `allOf` branches) are left as
 * written. In draft 7, where the siblings of `$ref` are ignored, `{"$ref": R}` becomes
 * `{"allOf": [{"$ref": R}], "unevaluatedProperties": false}` (its other assertions were ignored
 * and stay so). Referenced files without `$schema` are read with the root file's draft.
 *
 * <p>Always, strict or not: a schema whose `type` is `integer` and that does not bound it gets
 * the 64-bit bounds (`minimum` {@code Long.MIN_VALUE}, `maximum` {@code Long.MAX_VALUE}), since
 * such a value is a Warden `int`: a larger integer is a `range` violation, not a body the policy
 * could not read.
 */
final class SchemaDocuments {
  /** The scheme the validator sees bundle files under: `warden-bundle:/schemas/x.json`. */
  static final String SCHEME = "warden-bundle:/";

  static final ObjectMapper JSON = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .build();

  /** The drafts Warden reads; each is named by the `$schema` the validator knows it by. */
  enum Draft {
    DRAFT_2020_12("https://json-schema.org/draft/2020-12/schema", "2020-12"),
    DRAFT_7("http://json-schema.org/draft-07/schema#", "draft 7");

    final String id;
    final String display;

    Draft(String id, String display) {
      this.id = id;
      this.display = display;
    }

    static Draft of(String schema) {
      String s = schema.endsWith("#") ? schema.substring(0, schema.length() - 1) : schema;
      return switch (s) {
        case "https://json-schema.org/draft/2020-12/schema" -> DRAFT_2020_12;
        case "http://json-schema.org/draft-07/schema", "https://json-schema.org/draft-07/schema" -> DRAFT_7;
        default -> null;
      };
    }
  }

  /** A schema found by a reference: the file and pointer it is at, and the node. */
  record Target(String file, String pointer, JsonNode node) {}

  private record Ref(String file, String pointer, String ref) {}

  /** The keywords whose value is one schema applied to values of its own (instance position). */
  private static final Set<String> ONE_FOR_VALUES = Set.of("additionalProperties", "unevaluatedProperties",
      "additionalItems", "unevaluatedItems");
  /** The keywords whose value is one schema applied in place, or to something other than a member. */
  private static final Set<String> ONE_IN_PLACE = Set.of("not", "if", "then", "else", "contains", "propertyNames",
      "contentSchema");
  private static final Set<String> LIST_IN_PLACE = Set.of("allOf", "anyOf", "oneOf");
  private static final Set<String> MAP_FOR_VALUES = Set.of("properties", "patternProperties");
  private static final Set<String> MAP_IN_PLACE = Set.of("$defs", "definitions", "dependentSchemas", "dependencies");
  /** Keywords that assert or annotate nothing about a value: a schema of only these accepts anything. */
  private static final Set<String> NOT_ASSERTING = Set.of("$schema", "$id", "$anchor", "$dynamicAnchor", "$comment",
      "$defs", "definitions", "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly",
      "$vocabulary");
  /** What a draft 7 `{"$ref"}` keeps when it is wrapped (its other siblings were ignored). */
  private static final Set<String> KEPT_BESIDE_REF = Set.of("$schema", "$id", "$comment", "definitions", "title",
      "description", "default", "examples", "readOnly", "writeOnly");
  private static final int MAX_META_ERRORS = 10;

  final String root;
  final Draft rootDraft;
  /** Each file as written (for the types), by bundle path. */
  final Map<String, JsonNode> original = new LinkedHashMap<>();
  /** Each file as the validator reads it (strict, `$schema` set), by bundle path. */
  final Map<String, JsonNode> prepared = new LinkedHashMap<>();
  final Map<String, Draft> drafts = new HashMap<>();
  /** Every name any `properties` of these files declares. */
  final Set<String> declaredNames = new TreeSet<>();
  final List<String> errors = new ArrayList<>();

  private final Bundle bundle;
  private final boolean strict;
  private final List<Ref> refs = new ArrayList<>();
  private final Map<String, Target> anchors = new HashMap<>();
  private final Map<String, Target> ids = new HashMap<>();
  private final Deque<String> pending = new ArrayDeque<>();

  private SchemaDocuments(String root, Bundle bundle, boolean strict) {
    this.root = root;
    this.bundle = bundle;
    this.strict = strict;
    JsonNode rootNode = read(root, null);
    Draft draft = Draft.DRAFT_2020_12;
    if (rootNode != null) {
      draft = draftOf(root, rootNode, Draft.DRAFT_2020_12);
    }
    this.rootDraft = draft == null ? Draft.DRAFT_2020_12 : draft;
    if (rootNode != null && draft != null) {
      walkFile(root, rootNode, draft);
    }
    while (!pending.isEmpty()) {
      String file = pending.pop();
      if (original.containsKey(file)) {
        continue;
      }
      JsonNode node = read(file, "referenced");
      Draft d = node == null ? null : draftOf(file, node, rootDraft);
      if (node != null && d != null) {
        walkFile(file, node, d);
      }
    }
    for (Ref r : refs) {
      resolve(r.file(), r.pointer(), r.ref(), true);
    }
  }

  /** Reads, checks and prepares the schema at `path` and the files it references. */
  static SchemaDocuments load(String path, Bundle bundle, boolean strict) {
    return new SchemaDocuments(path, bundle, strict);
  }

  /** The schema a reference in `file` names, or null when it names nothing in the bundle. */
  Target resolve(String file, String ref) {
    return resolve(file, "", ref, false);
  }

  private JsonNode read(String path, String how) {
    byte[] bytes = bundle.bytes(path);
    if (bytes == null) {
      errors.add(path + ": " + (how == null ? "" : how + " but ") + "no such file in the bundle. Hint: the path is"
          + " relative to the bundle root (`body json \"schemas/new-order.json\"`)" + nearby(path) + ".");
      original.put(path, null);
      return null;
    }
    try {
      JsonNode node = JSON.readTree(new String(bytes, StandardCharsets.UTF_8));
      original.put(path, node);
      if (node == null || !(node.isObject() || node.isBoolean())) {
        errors.add(path + ": a JSON Schema is an object (or `true`/`false`), not "
            + (node == null ? "an empty file" : node.getNodeType().name().toLowerCase()) + ".");
        return null;
      }
      return node;
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      errors.add(path + (at == null ? "" : ":" + at.getLineNr() + ":" + at.getColumnNr()) + ": not valid JSON: "
          + e.getOriginalMessage() + ". Hint: a JSON Schema file is one JSON object; keys appear once.");
      original.put(path, null);
      return null;
    } catch (IOException e) {
      errors.add(path + ": cannot be read: " + e.getMessage());
      original.put(path, null);
      return null;
    }
  }

  private String nearby(String path) {
    int slash = path.lastIndexOf('/');
    String dir = slash < 0 ? "" : path.substring(0, slash + 1);
    List<String> near = bundle.paths().stream().filter(p -> p.startsWith(dir) && p.endsWith(".json")
        && p.indexOf('/', dir.length()) < 0).limit(5).toList();
    return near.isEmpty() ? "" : "; JSON files in `" + (dir.isEmpty() ? "." : dir) + "`: " + String.join(", ", near);
  }

  private Draft draftOf(String file, JsonNode node, Draft inherited) {
    JsonNode schema = node.path("$schema");
    if (schema.isMissingNode()) {
      return inherited;
    }
    Draft d = schema.isTextual() ? Draft.of(schema.asText()) : null;
    if (d == null) {
      errors.add(file + " at /$schema: `" + schema.toString().replace("\"", "") + "` is not a JSON Schema draft Warden"
          + " reads. Hint: use \"" + Draft.DRAFT_2020_12.id + "\" (the default when `$schema` is absent) or \""
          + Draft.DRAFT_7.id + "\".");
    }
    return d;
  }

  private void walkFile(String file, JsonNode node, Draft draft) {
    drafts.put(file, draft);
    metaCheck(file, node, draft);
    JsonNode copy = node.deepCopy();
    if (copy.isObject()) {
      ((ObjectNode) copy).put("$schema", draft.id);
    }
    JsonNode rootId = node.path("$id");
    String absoluteId = rootId.isTextual() && hasScheme(rootId.asText()) ? rootId.asText() : null;
    prepared.put(file, walk(file, copy, "", file.equals(root), draft, absoluteId));
  }

  private void metaCheck(String file, JsonNode node, Draft draft) {
    List<com.networknt.schema.Error> found = MetaSchemas.validate(node, draft);
    int shown = 0;
    for (com.networknt.schema.Error e : found) {
      if (shown++ == MAX_META_ERRORS) {
        errors.add(file + ": … and " + (found.size() - MAX_META_ERRORS) + " more problems against the " + draft.display
            + " meta-schema.");
        break;
      }
      String at = e.getInstanceLocation().toString();
      errors.add(file + " at " + (at.isEmpty() ? "/" : at) + ": " + e.getMessage() + " (the " + draft.display
          + " meta-schema, keyword `" + e.getKeyword() + "`). Hint: the file must be a valid JSON Schema " + draft.display
          + "; see https://json-schema.org/understanding-json-schema.");
    }
  }

  /**
   * Checks one schema node and prepares it; `forValue` says whether it applies to a value of its
   * own (instance position). Returns the node to put in its place (draft 7 `$ref` wrapping).
   */
  private JsonNode walk(String file, JsonNode node, String pointer, boolean forValue, Draft draft, String absoluteId) {
    if (!(node instanceof ObjectNode obj)) {
      return node;
    }
    collectNames(file, obj, pointer);
    List<String> keys = new ArrayList<>();
    obj.fieldNames().forEachRemaining(keys::add);
    for (String key : keys) {
      JsonNode value = obj.get(key);
      String at = pointer + "/" + escape(key);
      if (ONE_FOR_VALUES.contains(key) || key.equals("items") && value.isObject()) {
        obj.set(key, walk(file, value, at, true, draft, absoluteId));
      } else if (ONE_IN_PLACE.contains(key)) {
        obj.set(key, walk(file, value, at, false, draft, absoluteId));
      } else if (LIST_IN_PLACE.contains(key) || key.equals("prefixItems") || key.equals("items")) {
        boolean values = !LIST_IN_PLACE.contains(key);
        if (value instanceof ArrayNode list) {
          for (int i = 0; i < list.size(); i++) {
            list.set(i, walk(file, list.get(i), at + "/" + i, values, draft, absoluteId));
          }
        }
      } else if (MAP_FOR_VALUES.contains(key) || MAP_IN_PLACE.contains(key)) {
        if (value instanceof ObjectNode members) {
          boolean values = MAP_FOR_VALUES.contains(key);
          List<String> names = new ArrayList<>();
          members.fieldNames().forEachRemaining(names::add);
          for (String name : names) {
            String memberAt = at + "/" + escape(name);
            if (key.equals("properties")) {
              declaredNames.add(name);
            } else if (key.equals("patternProperties")) {
              regex(file, memberAt, name, "a `patternProperties` key");
            }
            members.set(name, walk(file, members.get(name), memberAt, values, draft, absoluteId));
          }
        }
      } else if (key.equals("pattern") && value.isTextual()) {
        regex(file, at, value.asText(), "`pattern`");
      } else if ((key.equals("$ref") || key.equals("$dynamicRef") || key.equals("$recursiveRef")) && value.isTextual()) {
        ref(file, at, value.asText(), absoluteId);
      }
    }
    if (onlyInteger(obj.get("type"))) {
      if (!obj.has("minimum") && !obj.has("exclusiveMinimum")) {
        obj.put("minimum", Long.MIN_VALUE);
      }
      if (!obj.has("maximum") && !obj.has("exclusiveMaximum")) {
        obj.put("maximum", Long.MAX_VALUE);
      }
    }
    if (!strict || !forValue || obj.has("additionalProperties") || obj.has("unevaluatedProperties")
        || acceptsAnything(obj) || excludesObjects(obj.get("type"))) {
      return obj;
    }
    if (draft == Draft.DRAFT_7 && obj.has("$ref")) {
      ObjectNode wrapped = JSON.createObjectNode();
      for (String key : KEPT_BESIDE_REF) {
        if (obj.has(key)) {
          wrapped.set(key, obj.get(key));
        }
      }
      wrapped.putArray("allOf").addObject().set("$ref", obj.get("$ref"));
      wrapped.put("unevaluatedProperties", false);
      return wrapped;
    }
    obj.put("unevaluatedProperties", false);
    return obj;
  }

  private void collectNames(String file, ObjectNode obj, String pointer) {
    for (String keyword : List.of("$anchor", "$dynamicAnchor")) {
      JsonNode anchor = obj.get(keyword);
      if (anchor != null && anchor.isTextual()) {
        anchors.put(file + "#" + anchor.asText(), new Target(file, pointer, original.get(file).at(pointer)));
      }
    }
    JsonNode id = obj.get("$id");
    if (id != null && id.isTextual()) {
      String text = id.asText();
      if (text.startsWith("#") && text.length() > 1) {
        anchors.put(file + text, new Target(file, pointer, original.get(file).at(pointer)));
      } else if (hasScheme(text)) {
        ids.put(stripFragment(text), new Target(file, pointer, original.get(file).at(pointer)));
      }
    }
  }

  private static boolean acceptsAnything(ObjectNode obj) {
    Iterator<String> names = obj.fieldNames();
    while (names.hasNext()) {
      if (!NOT_ASSERTING.contains(names.next())) {
        return false;
      }
    }
    return true;
  }

  /** Whether `type` is `integer`, or `integer` and `null`: what {@link BodyTypes} types as int. */
  static boolean onlyInteger(JsonNode type) {
    if (type == null) {
      return false;
    }
    if (type.isTextual()) {
      return type.asText().equals("integer");
    }
    boolean integer = false;
    for (JsonNode t : type) {
      if (t.asText().equals("integer")) {
        integer = true;
      } else if (!t.asText().equals("null")) {
        return false;
      }
    }
    return integer;
  }

  private static boolean excludesObjects(JsonNode type) {
    if (type == null) {
      return false;
    }
    if (type.isTextual()) {
      return !type.asText().equals("object");
    }
    if (type.isArray()) {
      for (JsonNode t : type) {
        if (t.isTextual() && t.asText().equals("object")) {
          return false;
        }
      }
      return true;
    }
    return false;
  }

  private void regex(String file, String at, String regex, String what) {
    try {
      Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      errors.add(file + " at " + at + ": " + what + " `" + regex + "` is not a regular expression RE2 can run: "
          + e.getDescription() + ". Hint: Warden matches patterns with RE2 so that matching stays linear in the"
          + " input; look-ahead, look-behind and back-references are not supported; rewrite the pattern without them"
          + " (RE2 syntax: https://github.com/google/re2/wiki/Syntax).");
    }
  }

  private void ref(String file, String at, String ref, String absoluteId) {
    refs.add(new Ref(file, at, ref));
    String base = stripFragment(ref);
    if (base.isEmpty() || hasScheme(base) || base.startsWith("//")) {
      return;
    }
    if (absoluteId != null) {
      return;
    }
    String target = relative(file, base);
    if (target != null && bundle.has(target) && !original.containsKey(target)) {
      pending.add(target);
    }
  }

  private Target resolve(String file, String pointer, String ref, boolean report) {
    String base = stripFragment(ref);
    int hash = ref.indexOf('#');
    String fragment = hash < 0 ? "" : ref.substring(hash + 1);
    String where = file + " at " + pointer + ": ";
    String doc;
    String docPointer = "";
    if (base.isEmpty()) {
      doc = file;
    } else if (hasScheme(base) || base.startsWith("//")) {
      Target id = ids.get(base);
      if (id == null) {
        if (report) {
          errors.add(where + "the reference `" + ref + "` is outside the bundle; Warden never fetches schemas (no"
              + " network, no files beyond the bundle). Hint: copy the schema into the bundle and refer to it by a"
              + " relative path, e.g. `\"$ref\": \"common.json#/$defs/Address\"`.");
        }
        return null;
      }
      doc = id.file();
      docPointer = id.pointer();
    } else {
      JsonNode rootId = original.get(file) == null ? null : original.get(file).path("$id");
      if (rootId != null && rootId.isTextual() && hasScheme(rootId.asText())) {
        if (report) {
          errors.add(where + "the reference `" + ref + "` is relative to the file's `$id` `" + rootId.asText()
              + "`, which is outside the bundle, so it names no bundle file. Hint: remove the absolute `$id` (a bundle"
              + " file is known by its path) or refer to an `$id` declared in the bundle.");
        }
        return null;
      }
      doc = relative(file, base);
      if (doc == null || !bundle.has(doc)) {
        if (report) {
          errors.add(where + "the reference `" + ref + "` names "
              + (doc == null ? "a path above the bundle root" : "`" + doc + "`, which is not in the bundle")
              + ". Hint: references are relative to the referring file (`" + file + "`)"
              + (doc == null ? "" : nearby(doc)) + ".");
        }
        return null;
      }
    }
    JsonNode docNode = original.get(doc);
    if (docNode == null) {
      return null;
    }
    if (fragment.isEmpty() || fragment.startsWith("/")) {
      String full = docPointer + decode(fragment);
      JsonNode node;
      try {
        node = docNode.at(full);
      } catch (IllegalArgumentException e) {
        node = null;
      }
      if (node == null || node.isMissingNode()) {
        if (report) {
          errors.add(where + "the reference `" + ref + "` points at `" + full + "`, which `" + doc + "` does not have."
              + " Hint: a JSON pointer after `#` names keys from the file's root, e.g. `#/$defs/Item`.");
        }
        return null;
      }
      return new Target(doc, full, node);
    }
    Target anchor = anchors.get(doc + "#" + fragment);
    if (anchor == null && report) {
      errors.add(where + "the reference `" + ref + "` names the anchor `" + fragment + "`, which `" + doc
          + "` does not declare. Hint: declare it with `\"$anchor\": \"" + fragment + "\"` (draft 7: `\"$id\": \"#"
          + fragment + "\"`) or use a JSON pointer (`#/$defs/…`).");
    }
    return anchor;
  }

  private static String decode(String pointer) {
    if (pointer.indexOf('%') < 0) {
      return pointer;
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < pointer.length(); ) {
      int hi = pointer.charAt(i) == '%' && i + 2 < pointer.length() ? Character.digit(pointer.charAt(i + 1), 16) : -1;
      int lo = hi < 0 ? -1 : Character.digit(pointer.charAt(i + 2), 16);
      if (lo >= 0) {
        out.write(hi * 16 + lo);
        i += 3;
      } else {
        int cp = pointer.codePointAt(i);
        out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
        i += Character.charCount(cp);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** `base` resolved against the directory of `file`, dot segments removed; null above the root. */
  static String relative(String file, String base) {
    String joined = base.startsWith("/") ? base.substring(1)
        : (file.lastIndexOf('/') < 0 ? "" : file.substring(0, file.lastIndexOf('/') + 1)) + base;
    Deque<String> parts = new ArrayDeque<>();
    for (String part : joined.split("/", -1)) {
      if (part.equals("..")) {
        if (parts.isEmpty()) {
          return null;
        }
        parts.removeLast();
      } else if (!part.equals(".") && !part.isEmpty()) {
        parts.addLast(part);
      }
    }
    return String.join("/", parts);
  }

  private static boolean hasScheme(String ref) {
    int colon = ref.indexOf(':');
    if (colon <= 0) {
      return false;
    }
    for (int i = 0; i < colon; i++) {
      char c = ref.charAt(i);
      boolean ok = Character.isLetter(c) && c < 128 || i > 0 && (Character.isDigit(c) || c == '+' || c == '-' || c == '.');
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static String stripFragment(String ref) {
    int hash = ref.indexOf('#');
    return hash < 0 ? ref : ref.substring(0, hash);
  }

  static String escape(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }

  /** A prepared file's bytes, for the validator's loader; null for anything else. */
  byte[] preparedBytes(String iri) {
    if (!iri.startsWith(SCHEME)) {
      return null;
    }
    JsonNode node = prepared.get(stripFragment(iri.substring(SCHEME.length())));
    if (node == null) {
      return null;
    }
    try {
      return JSON.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a parsed JSON tree always writes", e);
    }
  }
}
