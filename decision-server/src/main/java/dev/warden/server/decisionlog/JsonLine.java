package dev.warden.server.decisionlog;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.Timestamp;
import dev.warden.proto.v1.DecisionLog;
import dev.warden.proto.v1.LoggedBundle;
import dev.warden.proto.v1.LoggedError;
import dev.warden.proto.v1.LoggedHeader;
import dev.warden.proto.v1.LoggedObligations;
import dev.warden.proto.v1.LoggedPrincipal;
import dev.warden.proto.v1.LoggedRequest;
import dev.warden.proto.v1.LoggedRule;
import dev.warden.proto.v1.LoggedTrace;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link DecisionLog} as protobuf's JSON mapping prints it — lowerCamelCase names in field
 * order, fields at their default (empty, 0, false, unset) left out, map keys sorted, a
 * `Timestamp` as RFC 3339 in UTC — but written field by field with Jackson's streaming generator:
 * no reflection, no intermediate tree. `JsonLineTest` holds it equal to protobuf's printer.
 */
final class JsonLine {
  private static final JsonFactory FACTORY = new JsonFactory();

  private JsonLine() {}

  static byte[] of(DecisionLog d) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      num(g, "version", d.getVersion());
      str(g, "decisionId", d.getDecisionId());
      if (d.hasTime()) {
        g.writeStringField("time", time(d.getTime()));
      }
      str(g, "api", d.getApi());
      if (d.hasBundle()) {
        bundle(g, d.getBundle());
      }
      if (d.hasTrace()) {
        trace(g, d.getTrace());
      }
      if (d.hasRequest()) {
        request(g, d.getRequest());
      }
      if (d.hasPrincipal()) {
        principal(g, d.getPrincipal());
      }
      str(g, "outcome", d.getOutcome());
      if (d.getAllowed()) {
        g.writeBooleanField("allowed", true);
      }
      num(g, "status", d.getStatus());
      str(g, "reason", d.getReason());
      str(g, "cause", d.getCause());
      str(g, "route", d.getRoute());
      if (d.getRulesCount() > 0) {
        g.writeArrayFieldStart("rules");
        for (LoggedRule r : d.getRulesList()) {
          g.writeStartObject();
          str(g, "id", r.getId());
          str(g, "kind", r.getKind());
          str(g, "location", r.getLocation());
          g.writeEndObject();
        }
        g.writeEndArray();
      }
      if (d.getErrorsCount() > 0) {
        g.writeArrayFieldStart("errors");
        for (LoggedError e : d.getErrorsList()) {
          g.writeStartObject();
          str(g, "kind", e.getKind());
          str(g, "rule", e.getRule());
          str(g, "location", e.getLocation());
          str(g, "message", e.getMessage());
          g.writeEndObject();
        }
        g.writeEndArray();
      }
      if (d.hasObligations()) {
        obligations(g, d.getObligations());
      }
      if (d.hasQuota()) {
        g.writeObjectFieldStart("quota");
        g.writeEndObject();
      }
      if (d.hasRedaction()) {
        g.writeObjectFieldStart("redaction");
        g.writeEndObject();
      }
      if (d.getLatencyMicros() != 0) {
        // int64 is a string in protobuf's JSON mapping.
        g.writeStringField("latencyMicros", Long.toString(d.getLatencyMicros()));
      }
      strings(g, "masked", d.getMaskedList());
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory does not fail", e);
    }
    return out.toByteArray();
  }

  private static void bundle(JsonGenerator g, LoggedBundle b) throws IOException {
    g.writeObjectFieldStart("bundle");
    str(g, "name", b.getName());
    str(g, "revision", b.getRevision());
    str(g, "digest", b.getDigest());
    g.writeEndObject();
  }

  private static void trace(JsonGenerator g, LoggedTrace t) throws IOException {
    g.writeObjectFieldStart("trace");
    str(g, "traceId", t.getTraceId());
    str(g, "parentSpanId", t.getParentSpanId());
    str(g, "requestId", t.getRequestId());
    g.writeEndObject();
  }

  private static void request(JsonGenerator g, LoggedRequest q) throws IOException {
    g.writeObjectFieldStart("request");
    str(g, "method", q.getMethod());
    str(g, "path", q.getPath());
    map(g, "query", q.getQueryMap());
    map(g, "headers", q.getHeadersMap());
    str(g, "host", q.getHost());
    str(g, "scheme", q.getScheme());
    str(g, "sourceIp", q.getSourceIp());
    str(g, "sourcePrincipal", q.getSourcePrincipal());
    g.writeEndObject();
  }

  private static void principal(JsonGenerator g, LoggedPrincipal p) throws IOException {
    g.writeObjectFieldStart("principal");
    str(g, "id", p.getId());
    strings(g, "roles", p.getRolesList());
    str(g, "credential", p.getCredential());
    if (p.hasClaims()) {
      g.writeFieldName("claims");
      ClaimsStruct.write(g, p.getClaims());
    }
    g.writeEndObject();
  }

  private static void obligations(JsonGenerator g, LoggedObligations o) throws IOException {
    g.writeObjectFieldStart("obligations");
    headers(g, "upstreamHeaders", o.getUpstreamHeadersList());
    strings(g, "removeUpstreamHeaders", o.getRemoveUpstreamHeadersList());
    strings(g, "removeUpstreamPatterns", o.getRemoveUpstreamPatternsList());
    strings(g, "removeQueryParameters", o.getRemoveQueryParametersList());
    headers(g, "responseHeaders", o.getResponseHeadersList());
    g.writeEndObject();
  }

  private static void headers(JsonGenerator g, String name, List<LoggedHeader> list) throws IOException {
    if (list.isEmpty()) {
      return;
    }
    g.writeArrayFieldStart(name);
    for (LoggedHeader h : list) {
      g.writeStartObject();
      str(g, "name", h.getName());
      str(g, "value", h.getValue());
      if (h.getAppend()) {
        g.writeBooleanField("append", true);
      }
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void map(JsonGenerator g, String name, Map<String, String> m) throws IOException {
    if (m.isEmpty()) {
      return;
    }
    g.writeObjectFieldStart(name);
    for (Map.Entry<String, String> e : new TreeMap<>(m).entrySet()) {
      g.writeStringField(e.getKey(), e.getValue());
    }
    g.writeEndObject();
  }

  private static void strings(JsonGenerator g, String name, List<String> list) throws IOException {
    if (list.isEmpty()) {
      return;
    }
    g.writeArrayFieldStart(name);
    for (String s : list) {
      g.writeString(s);
    }
    g.writeEndArray();
  }

  private static void str(JsonGenerator g, String name, String value) throws IOException {
    if (!value.isEmpty()) {
      g.writeStringField(name, value);
    }
  }

  private static void num(JsonGenerator g, String name, int value) throws IOException {
    if (value != 0) {
      g.writeNumberField(name, value);
    }
  }

  /** RFC 3339 in UTC, with 0, 3, 6 or 9 fraction digits, as protobuf's `Timestamps.toString`. */
  private static String time(Timestamp t) {
    return com.google.protobuf.util.Timestamps.toString(t);
  }
}
