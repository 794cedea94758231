package dev.warden.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.IpAddress;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.runtime.HttpTokens;
import dev.warden.policy.runtime.Printable;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the request file of `warden eval`:
 *
 * <pre>
 * {"method": "GET", "path": "/orders/42?page=2", "time": "2026-01-01T00:00:00Z",
 *  "headers": {"x-tenant": "acme"}, "source": {"ip": "10.0.0.1", "principal": "spiffe://…"},
 *  "identity": {"claims": {"sub": "alice", "roles": ["customer"]}, "peer": "spiffe://…"},
 *  "body": {"items": [{"sku": "SHOE-1", "qty": 1}]}}
 * </pre>
 *
 * A `body` that is an object or a list is sent as its JSON text (with `content-type:
 * application/json` unless `headers` names one); a string is sent as written.
 *
 * Unknown keys are errors, so that a typo never silently changes the question.
 */
final class RequestJson {
  private static final Set<String> TOP = Set.of("method", "path", "query", "headers", "time", "host", "scheme", "id",
      "source", "destination", "identity", "body");
  private static final Set<String> PEER = Set.of("ip", "port", "principal");
  private static final Set<String> IDENTITY = Set.of("claims", "peer");

  /** Thrown for a request file that does not describe a request; the message is for people. */
  static final class BadRequestFile extends Exception {
    private static final long serialVersionUID = 1L;

    BadRequestFile(String message) {
      super(message);
    }
  }

  private RequestJson() {}

  @SuppressWarnings("unchecked")
  static Request parse(String text, Instant defaultTime) throws BadRequestFile {
    JsonNode root;
    ObjectMapper mapper = new ObjectMapper();
    try {
      root = mapper.readTree(text);
    } catch (Exception e) {
      throw new BadRequestFile("request file is not valid JSON: " + e.getMessage().split("\n")[0]);
    }
    if (root == null || !root.isObject()) {
      throw new BadRequestFile("request file must hold a JSON object");
    }
    keys(root, TOP, "");
    String method = text(root, "method", true);
    String target = text(root, "path", true);
    if (!target.startsWith("/")) {
      throw new BadRequestFile("`path` must start with `/`, found `" + target + "`");
    }
    if (root.has("query")) {
      target = withQuery(target, root.get("query"));
    }
    Map<String, String> headers = new LinkedHashMap<>();
    if (root.has("headers")) {
      if (!root.get("headers").isObject()) {
        throw new BadRequestFile("`headers` must be an object of strings");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = root.get("headers").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String name = HttpTokens.headerName(e.getKey());
        if (name == null) {
          throw new BadRequestFile("`headers`: `" + Printable.of(e.getKey()) + "` is not a header name");
        }
        headers.put(name, e.getValue().asText());
      }
    }
    Instant time = defaultTime;
    if (root.has("time")) {
      try {
        time = Instant.parse(text(root, "time", true));
      } catch (DateTimeParseException e) {
        throw new BadRequestFile("`time` must be an instant such as `2026-01-01T00:00:00Z`");
      }
    }
    dev.warden.policy.runtime.RequestBody body = null;
    if (root.has("body")) {
      JsonNode v = root.get("body");
      String bodyText;
      if (v.isTextual()) {
        bodyText = v.asText();
      } else if (v.isContainerNode()) {
        bodyText = v.toString();
        headers.putIfAbsent("content-type", "application/json");
      } else {
        throw new BadRequestFile("`body` must be an object or a list (sent as JSON) or a string (sent as written)");
      }
      body = dev.warden.policy.runtime.RequestBody.ofText(bodyText, headers.get("content-type"), false);
    }
    Request.Builder b = Request.builder(method, target, time)
        .body(body)
        .headers(headers)
        .host(text(root, "host", false)).scheme(text(root, "scheme", false)).id(text(root, "id", false));
    if (root.has("source")) {
      JsonNode s = root.get("source");
      keys(s, PEER, "source.");
      b.source(ip(s, "source.ip"), s.path("port").asInt(0), text(s, "principal", false));
    }
    if (root.has("destination")) {
      JsonNode d = root.get("destination");
      keys(d, PEER, "destination.");
      b.destination(ip(d, "destination.ip"), d.path("port").asInt(0), text(d, "principal", false));
    }
    if (root.has("identity")) {
      JsonNode id = root.get("identity");
      keys(id, IDENTITY, "identity.");
      Map<String, Object> claims = null;
      if (id.has("claims")) {
        if (!id.get("claims").isObject()) {
          throw new BadRequestFile("`identity.claims` must be an object");
        }
        claims = mapper.convertValue(id.get("claims"), Map.class);
      }
      b.identity(new Identity(claims, text(id, "peer", false)));
    }
    return b.build();
  }

  /**
   * The target with the `query` object's parameters appended, percent-encoded: the program reads
   * them from the target like any other query, so `eval` asks exactly what Envoy would.
   */
  private static String withQuery(String target, JsonNode query) throws BadRequestFile {
    if (!query.isObject()) {
      throw new BadRequestFile("`query` must be an object of strings or lists of strings");
    }
    StringBuilder b = new StringBuilder(target);
    char sep = target.indexOf('?') < 0 ? '?' : '&';
    for (Iterator<Map.Entry<String, JsonNode>> it = query.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      List<JsonNode> values = new ArrayList<>();
      if (e.getValue().isArray()) {
        e.getValue().forEach(values::add);
      } else {
        values.add(e.getValue());
      }
      for (JsonNode v : values) {
        if (!v.isValueNode()) {
          throw new BadRequestFile("`query." + e.getKey() + "` must be a string or a list of strings");
        }
        b.append(sep).append(encode(e.getKey())).append('=').append(encode(v.asText()));
        sep = '&';
      }
    }
    return b.toString();
  }

  private static String encode(String s) {
    return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
  }

  private static void keys(JsonNode n, Set<String> allowed, String prefix) throws BadRequestFile {
    if (!n.isObject()) {
      throw new BadRequestFile("`" + prefix.replaceAll("\\.$", "") + "` must be an object");
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!allowed.contains(k)) {
        throw new BadRequestFile("unknown key `" + prefix + k + "`; known keys: " + String.join(", ", new java.util.TreeSet<>(allowed)));
      }
    }
  }

  private static String text(JsonNode n, String key, boolean required) throws BadRequestFile {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      if (required) {
        throw new BadRequestFile("request file needs `" + key + "`");
      }
      return null;
    }
    if (!v.isTextual()) {
      throw new BadRequestFile("`" + key + "` must be a string");
    }
    return v.asText();
  }

  private static IpAddress ip(JsonNode n, String what) throws BadRequestFile {
    if (!n.has("ip")) {
      return null;
    }
    IpAddress ip = IpAddress.parse(n.get("ip").asText());
    if (ip == null) {
      throw new BadRequestFile("`" + what + "` is not an IP address: `" + n.get("ip").asText() + "`");
    }
    return ip;
  }
}
