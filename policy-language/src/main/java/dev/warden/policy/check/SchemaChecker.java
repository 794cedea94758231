package dev.warden.policy.check;

import dev.warden.policy.ast.Decl;
import dev.warden.policy.ast.PolicyFile;
import dev.warden.policy.ast.ShapeRef;
import dev.warden.policy.check.CheckedBundle.RouteInfo;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Diagnostics;
import dev.warden.policy.diag.EditDistance;
import dev.warden.policy.diag.Span;
import dev.warden.policy.schema.RouteSchema;
import dev.warden.policy.schema.Shape;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks the bundle's `schema` blocks: resolves their routes (one schema per route), their shapes
 * (names, bounds, RE2 patterns, formats) and limits, and gives each covered route its
 * {@link RouteSchema} and the {@link RequestModel} it types `request.body` with.
 */
final class SchemaChecker {
  /** Compiles a JSON Schema file of the bundle, or returns null after reporting why it cannot. */
  interface Files {
    RouteSchema.Validator compile(String path, boolean additional, Span where, Diagnostics diagnostics);
  }

  private static final List<String> SHAPES = List.of("bool", "int", "decimal", "string", "uuid", "email", "time",
      "date", "ip", "list", "map");
  private static final Map<String, Shape.Format> FORMATS = Map.of("uuid", Shape.Format.UUID, "email",
      Shape.Format.EMAIL, "time", Shape.Format.TIME, "date", Shape.Format.DATE, "ip", Shape.Format.IP);
  /** JSON Schema's and other languages' names for Warden's shapes, for "did you mean". */
  private static final Map<String, String> JSON_NAMES = Map.of("integer", "int", "number", "decimal", "boolean",
      "bool", "str", "string", "array", "list<…>", "object", "{ name: type }", "datetime", "time", "uri", "string");
  private static final List<String> LIMITS = List.of("body", "depth", "items", "string", "truncated");

  private final Diagnostics diagnostics;
  private final Files files;

  SchemaChecker(Diagnostics diagnostics, Files files) {
    this.diagnostics = diagnostics;
    this.files = files;
  }

  /** The schema of each covered route, by route id. */
  Map<Integer, RouteSchema> check(List<PolicyFile> packaged, List<RouteInfo> routes, Targets targets) {
    Map<Integer, RouteSchema> out = new HashMap<>();
    Map<Integer, Span> where = new HashMap<>();
    for (PolicyFile f : packaged) {
      for (Decl.Schema s : f.declsOf(Decl.Schema.class)) {
        BitSet covered = targets.resolve(f.packageName(), s.targets());
        RouteSchema schema = schema(s);
        if (covered == null || schema == null) {
          continue;
        }
        for (int id = covered.nextSetBit(0); id >= 0; id = covered.nextSetBit(id + 1)) {
          Span twin = where.putIfAbsent(id, s.span());
          if (twin != null) {
            diagnostics.add(Diagnostic.error("check.duplicate_schema", s.span(),
                "route `" + routes.get(id).qualifiedName() + "` has a schema already")
                .withHelp("the other is at " + twin + "; a route has one schema: merge them"));
            continue;
          }
          out.put(id, schema);
        }
      }
    }
    return out;
  }

  private RouteSchema schema(Decl.Schema s) {
    Map<String, Decl.SchemaItem> items = new LinkedHashMap<>();
    boolean ok = true;
    for (Decl.SchemaItem i : s.items()) {
      Decl.SchemaItem twin = items.putIfAbsent(i.item(), i);
      if (twin != null) {
        diagnostics.add(Diagnostic.error("check.duplicate_schema_item", i.itemSpan(),
            "`" + i.item() + "` is declared twice in this schema").withHelp("the first is at " + twin.itemSpan()));
        ok = false;
      }
    }
    if (items.isEmpty()) {
      diagnostics.add(Diagnostic.error("check.empty_schema", s.span(), "this schema declares nothing")
          .withHelp("declare `body`, `query` or `headers`, or remove the block"));
      return null;
    }
    boolean additional = items.containsKey("additional");
    Shape.Obj query = null;
    Shape.Obj headers = null;
    RouteSchema.Body body = null;
    RouteSchema.Limits limits = RouteSchema.Limits.DEFAULT;
    if (items.containsKey("query")) {
      query = textRecord(items.get("query"), "query parameters");
      ok &= query != null;
    }
    if (items.containsKey("headers")) {
      headers = textRecord(items.get("headers"), "headers");
      if (headers != null) {
        Map<String, Shape.Field> lower = new LinkedHashMap<>();
        headers.fields().forEach((name, field) -> lower.put(name.toLowerCase(java.util.Locale.ROOT), field));
        headers = new Shape.Obj(lower);
      }
      ok &= headers != null;
    }
    if (items.containsKey("body")) {
      body = body(items.get("body"), additional);
      ok &= body != null;
    }
    if (items.containsKey("limits")) {
      limits = limits(items.get("limits"));
      ok &= limits != null;
    }
    if (query == null && headers == null && body == null && ok) {
      diagnostics.add(Diagnostic.error("check.empty_schema", s.span(), "this schema declares no body, query or headers")
          .withHelp("`limits` and `additional allow` apply to a declared body or query"));
      return null;
    }
    return ok ? new RouteSchema(query, headers, body, limits, additional, s.span().file() + ":" + s.span().line())
        : null;
  }

