package dev.warden.server.decisionlog;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.EvalError;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.Obligations;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.runtime.RuleRef;
import dev.warden.proto.v1.LoggedBundle;
import dev.warden.server.authz.DecisionRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a {@link DecisionRecord} as its `warden.v1.DecisionLog` JSON line, straight from the
 * record with Jackson's streaming generator: no proto built, no tree, no reflection. The line is
 * protobuf's JSON mapping of the record — lowerCamelCase names in field order, default values
 * (empty, 0, false, unset) left out, map keys sorted, `int64` as a string, a `Timestamp` in RFC
 * 3339 UTC — and `RecordEncoderTest` holds it so: every line parses as a DecisionLog with
 * protobuf's strict parser and prints back the same.
 *
 * <p>This is the one place a record's content is decided; {@link RecordEncoder#record} parses
 * the line.
 */
final class RecordWriter {
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final String ZEROS = "0".repeat(32);

  private final Masking masking;
  private final java.util.function.Function<String, RecordEncoder.KnownBundle> bundles;
  private final long epochNanosAtOrigin;
  private final long nanoOrigin;
  /** The last revision looked up and its bundle: nearly every record has the same. */
  private volatile Object[] lastBundle = {null, null};

  RecordWriter(Masking masking, java.util.function.Function<String, RecordEncoder.KnownBundle> bundles,
      long epochNanosAtOrigin,
      long nanoOrigin) {
    this.masking = masking;
    this.bundles = bundles;
    this.epochNanosAtOrigin = epochNanosAtOrigin;
    this.nanoOrigin = nanoOrigin;
  }

