package dev.warden.policy.schema;

import dev.warden.policy.runtime.Violation;
import dev.warden.policy.runtime.QueryStrings;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.runtime.RequestBody;
import dev.warden.policy.types.Type;
import java.util.List;
import java.util.Map;

/**
 * The checked `schema` of one route: what its requests must look like before any rule sees them.
 * Immutable and thread-safe; {@link #check} reads one request and says why it does not match,
 * or null when it does.
 *
 * @param query the query parameters (strict unless {@code additional}), or null when not declared
 * @param headers the declared headers (undeclared headers pass: proxies add their own), or null
 * @param body the body, or null when not declared
 * @param limits bounds on the body as a whole
 * @param additional `additional allow`: undeclared query parameters and body fields pass
 * @param location `file:line` of the schema block, for explanations
 */
public record RouteSchema(Shape.Obj query, Shape.Obj headers, Body body, Limits limits, boolean additional,
    String location) {
  /** The most violations a decision lists: enough to fix a request, not a report of an attack. */
  public static final int MAX_VIOLATIONS = 20;

  /**
   * A body's shape: {@code form} for `application/x-www-form-urlencoded` fields (a record of text
   * fields), else JSON, validated inline by {@code shape} or by a JSON Schema {@code validator}.
   */
  public record Body(boolean form, Shape shape, Validator validator, boolean optional) {
    public Type type() {
      return validator != null ? validator.type() : shape.type();
    }
  }

  /** A JSON body validator built elsewhere (a JSON Schema file): the same contract as {@link Shape#validate}. */
  public interface Validator {
    Type type();

    List<Violation> validate(Object json);
  }

  /**
   * Bounds on a body: bytes, nesting, the longest array, the longest string (code points), and
   * the status of a body Envoy cut short (`truncated`: 413, or 400).
   */
  public record Limits(long bodyBytes, int depth, int items, int string, int truncatedStatus) {
    public static final Limits DEFAULT = new Limits(1L << 20, 32, 10_000, 1 << 20, 413);
  }

  /**
   * Why a request does not match: the status (400 shape, 413 too large or cut short, 415 a body
   * of another content type), the public reason and the violations.
   */
  public record Failure(int status, String reason, List<Violation> violations) {
    public Failure {
      violations = List.copyOf(violations);
    }
  }

  /** A body of another media type than the schema's. */
  private static final Failure UNSUPPORTED =
      new Failure(415, "unsupported content type", List.of(new Violation("body", "type")));

  /** Why {@code request} (its query as canonicalized) does not match, or null when it does. */
  public Failure check(Request request, Map<String, List<String>> queryValues) {
    Shape.Check c = new Shape.Check(additional, MAX_VIOLATIONS);
    if (query != null) {
      texts(query, queryValues, FieldPath.root("query"), c);
    }
    if (headers != null) {
      for (Map.Entry<String, Shape.Field> e : headers.fields().entrySet()) {
        String value = request.headers().get(e.getKey());
        FieldPath path = FieldPath.root("headers").field(e.getKey());
        if (value == null) {
          if (!e.getValue().optional()) {
            c.add(path, "required");
          }
        } else {
          e.getValue().shape().validateText(value, path, c);
        }
      }
    }
    if (body != null) {
      Failure f = body(request.body(), c);
      if (f != null) {
        return f;
      }
    }
    List<Violation> found = c.violations();
    return found.isEmpty() ? null : new Failure(400, "request does not match its schema", found);
  }

  /** A failure of the body that is not about its shape (413, 415), or null after adding shape violations. */
  private Failure body(RequestBody b, Shape.Check c) {
    int size = b == null ? 0 : b.size();
    if (size == 0) {
      if (!body.optional()) {
        c.add(FieldPath.root("body"), "required");
      }
      return null;
    }
    if (size > limits.bodyBytes()) {
      return new Failure(413, "request body too large", List.of(new Violation("body", "size")));
    }
    if (b.truncated()) {
      // Never validate half a body: Envoy sent only its start.
      return new Failure(limits.truncatedStatus(), limits.truncatedStatus() == 413 ? "request body too large"
          : "request does not match its schema", List.of(new Violation("body", "size")));
    }
    if (body.form()) {
      if (!b.isForm()) {
        return UNSUPPORTED;
      }
      QueryStrings.Parsed form = b.form();
      if (!form.ok()) {
        c.add(FieldPath.root("body"), "syntax");
        return null;
      }
      texts((Shape.Obj) body.shape(), form.values(), FieldPath.root("body"), c);
      return null;
    }
    if (!b.isJson()) {
      return UNSUPPORTED;
    }
    RequestBody.Parsed parsed = b.json();
    if (!parsed.ok()) {
      c.add(FieldPath.root("body"), parsed.error() != null && parsed.error().contains("depth") ? "depth" : "syntax");
      return null;
    }
    if (!bounded(parsed.value(), null, 1, c) && !bounded(parsed.value(), FieldPath.root("body"), 1, c)) {
      return null;
    }
    if (body.validator() != null) {
      for (Violation v : body.validator().validate(parsed.value())) {
        c.add(v);
      }
    } else {
      body.shape().validate(parsed.value(), FieldPath.root("body"), c);
    }
    return null;
  }

  /**
   * Whether the value keeps within the depth, items and string limits. With a {@code path}, the
   * first breach is added to {@code c} at its place; without one (most bodies keep within the
   * limits), nothing is built on the way and the caller walks again with paths for one that does not.
   */
  private boolean bounded(Object v, FieldPath path, int depth, Shape.Check c) {
    String breach = null;
    if (depth > limits.depth()) {
      breach = "depth";
    } else if (v instanceof String s) {
      if (s.length() > limits.string() && s.codePointCount(0, s.length()) > limits.string()) {
        breach = "length";
      }
    } else if (v instanceof List<?> list) {
      if (list.size() > limits.items()) {
        breach = "items";
      } else {
        for (int i = 0; i < list.size(); i++) {
          if (!bounded(list.get(i), path == null ? null : path.at(i), depth + 1, c)) {
            return false;
          }
        }
      }
    } else if (v instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        String key = (String) e.getKey();
        if (key.length() > limits.string()) {
          breach = "length";
          break;
        }
        if (!bounded(e.getValue(), path == null ? null : path.field(key), depth + 1, c)) {
          return false;
        }
      }
    }
    if (breach != null && path != null) {
      c.add(path, breach);
    }
    return breach == null;
  }

  /** Query parameters or form fields: each declared one, and (strict) no other. */
  private static void texts(Shape.Obj shape, Map<String, List<String>> values, FieldPath root, Shape.Check c) {
    for (Map.Entry<String, Shape.Field> e : shape.fields().entrySet()) {
      List<String> given = values.get(e.getKey());
      FieldPath path = root.field(e.getKey());
      Shape s = e.getValue().shape();
      if (given == null || given.isEmpty()) {
        if (!e.getValue().optional()) {
          c.add(path, "required");
        }
      } else if (s instanceof Shape.ListOf list) {
        list.validateTexts(given, path, c);
      } else if (given.size() > 1) {
        c.add(path, "repeated");
      } else {
        s.validateText(given.get(0), path, c);
      }
    }
    if (!c.allowAdditional()) {
      for (String name : values.keySet()) {
        if (!shape.fields().containsKey(name)) {
          c.add(root.field(name), "unknown");
        }
      }
    }
  }
}