  private Shape.Obj textRecord(Decl.SchemaItem item, String what) {
    if (!(item.shape() instanceof ShapeRef.Record r)) {
      diagnostics.add(Diagnostic.error("check.bad_schema_item", item.shape().span(),
          "`" + item.item() + "` is a record of " + what).withHelp("write `" + item.item() + " { name: type, … }`"));
      return null;
    }
    Shape shape = shape(r);
    if (!(shape instanceof Shape.Obj obj)) {
      return null;
    }
    boolean ok = true;
    for (ShapeRef.Field f : r.fields()) {
      Shape.Field field = obj.fields().get(f.name());
      if (field != null && !field.shape().textual()) {
        diagnostics.add(Diagnostic.error("check.bad_schema_item", f.shape().span(),
            what + " are text: `" + f.name() + "` cannot be a record or a map")
            .withHelp("use a scalar (`int`, `string(..64)`, `\"a\" | \"b\"`, …) or `list<…>` of one"));
        ok = false;
      }
    }
    return ok ? obj : null;
  }

  private RouteSchema.Body body(Decl.SchemaItem item, boolean additional) {
    String format = item.format();
    if (item.file() != null) {
      if (!"json".equals(format)) {
        diagnostics.add(Diagnostic.error("check.bad_schema_item", item.formatSpan(),
            "a body schema file is JSON Schema: write `body json \"" + item.file() + "\"`"));
        return null;
      }
      RouteSchema.Validator v = files.compile(item.file(), additional, item.fileSpan(), diagnostics);
      return v == null ? null : new RouteSchema.Body(false, null, v, false);
    }
    if (format != null && !format.equals("json") && !format.equals("form")) {
      Diagnostic d = Diagnostic.error("check.bad_schema_item", item.formatSpan(),
          "`" + format + "` is not a body format");
      diagnostics.add(EditDistance.closest(format, List.of("json", "form")).map(x -> d.withHelp("did you mean `" + x + "`?"))
          .orElse(d.withHelp("a body is `json` (the default) or `form`")));
      return null;
    }
    ShapeRef ref = item.shape();
    boolean optional = false;
    if (ref instanceof ShapeRef.Optional o) {
      optional = true;
      ref = o.inner();
    }
    if ("form".equals(format)) {
      Shape.Obj form = textRecord(new Decl.SchemaItem(item.span(), "form fields", item.itemSpan(), null, null, ref,
          null, null, null), "form fields");
      return form == null ? null : new RouteSchema.Body(true, form, null, optional);
    }
    Shape shape = shape(ref);
    return shape == null ? null : new RouteSchema.Body(false, shape, null, optional);
  }