  byte[] line(DecisionRecord r) {
    ByteArrayBuilder out = new ByteArrayBuilder(2048);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      write(g, r);
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory does not fail", e);
    }
    return out.toByteArray();
  }

  private void write(JsonGenerator g, DecisionRecord r) throws IOException {
    Decision d = r.decision();
    Request q = r.request();
    g.writeStartObject();
    g.writeNumberField("version", RecordEncoder.VERSION);
    str(g, "decisionId", r.id());
    g.writeStringField("time", time(r.arrivedNanos()));
    str(g, "api", r.api().label());
    // The policy that decided is the policy that masks; a record without one has no policy redactions.
    PolicyRedactions policy = d.revision() == null ? PolicyRedactions.NONE : bundle(g, d.revision());
    List<String> masked = new ArrayList<>(4);
    if (q != null) {
      trace(g, q.headers());
      request(g, q, policy, masked);
      principal(g, r, q.identity(), policy, masked);
    }
    str(g, "outcome", d.outcome().label());
    if (d.allowed()) {
      g.writeBooleanField("allowed", true);
    }
    num(g, "status", d.status());
    str(g, "reason", d.reason());
    str(g, "cause", r.cause().name().toLowerCase(Locale.ROOT));
    str(g, "route", d.route());
    rules(g, d.rules());
    errors(g, d.errors());
    obligations(g, d.obligations());
    long latency = Math.max(0, r.decideNanos() / 1_000);
    if (latency != 0) {
      // int64 is a string in protobuf's JSON mapping.
      g.writeStringField("latencyMicros", Long.toString(latency));
    }
    strings(g, "masked", masked.size() < 2 ? masked : masked.stream().distinct().toList());
    if (d.shadow() != null || !r.shadowBundles().isEmpty()) {
      g.writeArrayFieldStart("shadow");
      if (d.shadow() != null) {
        shadow(g, "rules", null, null, d.shadow(), d.shadowChanges());
      }
      for (DecisionRecord.ShadowDecision s : r.shadowBundles()) {
        shadow(g, "bundle", s.bundle(), s.revision(), s.decision(), s.changed());
      }
      g.writeEndArray();
    }
    g.writeEndObject();
  }

  /**
   * Writes the bundle that decided, and returns its redactions: {@link PolicyRedactions#UNKNOWN}
   * (everything masked) when the revision is not known any more.
   */
  private PolicyRedactions bundle(JsonGenerator g, String revision) throws IOException {
    Object[] last = lastBundle;
    RecordEncoder.KnownBundle known;
    if (revision.equals(last[0])) {
      known = (RecordEncoder.KnownBundle) last[1];
    } else {
      known = bundles.apply(revision);
      // Only a bundle that is known is remembered: one activated a moment later is then found.
      if (known != null) {
        lastBundle = new Object[] {revision, known};
      }
    }
    g.writeObjectFieldStart("bundle");
    if (known != null) {
      LoggedBundle b = known.bundle();
      str(g, "name", b.getName());
      str(g, "revision", b.getRevision());
      str(g, "digest", b.getDigest());
    } else {
      str(g, "revision", revision);
    }
    g.writeEndObject();
    return known != null ? known.redactions() : PolicyRedactions.UNKNOWN;
  }

  /** From a well-formed W3C `traceparent` and `x-request-id`; anything else is left out, not guessed at. */
  private static void trace(JsonGenerator g, Map<String, String> headers) throws IOException {
    g.writeObjectFieldStart("trace");
    String parent = headers.get("traceparent");
    if (parent != null) {
      String p = parent.trim();
      // `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`, neither id all zeros.
      if (p.length() == 55 && p.startsWith("00-") && p.charAt(35) == '-' && p.charAt(52) == '-'
          && lowerHex(p, 3, 35) && lowerHex(p, 36, 52) && lowerHex(p, 53, 55)
          && !p.regionMatches(3, ZEROS, 0, 32) && !p.regionMatches(36, ZEROS, 0, 16)) {
        g.writeStringField("traceId", p.substring(3, 35));
        g.writeStringField("parentSpanId", p.substring(36, 52));
      }
    }
    String id = headers.get("x-request-id");
    if (id != null && !id.isEmpty() && id.length() <= 128 && visibleAscii(id)) {
      g.writeStringField("requestId", id);
    }
    g.writeEndObject();
  }

  private void request(JsonGenerator g, Request q, PolicyRedactions policy, List<String> masked) throws IOException {
    String full = q.path();
    int mark = full.indexOf('?');
    g.writeObjectFieldStart("request");
    str(g, "method", q.method());
    str(g, "path", mark < 0 ? full : full.substring(0, mark));
    if (mark >= 0 && mark + 1 < full.length()) {
      Map<String, String> query = new TreeMap<>();
      for (String pair : full.substring(mark + 1).split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String rawName = eq < 0 ? pair : pair.substring(0, eq);
        String value = eq < 0 ? "" : pair.substring(eq + 1);
        // Matched as the upstream reads it: `%74oken` is `token`.
        String shown = masking.queryValue(RecordEncoder.decoded(rawName), value, policy, masked);
        if (shown != null) { // null: removed
          query.merge(rawName, shown, (a, c) -> a + "," + c);
        }
      }
      map(g, "query", query);
    }
    Map<String, String> headers = q.headers();
    if (!headers.isEmpty()) {
      // Sorted by lower-case name; the last of two names that differ only in case wins.
      Map<String, String> sorted = new TreeMap<>();
      headers.forEach((name, value) -> {
        String shown = masking.header(name, value, policy, masked);
        if (shown != null && !shown.equals(Masking.MASK) && shown.indexOf('?') >= 0) {
          // `:path`, `referer`, `x-envoy-original-path`: a URL's query holds the same secrets.
          shown = maskedUrl(name.toLowerCase(Locale.ROOT), shown, policy, masked);
        }
        if (shown != null) { // null: removed
          sorted.put(name.toLowerCase(Locale.ROOT), shown);
        }
      });
      map(g, "headers", sorted);
    }
    str(g, "host", q.host());
    str(g, "scheme", q.scheme());
    str(g, "sourceIp", q.sourceIp() == null ? null : q.sourceIp().toString());
    str(g, "sourcePrincipal", q.sourcePrincipal());
    g.writeEndObject();
  }

  /**
   * A header value holding a URL or path with a query, its query parameters masked as the
   * request's own are (a secret parameter's value becomes `[masked]`, one the policy removes
   * too, since a URL keeps its shape); `masked` gets `request.headers.NAME#query` when anything
   * changed.
   */
  private String maskedUrl(String header, String value, PolicyRedactions policy, List<String> masked) {
    int mark = value.indexOf('?');
    int fragment = value.indexOf('#', mark);
    String query = fragment < 0 ? value.substring(mark + 1) : value.substring(mark + 1, fragment);
    StringBuilder out = new StringBuilder(value.length()).append(value, 0, mark + 1);
    List<String> changed = new ArrayList<>(2);
    String[] pairs = query.split("&", -1);
    for (int i = 0; i < pairs.length; i++) {
      String pair = pairs[i];
      out.append(i == 0 ? "" : "&");
      int eq = pair.indexOf('=');
      if (eq < 0) {
        out.append(pair);
        continue;
      }
      String shown = masking.queryValue(RecordEncoder.decoded(pair.substring(0, eq)), pair.substring(eq + 1), policy,
          changed);
      out.append(pair, 0, eq + 1).append(shown == null ? Masking.MASK : shown);
    }
    if (changed.isEmpty()) {
      return value;
    }
    if (fragment >= 0) {
      out.append(value, fragment, value.length());
    }
    masked.add("request.headers." + header + "#query");
    return out.toString();
  }

  private void principal(JsonGenerator g, DecisionRecord r, Identity who, PolicyRedactions policy,
      List<String> masked) throws IOException {
    g.writeObjectFieldStart("principal");
    str(g, "id", r.principalId());
    strings(g, "roles", r.roles());
    String credential = who == null || who.isAnonymous() ? "anonymous"
        : who.credential() == null ? (who.peer() != null ? "peer" : "jwt")
        : who.credential().name().toLowerCase(Locale.ROOT);
    str(g, "credential", credential);
    if (who != null && who.claims() != null) {
      claims(g, who.claims(), policy, masked);
    }
    g.writeEndObject();
  }

  /**
   * The verified claims the policy saw (`google.protobuf.Struct` in the record), masked by the
   * policy's `principal.claims.NAME` entries: a claim it names, and any string claim (whose JWT, if
   * it holds one, loses its signature), goes through {@link Masking#claim}; a masked claim that was
   * not a string is masked as its JSON text. Numbers are written as doubles, as a Struct holds them.
   */
  private void claims(JsonGenerator g, Map<String, Object> claims, PolicyRedactions policy, List<String> masked)
      throws IOException {
    g.writeObjectFieldStart("claims");
    for (Map.Entry<String, Object> e : new TreeMap<>(claims).entrySet()) {
      String name = e.getKey();
      Object value = e.getValue();
      if (value instanceof String || policy.action(dev.warden.policy.runtime.LogRedaction.Field.CLAIM, name) != null) {
        String text = value instanceof String s ? s : jsonText(value);
        String shown = masking.claim(name, text, policy, masked);
        if (shown == null) { // removed
          continue;
        }
        if (value instanceof String || !shown.equals(text)) {
          g.writeStringField(name, shown);
          continue;
        }
      }
      g.writeFieldName(name);
      value(g, value);
    }
    g.writeEndObject();
  }

  private static String jsonText(Object value) throws IOException {
    java.io.StringWriter w = new java.io.StringWriter();
    try (JsonGenerator g = FACTORY.createGenerator(w)) {
      value(g, value);
    }
    return w.toString();
  }

  /** A claim's JSON value: String, Boolean, Number (as a double), Map (sorted), List, or null. */
  private static void value(JsonGenerator g, Object v) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof String s) {
      g.writeString(s);
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof Number n) {
      double d = n.doubleValue();
      if (Double.isFinite(d)) {
        g.writeNumber(d);
      } else {
        g.writeString(Double.toString(d)); // a Struct cannot hold NaN or infinities as numbers
      }
    } else if (v instanceof Map<?, ?> m) {
      g.writeStartObject();
      for (Map.Entry<String, Object> e : new TreeMap<String, Object>(castMap(m)).entrySet()) {
        g.writeFieldName(e.getKey());
        value(g, e.getValue());
      }
      g.writeEndObject();
    } else if (v instanceof Iterable<?> list) {
      g.writeStartArray();
      for (Object x : list) {
        value(g, x);
      }
      g.writeEndArray();
    } else {
      g.writeString(String.valueOf(v));
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }

  private static void rules(JsonGenerator g, List<RuleRef> rules) throws IOException {
    if (rules.isEmpty()) {
      return;
    }
    g.writeArrayFieldStart("rules");
    for (RuleRef rule : rules) {
      g.writeStartObject();
      str(g, "id", rule.id());
      str(g, "kind", rule.kind());
      str(g, "location", rule.location());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void errors(JsonGenerator g, List<EvalError> errors) throws IOException {
    if (errors.isEmpty()) {
      return;
    }
    g.writeArrayFieldStart("errors");
    for (EvalError e : errors) {
      g.writeStartObject();
      str(g, "kind", e.kind().label());
      str(g, "rule", e.rule() == null ? null : e.rule().id());
      str(g, "location", e.location());
      str(g, "message", e.message());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void obligations(JsonGenerator g, Obligations o) throws IOException {
    if (o == null || o.isEmpty()) {
      return;
    }
    g.writeObjectFieldStart("obligations");
    headers(g, "upstreamHeaders", o.upstreamHeaders());
    strings(g, "removeUpstreamHeaders", o.removeUpstreamHeaders());
    strings(g, "removeUpstreamPatterns", o.removeUpstreamPatterns());
    strings(g, "removeQueryParameters", o.removeQueryParameters());
    headers(g, "responseHeaders", o.responseHeaders());
    g.writeEndObject();
  }

  private static void headers(JsonGenerator g, String name, List<Obligations.Header> list) throws IOException {
    if (list.isEmpty()) {
      return;
    }
    g.writeArrayFieldStart(name);
    for (Obligations.Header h : list) {
      g.writeStartObject();
      str(g, "name", h.name());
      str(g, "value", h.value());
      if (h.append()) {
        g.writeBooleanField("append", true);
      }
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void shadow(JsonGenerator g, String source, String bundle, String revision, Decision d,
      boolean changed) throws IOException {
    g.writeStartObject();
    str(g, "source", source);
    str(g, "bundle", bundle);
    str(g, "revision", revision);
    str(g, "outcome", d.outcome().label());
    if (d.allowed()) {
      g.writeBooleanField("allowed", true);
    }
    num(g, "status", d.status());
    str(g, "reason", d.reason());
    rules(g, d.rules());
    errors(g, d.errors());
    if (changed) {
      g.writeBooleanField("changed", true);
    }
    g.writeEndObject();
  }

  private static void map(JsonGenerator g, String name, Map<String, String> m) throws IOException {
    if (m.isEmpty()) {
      return;
    }
    g.writeObjectFieldStart(name);
    for (Map.Entry<String, String> e : m.entrySet()) {
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

  /** A string field, left out when null or empty (protobuf's default). */
  private static void str(JsonGenerator g, String name, String value) throws IOException {
    if (value != null && !value.isEmpty()) {
      g.writeStringField(name, value);
    }
  }

  private static void num(JsonGenerator g, String name, int value) throws IOException {
    if (value != 0) {
      g.writeNumberField(name, value);
    }
  }

  /** RFC 3339 in UTC, with 0, 3, 6 or 9 fraction digits, as protobuf's `Timestamps.toString` prints it. */
  private String time(long nanos) {
    long epoch = epochNanosAtOrigin + (nanos - nanoOrigin);
    return java.time.Instant.ofEpochSecond(Math.floorDiv(epoch, 1_000_000_000L), Math.floorMod(epoch, 1_000_000_000L))
        .toString();
  }

  private static boolean lowerHex(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
  }

  private static boolean visibleAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }
}
