package dev.warden.policy.check;

import dev.warden.policy.types.Type;
import java.util.Map;
import java.util.Optional;

/**
 * The request model: what every policy can see, offline and in the sidecar alike. Most fields
 * have one type on every route; `request.body` has the type its route gives it ({@link
 * RequestModel}), and {@link #type} is then only a placeholder.
 */
public enum InputField {
  REQUEST_METHOD("request", "method", Type.STRING),
  REQUEST_PATH("request", "path", Type.STRING),
  REQUEST_ROUTE("request", "route", Type.STRING),
  REQUEST_QUERY("request", "query", new Type.MapType(new Type.ListType(Type.STRING))),
  REQUEST_HEADERS("request", "headers", new Type.MapType(Type.STRING)),
  REQUEST_BODY("request", "body", Type.NOTHING),
  REQUEST_TIME("request", "time", Type.TIME),
  REQUEST_ID("request", "id", Type.STRING),
  REQUEST_HOST("request", "host", Type.STRING),
  REQUEST_SCHEME("request", "scheme", Type.STRING),
  REQUEST_CONTEXT("request", "context", new Type.MapType(Type.STRING)),
  REQUEST_SNI("request", "sni", Type.optional(Type.STRING)),
  SOURCE_IP("source", "ip", Type.optional(Type.IP)),
  SOURCE_PORT("source", "port", Type.INT),
  SOURCE_PRINCIPAL("source", "principal", Type.optional(Type.STRING)),
  DESTINATION_IP("destination", "ip", Type.optional(Type.IP)),
  DESTINATION_PORT("destination", "port", Type.INT),
  DESTINATION_PRINCIPAL("destination", "principal", Type.optional(Type.STRING)),
  PRINCIPAL_ANONYMOUS("principal", "anonymous", Type.BOOL),
  PRINCIPAL_ROLES("principal", "roles", new Type.SetType(Type.STRING));

  public final String root;
  public final String field;
  public final Type type;

  InputField(String root, String field, Type type) {
    this.root = root;
    this.field = field;
    this.type = type;
  }

  /** The field {@code root.name}, if the request model has one. */
  public static Optional<InputField> of(String root, String name) {
    for (InputField f : values()) {
      if (f.root.equals(root) && f.field.equals(name)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  /** The fields of one root, by name, for did-you-mean help. */
  public static Map<String, InputField> fieldsOf(String root) {
    Map<String, InputField> out = new java.util.TreeMap<>();
    for (InputField f : values()) {
      if (f.root.equals(root)) {
        out.put(f.field, f);
      }
    }
    return out;
  }

  public String path() {
    return root + "." + field;
  }
}