  private RouteSchema.Limits limits(Decl.SchemaItem item) {
    long body = RouteSchema.Limits.DEFAULT.bodyBytes();
    int depth = RouteSchema.Limits.DEFAULT.depth();
    int items = RouteSchema.Limits.DEFAULT.items();
    int string = RouteSchema.Limits.DEFAULT.string();
    int truncated = RouteSchema.Limits.DEFAULT.truncatedStatus();
    boolean ok = true;
    for (Decl.Limit l : item.limits()) {
      switch (l.name()) {
        case "body" -> {
          long unit = l.unit() == null ? 0 : switch (l.unit()) {
            case "B" -> 1;
            case "KiB" -> 1024;
            case "MiB" -> 1024 * 1024;
            default -> 0;
          };
          if (unit == 0) {
            diagnostics.add(Diagnostic.error("check.bad_limit", l.span(), l.unit() == null
                ? "a body limit is a size: `" + l.value() + "` has no unit"
                : "`" + l.unit() + "` is not a unit of size").withHelp("write `B`, `KiB` or `MiB`, such as `body 64KiB`"));
            ok = false;
          } else if (l.value() < 1 || l.value() * unit > 64L << 20) {
            diagnostics.add(Diagnostic.error("check.bad_limit", l.span(), "a body limit is 1B to 64MiB")
                .withHelp("Envoy buffers the body for Warden: keep it to what the route needs, such as `body 64KiB`"));
            ok = false;
          } else {
            body = l.value() * unit;
          }
        }
        case "truncated" -> {
          if (l.unit() != null || (l.value() != 413 && l.value() != 400)) {
            diagnostics.add(Diagnostic.error("check.bad_limit", l.span(), "`truncated` is the status of a body Envoy"
                + " cut short: 413 or 400").withHelp("write `truncated 413` (the default) or `truncated 400`"));
            ok = false;
          } else {
            truncated = (int) l.value();
          }
        }
        case "depth", "items", "string" -> {
          long max = l.name().equals("depth") ? dev.warden.policy.runtime.RequestBody.MAX_DEPTH : 1L << 24;
          if (l.unit() != null) {
            diagnostics.add(Diagnostic.error("check.bad_limit", l.span(), "`" + l.name() + "` is a count, without a unit"));
            ok = false;
          } else if (l.value() < 1 || l.value() > max) {
            diagnostics.add(Diagnostic.error("check.bad_limit", l.span(), "`" + l.name() + " " + l.value() + "`: `"
                + l.name() + "` is 1 to " + max));
            ok = false;
          } else if (l.name().equals("depth")) {
            depth = (int) l.value();
          } else if (l.name().equals("items")) {
            items = (int) l.value();
          } else {
            string = (int) l.value();
          }
        }
        default -> {
          Diagnostic d = Diagnostic.error("check.bad_limit", l.span(), "`" + l.name() + "` is not a limit");
          diagnostics.add(EditDistance.closest(l.name(), LIMITS).map(x -> d.withHelp("did you mean `" + x + "`?"))
              .orElse(d.withHelp("limits are " + String.join(", ", LIMITS))));
          ok = false;
        }
      }
    }
    return ok ? new RouteSchema.Limits(body, depth, items, string, truncated) : null;
  }

