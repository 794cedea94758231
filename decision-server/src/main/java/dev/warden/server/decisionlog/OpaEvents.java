package dev.warden.server.decisionlog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;

/**
 * A decision record as the event of OPA's decision log API (`decision_log.http.format: opa`), so
 * that a collector written for OPA reads Warden's records with the fields it knows:
 *
 * <pre>
 * labels        {app: "warden", id: this process's instance id, version: Warden's version}
 * decision_id   decisionId
 * bundles       {NAME: {revision}}
 * path          "warden/ext_authz" or "warden/decide": what was asked
 * input         {request, principal, trace}: what the policy saw, masked
 * result        {allowed, status, outcome, reason, cause, route, rules, errors, obligations, shadow}
 * requested_by  the request's source address
 * timestamp     time
 * metrics       {timer_server_handler_ns}
 * trace_id, span_id   from the record's trace
 * erased, masked      what masking did, as JSON pointers into the event ("/input/request/headers/authorization")
 * </pre>
 *
 * Nothing of the record is lost: fields OPA has no place for stay under `warden`
 * (`version`, `api`, `digest`, `latencyMicros`). Runs on the writer thread, not the Check's.
 */
final class OpaEvents {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> RESULT = Set.of("allowed", "status", "outcome", "reason", "cause", "route", "rules",
      "errors", "obligations", "shadow", "quota", "redaction");

  private final ObjectNode labels;

  OpaEvents(String instanceId, String version) {
    labels = JSON.createObjectNode().put("app", "warden").put("id", instanceId).put("version", version);
  }

  /** The OPA event of one record's line. */
  byte[] of(byte[] line) {
    try {
      JsonNode r = JSON.readTree(line);
      ObjectNode e = JSON.createObjectNode();
      e.set("labels", labels);
      e.put("decision_id", r.path("decisionId").asText());
      JsonNode bundle = r.path("bundle");
      if (bundle.has("revision")) {
        ObjectNode bundles = e.putObject("bundles");
        bundles.putObject(bundle.path("name").asText("bundle")).put("revision", bundle.path("revision").asText());
      }
      e.put("path", "warden/" + r.path("api").asText());
      ObjectNode input = e.putObject("input");
      for (String f : new String[] {"request", "principal", "trace"}) {
        if (r.has(f)) {
          input.set(f, r.get(f));
        }
      }
      ObjectNode result = e.putObject("result");
      result.put("allowed", r.path("allowed").asBoolean(false));
      r.fields().forEachRemaining(f -> {
        if (RESULT.contains(f.getKey()) && !f.getKey().equals("allowed")) {
          result.set(f.getKey(), f.getValue());
        }
      });
      String from = r.path("request").path("sourceIp").asText("");
      if (!from.isEmpty()) {
        e.put("requested_by", from);
      }
      e.put("timestamp", r.path("time").asText());
      long micros = r.path("latencyMicros").asLong(0);
      e.putObject("metrics").put("timer_server_handler_ns", micros * 1_000);
      JsonNode trace = r.path("trace");
      if (trace.has("traceId")) {
        e.put("trace_id", trace.path("traceId").asText());
        e.put("span_id", trace.path("parentSpanId").asText());
      }
      ArrayNode masked = JSON.createArrayNode();
      ArrayNode erased = JSON.createArrayNode();
      r.path("masked").forEach(m -> {
        String path = m.asText();
        int action = path.indexOf('#');
        String field = action < 0 ? path : path.substring(0, action);
        (path.endsWith("#remove") ? erased : masked).add(pointer(field));
      });
      if (!erased.isEmpty()) {
        e.set("erased", erased);
      }
      if (!masked.isEmpty()) {
        e.set("masked", masked);
      }
      ObjectNode warden = e.putObject("warden");
      warden.put("version", r.path("version").asInt());
      warden.put("api", r.path("api").asText());
      if (bundle.has("digest")) {
        warden.put("digest", bundle.path("digest").asText());
      }
      warden.put("latencyMicros", micros);
      return JSON.writeValueAsBytes(e);
    } catch (IOException ex) {
      throw new UncheckedIOException("a decision record's line is JSON", ex);
    }
  }

  /**
   * `request.headers.x-user-email` as the JSON pointer `/input/request/headers/x-user-email`
   * (`~` and `/` escaped as RFC 6901 says). A record's masked paths have three parts: root, map
   * and name; the name may hold dots (a header name cannot, a claim's can), so it is kept whole.
   */
  static String pointer(String path) {
    String[] parts = path.split("\\.", 3);
    StringBuilder b = new StringBuilder("/input");
    for (String p : parts) {
      b.append('/').append(p.replace("~", "~0").replace("/", "~1"));
    }
    return b.toString();
  }
}