  /** The checked shape, or null after reporting why. An optional outside a field is an error. */
  private Shape shape(ShapeRef ref) {
    if (ref instanceof ShapeRef.Optional o) {
      diagnostics.add(Diagnostic.error("check.bad_shape", o.span(), "`?` makes a field optional; this is not a field")
          .withHelp("write `name?: type` or `name: type?` in a record"));
      return null;
    }
    if (ref instanceof ShapeRef.Enum e) {
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (String v : e.values()) {
        if (!seen.add(v)) {
          diagnostics.add(Diagnostic.error("check.bad_shape", e.span(), "`\"" + v + "\"` is listed twice in this enum"));
          return null;
        }
      }
      return new Shape.Enum(e.values());
    }
    if (ref instanceof ShapeRef.Record r) {
      Map<String, Shape.Field> fields = new LinkedHashMap<>();
      boolean ok = true;
      for (ShapeRef.Field f : r.fields()) {
        ShapeRef inner = f.shape();
        boolean optional = f.optional();
        if (inner instanceof ShapeRef.Optional o) {
          optional = true;
          inner = o.inner();
        }
        Shape s = shape(inner);
        if (s == null) {
          ok = false;
          continue;
        }
        if (fields.put(f.name(), new Shape.Field(s, optional)) != null) {
          diagnostics.add(Diagnostic.error("check.duplicate_field", f.span(), "field `" + f.name() + "` is declared twice"));
          ok = false;
        }
      }
      return ok ? new Shape.Obj(fields) : null;
    }
    ShapeRef.Named n = (ShapeRef.Named) ref;
    String name = n.name();
    if (!SHAPES.contains(name)) {
      Diagnostic d = Diagnostic.error("check.unknown_type", n.span(), "unknown type `" + name + "`");
      java.util.Optional<String> near = java.util.Optional.ofNullable(JSON_NAMES.get(name))
          .or(() -> EditDistance.closest(name, SHAPES));
      diagnostics.add(near.map(s -> d.withHelp("did you mean `" + s + "`?"))
          .orElse(d.withHelp("a schema's types are " + String.join(", ", SHAPES) + ", records and `\"a\" | \"b\"`")));
      return null;
    }
    int want = name.equals("list") ? 1 : name.equals("map") ? 2 : 0;
    if (n.args().size() != want) {
      diagnostics.add(Diagnostic.error("check.bad_type", n.span(), "write `" + (want == 0 ? name
          : name.equals("list") ? "list<T>" : "map<string, T>") + "`, found `" + name + "` with " + n.args().size()
          + " type argument" + (n.args().size() == 1 ? "" : "s")));
      return null;
    }
    if (n.pattern() != null && !name.equals("string")) {
      diagnostics.add(Diagnostic.error("check.bad_shape", n.patternSpan(), "only a `string` can match a pattern"));
      return null;
    }
    ShapeRef.Bounds b = n.bounds();
    if (b != null && !List.of("int", "decimal", "string", "list").contains(name)) {
      diagnostics.add(Diagnostic.error("check.bad_shape", b.span(), "`" + name + "` takes no bounds")
          .withHelp("bounds apply to `int`, `decimal` (values), `string` (length) and `list` (items)"));
      return null;
    }
    if (b != null && b.lo() != null && b.hi() != null && b.lo().compareTo(b.hi()) > 0) {
      diagnostics.add(Diagnostic.error("check.bad_shape", b.span(), "the lower bound is above the upper bound"));
      return null;
    }
    switch (name) {
      case "bool" -> {
        return new Shape.Bool();
      }
      case "int" -> {
        Long lo = b == null ? null : whole(b.lo(), b.span(), false);
        Long hi = b == null ? null : whole(b.hi(), b.span(), false);
        if (b != null && (b.lo() != null && lo == null || b.hi() != null && hi == null)) {
          return null;
        }
        return new Shape.Int(lo, hi);
      }
      case "decimal" -> {
        return new Shape.Dec(b == null ? null : b.lo(), b == null ? null : b.hi());
      }
      case "string" -> {
        Long lo = b == null ? null : whole(b.lo(), b.span(), true);
        Long hi = b == null ? null : whole(b.hi(), b.span(), true);
        if (b != null && (b.lo() != null && lo == null || b.hi() != null && hi == null)) {
          return null;
        }
        com.google.re2j.Pattern pattern = null;
        if (n.pattern() != null) {
          try {
            pattern = com.google.re2j.Pattern.compile(n.pattern());
          } catch (com.google.re2j.PatternSyntaxException e) {
            diagnostics.add(Diagnostic.error("check.bad_regex", n.patternSpan(), "invalid pattern: " + e.getDescription())
                .withHelp("patterns are RE2: no backreferences or lookaround"));
            return null;
          }
        }
        return new Shape.Str(lo == null ? null : lo.intValue(), hi == null ? null : hi.intValue(), pattern, null);
      }
      case "list" -> {
        Shape item = shape(n.args().get(0));
        Long lo = b == null ? null : whole(b.lo(), b.span(), true);
        Long hi = b == null ? null : whole(b.hi(), b.span(), true);
        if (item == null || b != null && (b.lo() != null && lo == null || b.hi() != null && hi == null)) {
          return null;
        }
        return new Shape.ListOf(item, lo == null ? null : lo.intValue(), hi == null ? null : hi.intValue());
      }
      case "map" -> {
        ShapeRef key = n.args().get(0);
        if (!(key instanceof ShapeRef.Named k && k.name().equals("string") && k.bounds() == null && k.pattern() == null)) {
          diagnostics.add(Diagnostic.error("check.bad_type", key.span(), "map keys are `string`"));
          return null;
        }
        Shape value = shape(n.args().get(1));
        return value == null ? null : new Shape.MapOf(value);
      }
      default -> {
        return new Shape.Str(null, null, null, FORMATS.get(name));
      }
    }
  }

  /** A bound as a whole number (a count when {@code count}: not negative, at most 2^24), or null after reporting. */
  private Long whole(BigDecimal v, Span where, boolean count) {
    if (v == null) {
      return null;
    }
    try {
      long n = v.longValueExact();
      if (count && (n < 0 || n > 1L << 24)) {
        diagnostics.add(Diagnostic.error("check.bad_shape", where, "a length or count bound is 0 to " + (1L << 24)));
        return null;
      }
      return n;
    } catch (ArithmeticException e) {
      diagnostics.add(Diagnostic.error("check.bad_shape", where, "`" + v.toPlainString() + "` is not a whole number")
          .withHelp(count ? "lengths and counts are whole numbers" : "`int` bounds are whole numbers; use `decimal` for fractions"));
      return null;
    }
  }
}
