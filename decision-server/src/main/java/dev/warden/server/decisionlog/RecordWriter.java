package dev.warden.server.decisionlog;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
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
  /** Records follow each other in one generator per thread: no separator between root values. */
  private static final JsonFactory FACTORY = new JsonFactory().setRootValueSeparator(null);
  private static final String ZEROS = "0".repeat(32);

  private static final Map<DecisionRecord.Cause, SerializableString> CAUSES = labels(DecisionRecord.Cause.class);
  private static final Map<Identity.Credential, String> CREDENTIALS = new java.util.EnumMap<>(Identity.Credential.class);

  static {
    for (Identity.Credential c : Identity.Credential.values()) {
      CREDENTIALS.put(c, c.name().toLowerCase(Locale.ROOT));
    }
  }

  private static <E extends Enum<E>> Map<E, SerializableString> labels(Class<E> type) {
    Map<E, SerializableString> out = new java.util.EnumMap<>(type);
    for (E e : type.getEnumConstants()) {
      out.put(e, new SerializedString(e.name().toLowerCase(Locale.ROOT)));
    }
    return out;
  }

  // The record's field names, quoted and escaped once (Jackson's way for names written often).
  private static final SerializableString K_ALLOWED = new SerializedString("allowed");
  private static final SerializableString K_API = new SerializedString("api");
  private static final SerializableString K_APPEND = new SerializedString("append");
  private static final SerializableString K_BUNDLE = new SerializedString("bundle");
  private static final SerializableString K_CAUSE = new SerializedString("cause");
  private static final SerializableString K_CHANGED = new SerializedString("changed");
  private static final SerializableString K_CLAIMS = new SerializedString("claims");
  private static final SerializableString K_CREDENTIAL = new SerializedString("credential");
  private static final SerializableString K_DECISION_ID = new SerializedString("decisionId");
  private static final SerializableString K_DIGEST = new SerializedString("digest");
  private static final SerializableString K_ERRORS = new SerializedString("errors");
  private static final SerializableString K_HEADERS = new SerializedString("headers");
  private static final SerializableString K_HOST = new SerializedString("host");
  private static final SerializableString K_ID = new SerializedString("id");
  private static final SerializableString K_KIND = new SerializedString("kind");
  private static final SerializableString K_LATENCY_MICROS = new SerializedString("latencyMicros");
  private static final SerializableString K_LOCATION = new SerializedString("location");
  private static final SerializableString K_MASKED = new SerializedString("masked");
  private static final SerializableString K_MESSAGE = new SerializedString("message");
  private static final SerializableString K_METHOD = new SerializedString("method");
  private static final SerializableString K_NAME = new SerializedString("name");
  private static final SerializableString K_OBLIGATIONS = new SerializedString("obligations");
  private static final SerializableString K_QUOTA = new SerializedString("quota");
  private static final SerializableString K_ANSWERS = new SerializedString("answers");
  private static final SerializableString K_COST = new SerializedString("cost");
  private static final SerializableString K_ADMITTED = new SerializedString("admitted");
  private static final SerializableString K_REMAINING = new SerializedString("remaining");
  private static final SerializableString K_RETRY_AFTER_MILLIS = new SerializedString("retryAfterMillis");
  private static final SerializableString K_VIA = new SerializedString("via");
  private static final SerializableString K_SHADOW_FLAG = new SerializedString("shadow");
  private static final SerializableString K_OUTCOME = new SerializedString("outcome");
  private static final SerializableString K_PARENT_SPAN_ID = new SerializedString("parentSpanId");
  private static final SerializableString K_PATH = new SerializedString("path");
  private static final SerializableString K_PROBLEM = new SerializedString("problem");
  private static final SerializableString K_VIOLATIONS = new SerializedString("violations");
  private static final SerializableString K_PRINCIPAL = new SerializedString("principal");
  private static final SerializableString K_QUERY = new SerializedString("query");
  private static final SerializableString K_REASON = new SerializedString("reason");
  private static final SerializableString K_REMOVE_QUERY_PARAMETERS = new SerializedString("removeQueryParameters");
  private static final SerializableString K_REMOVE_UPSTREAM_HEADERS = new SerializedString("removeUpstreamHeaders");
  private static final SerializableString K_REMOVE_UPSTREAM_PATTERNS = new SerializedString("removeUpstreamPatterns");
  private static final SerializableString K_REQUEST = new SerializedString("request");
  private static final SerializableString K_REQUEST_ID = new SerializedString("requestId");
  private static final SerializableString K_RESPONSE_HEADERS = new SerializedString("responseHeaders");
  private static final SerializableString K_REVISION = new SerializedString("revision");
  private static final SerializableString K_ROLES = new SerializedString("roles");
  private static final SerializableString K_ROUTE = new SerializedString("route");
  private static final SerializableString K_RULE = new SerializedString("rule");
  private static final SerializableString K_RULES = new SerializedString("rules");
  private static final SerializableString K_SCHEME = new SerializedString("scheme");
  private static final SerializableString K_SHADOW = new SerializedString("shadow");
  private static final SerializableString K_SOURCE = new SerializedString("source");
  private static final SerializableString K_SOURCE_IP = new SerializedString("sourceIp");
  private static final SerializableString K_SOURCE_PRINCIPAL = new SerializedString("sourcePrincipal");
  private static final SerializableString K_STATUS = new SerializedString("status");
  private static final SerializableString K_TIME = new SerializedString("time");
  private static final SerializableString K_TRACE = new SerializedString("trace");
  private static final SerializableString K_TRACE_ID = new SerializedString("traceId");
  private static final SerializableString K_UPSTREAM_HEADERS = new SerializedString("upstreamHeaders");
  private static final SerializableString K_VALUE = new SerializedString("value");
  private static final SerializableString K_VERSION = new SerializedString("version");

  private final Masking masking;
  private final java.util.function.Function<String, RecordEncoder.KnownBundle> bundles;
  private final long epochNanosAtOrigin;
  private final long nanoOrigin;
  /** The last revision looked up and its bundle: nearly every record has the same. */
  private volatile Object[] lastBundle = {null, null};
  /** The last second a record was dated in, as RFC 3339 up to the seconds: nearly every record has the same. */
  private volatile Second lastSecond = new Second(Long.MIN_VALUE, "");
  private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

  private record Second(long epochSecond, String text) {}

  RecordWriter(Masking masking, java.util.function.Function<String, RecordEncoder.KnownBundle> bundles,
      long epochNanosAtOrigin,
      long nanoOrigin) {
    this.masking = masking;
    this.bundles = bundles;
    this.epochNanosAtOrigin = epochNanosAtOrigin;
    this.nanoOrigin = nanoOrigin;
  }

  byte[] line(DecisionRecord r) {
    Scratch s = scratch.get();
    boolean done = false;
    try {
      write(s.g, r, s);
      s.g.flush();
      byte[] line = s.out.toByteArray();
      done = true;
      return line;
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory does not fail", e);
    } finally {
      if (done) {
        s.out.reset();
      } else {
        // A record that failed half-way leaves the generator inside it: this thread starts afresh.
        scratch.remove();
      }
    }
  }

  /**
   * What one thread writes its records with, kept from record to record: a generator whose root
   * values follow each other without a separator, the memory it writes to, and room to sort a
   * record's headers. Nothing in it outlives a call to {@link #line} but its capacity.
   */
  private static final class Scratch {
    final Bytes out = new Bytes();
    final JsonGenerator g;
    final char[] chars = new char[64];
    String[] names = new String[32];
    String[] values = new String[32];

    Scratch() {
      try {
        g = FACTORY.createGenerator(out);
      } catch (IOException e) {
        throw new UncheckedIOException("a generator over memory always opens", e);
      }
    }
  }

  /** An unsynchronized {@link java.io.ByteArrayOutputStream}: one thread writes it. */
  private static final class Bytes extends java.io.OutputStream {
    private byte[] buf = new byte[4096];
    private int count;

    @Override
    public void write(int b) {
      if (count == buf.length) {
        buf = java.util.Arrays.copyOf(buf, buf.length * 2);
      }
      buf[count++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      if (count + len > buf.length) {
        buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, count + len));
      }
      System.arraycopy(b, off, buf, count, len);
      count += len;
    }

    byte[] toByteArray() {
      return java.util.Arrays.copyOf(buf, count);
    }

    /** Empties it, and lets go of a buffer one huge record grew. */
    void reset() {
      count = 0;
      if (buf.length > MAX_KEPT) {
        buf = new byte[4096];
      }
    }
  }

  /** The largest buffer a thread keeps between records. */
  private static final int MAX_KEPT = 64 << 10;

  private void write(JsonGenerator g, DecisionRecord r, Scratch s) throws IOException {
    Decision d = r.decision();
    Request q = r.request();
    g.writeStartObject();
    number(g, K_VERSION, RecordEncoder.VERSION);
    str(g, K_DECISION_ID, r.id());
    time(g, r.arrivedNanos(), s.chars);
    str(g, K_API, r.api().label());
    // The policy that decided is the policy that masks; a record without one has no policy redactions.
    PolicyRedactions policy = d.revision() == null ? PolicyRedactions.NONE : bundle(g, d.revision());
    List<String> masked = new ArrayList<>(4);
    if (q != null) {
      trace(g, q.headers(), s.chars);
      request(g, q, policy, masked, s);
      principal(g, r, q.identity(), policy, masked);
    }
    str(g, K_OUTCOME, d.outcome().label());
    if (d.allowed()) {
      g.writeFieldName(K_ALLOWED);
    g.writeBoolean(true);
    }
    num(g, K_STATUS, d.status());
    str(g, K_REASON, d.reason());
    g.writeFieldName(K_CAUSE);
    g.writeString(CAUSES.get(r.cause()));
    str(g, K_ROUTE, d.route());
    rules(g, d.rules());
    errors(g, d.errors());
    obligations(g, d.obligations());
    if (!d.quotas().isEmpty()) {
      quota(g, d.quotas());
    }
    long latency = Math.max(0, r.decideNanos() / 1_000);
    if (latency != 0) {
      // int64 is a string in protobuf's JSON mapping.
      field(g, K_LATENCY_MICROS, Long.toString(latency));
    }
    strings(g, K_MASKED, masked.size() < 2 ? masked : masked.stream().distinct().toList());
    if (d.shadow() != null || !r.shadowBundles().isEmpty()) {
      arrayStart(g, K_SHADOW);
      if (d.shadow() != null) {
        shadow(g, "rules", null, null, d.shadow(), d.shadowChanges());
      }
      for (DecisionRecord.ShadowDecision b : r.shadowBundles()) {
        shadow(g, "bundle", b.bundle(), b.revision(), b.decision(), b.changed());
      }
      g.writeEndArray();
    }
    if (!d.violations().isEmpty()) {
      arrayStart(g, K_VIOLATIONS);
      for (dev.warden.policy.runtime.Violation v : d.violations()) {
        g.writeStartObject();
        str(g, K_PATH, v.path());
        str(g, K_PROBLEM, v.problem());
        g.writeEndObject();
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
    objectStart(g, K_BUNDLE);
    if (known != null) {
      LoggedBundle b = known.bundle();
      str(g, K_NAME, b.getName());
      str(g, K_REVISION, b.getRevision());
      str(g, K_DIGEST, b.getDigest());
    } else {
      str(g, K_REVISION, revision);
    }
    g.writeEndObject();
    return known != null ? known.redactions() : PolicyRedactions.UNKNOWN;
  }

  /** From a well-formed W3C `traceparent` and `x-request-id`; anything else is left out, not guessed at. */
  private static void trace(JsonGenerator g, Map<String, String> headers, char[] chars) throws IOException {
    objectStart(g, K_TRACE);
    String parent = headers.get("traceparent");
    if (parent != null) {
      String p = parent.trim();
      // `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`, neither id all zeros.
      if (p.length() == 55 && p.startsWith("00-") && p.charAt(35) == '-' && p.charAt(52) == '-'
          && lowerHex(p, 3, 35) && lowerHex(p, 36, 52) && lowerHex(p, 53, 55)
          && !p.regionMatches(3, ZEROS, 0, 32) && !p.regionMatches(36, ZEROS, 0, 16)) {
        p.getChars(3, 52, chars, 0);
        g.writeFieldName(K_TRACE_ID);
        g.writeString(chars, 0, 32);
        g.writeFieldName(K_PARENT_SPAN_ID);
        g.writeString(chars, 33, 16);
      }
    }
    String id = headers.get("x-request-id");
    if (id != null && !id.isEmpty() && id.length() <= 128 && visibleAscii(id)) {
      field(g, K_REQUEST_ID, id);
    }
    g.writeEndObject();
  }

  private void request(JsonGenerator g, Request q, PolicyRedactions policy, List<String> masked, Scratch s)
      throws IOException {
    String full = q.path();
    int mark = full.indexOf('?');
    objectStart(g, K_REQUEST);
    str(g, K_METHOD, q.method());
    str(g, K_PATH, mark < 0 ? full : full.substring(0, mark));
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
      map(g, K_QUERY, query);
    }
    Map<String, String> headers = q.headers();
    if (!headers.isEmpty()) {
      headers(g, headers, policy, masked, s);
    }
    str(g, K_HOST, q.host());
    str(g, K_SCHEME, q.scheme());
    str(g, K_SOURCE_IP, q.sourceIp() == null ? null : q.sourceIp().toString());
    str(g, K_SOURCE_PRINCIPAL, q.sourcePrincipal());
    g.writeEndObject();
  }

  /**
   * The request's headers, masked, sorted by lower-case name; the last of two names that differ
   * only in case wins. Sorted in the thread's scratch arrays, by insertion (stable: a later equal
   * name comes after, and wins), for as many headers as requests have.
   */
  private void headers(JsonGenerator g, Map<String, String> headers, PolicyRedactions policy, List<String> masked,
      Scratch s) throws IOException {
    int n = headers.size();
    if (s.names.length < n) {
      s.names = new String[n];
      s.values = new String[n];
    }
    String[] names = s.names;
    String[] values = s.values;
    int count = 0;
    for (Map.Entry<String, String> e : headers.entrySet()) {
      String name = e.getKey().toLowerCase(Locale.ROOT);
      String shown = masking.header(name, e.getValue(), policy, masked);
      if (shown != null && !shown.equals(Masking.MASK) && shown.indexOf('?') >= 0) {
        // `:path`, `referer`, `x-envoy-original-path`: a URL's query holds the same secrets.
        shown = maskedUrl(name, shown, policy, masked);
      }
      if (shown == null) { // removed
        continue;
      }
      if (count < SORTED_BY_INSERTION) {
        int i = count;
        while (i > 0 && names[i - 1].compareTo(name) > 0) {
          names[i] = names[i - 1];
          values[i] = values[i - 1];
          i--;
        }
        names[i] = name;
        values[i] = shown;
      } else {
        names[count] = name;
        values[count] = shown;
      }
      count++;
    }
    try {
      if (count > SORTED_BY_INSERTION) {
        Map<String, String> sorted = new TreeMap<>();
        for (int i = 0; i < count; i++) { // in the order met: the later of two equal names wins
          sorted.put(names[i], values[i]);
        }
        map(g, K_HEADERS, sorted);
        return;
      }
      if (count == 0) {
        return;
      }
      objectStart(g, K_HEADERS);
      for (int i = 0; i < count; i++) {
        if (i + 1 < count && names[i + 1].equals(names[i])) {
          continue; // the later wins
        }
        g.writeStringField(names[i], values[i]);
      }
      g.writeEndObject();
    } finally {
      java.util.Arrays.fill(names, 0, count, null);
      java.util.Arrays.fill(values, 0, count, null);
    }
  }

  /** Beyond this many headers (a rare request), a tree sorts them instead of insertion. */
  private static final int SORTED_BY_INSERTION = 48;

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
    objectStart(g, K_PRINCIPAL);
    str(g, K_ID, r.principalId());
    roles(g, r, who);
    String credential = who == null || who.isAnonymous() ? "anonymous"
        : who.credential() == null ? (who.peer() != null ? "peer" : "jwt")
        : CREDENTIALS.get(who.credential());
    str(g, K_CREDENTIAL, credential);
    if (who != null && who.claims() != null) {
      claims(g, who.claims(), policy, masked);
    }
    g.writeEndObject();
  }

  /** The string values of the credential's `roles` claim, as {@link DecisionRecord#roles} reads them. */
  private static void roles(JsonGenerator g, DecisionRecord r, Identity who) throws IOException {
    Map<String, Object> claims = who == null ? null : who.claims();
    if (claims == null) {
      return;
    }
    if (claims instanceof dev.warden.server.authz.StructClaims struct) {
      com.google.protobuf.Value roles = struct.struct().getFieldsMap().get("roles");
      if (roles == null || !roles.hasListValue()) {
        return;
      }
      boolean open = false;
      for (com.google.protobuf.Value v : roles.getListValue().getValuesList()) {
        if (v.hasStringValue()) {
          if (!open) {
            arrayStart(g, K_ROLES);
            open = true;
          }
          g.writeString(v.getStringValue());
        }
      }
      if (open) {
        g.writeEndArray();
      }
      return;
    }
    strings(g, K_ROLES, r.roles());
  }

  /**
   * The verified claims the policy saw (`google.protobuf.Struct` in the record), masked by the
   * policy's `principal.claims.NAME` entries: a claim it names, and any string claim (whose JWT, if
   * it holds one, loses its signature), goes through {@link Masking#claim}; a masked claim that was
   * not a string is masked as its JSON text. Numbers are written as doubles, as a Struct holds them.
   */
  private void claims(JsonGenerator g, Map<String, Object> claims, PolicyRedactions policy, List<String> masked)
      throws IOException {
    objectStart(g, K_CLAIMS);
    if (claims instanceof dev.warden.server.authz.StructClaims struct) {
      structClaims(g, struct.struct().getFieldsMap(), policy, masked);
      g.writeEndObject();
      return;
    }
    String[] names = claims.keySet().toArray(new String[0]);
    java.util.Arrays.sort(names);
    for (String name : names) {
      Object value = claims.get(name);
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

  /**
   * As {@link #claims}, from the Struct Envoy's jwt_authn metadata sent, written as it is held: no
   * value converted unless masking needs its text.
   */
  private void structClaims(JsonGenerator g, Map<String, com.google.protobuf.Value> fields, PolicyRedactions policy,
      List<String> masked) throws IOException {
    String[] names = fields.keySet().toArray(new String[0]);
    java.util.Arrays.sort(names);
    for (String name : names) {
      com.google.protobuf.Value value = fields.get(name);
      boolean string = value.hasStringValue();
      if (string || policy.action(dev.warden.policy.runtime.LogRedaction.Field.CLAIM, name) != null) {
        String text = string ? value.getStringValue() : jsonText(dev.warden.server.authz.StructClaims.value(value));
        String shown = masking.claim(name, text, policy, masked);
        if (shown == null) { // removed
          continue;
        }
        if (string || !shown.equals(text)) {
          g.writeStringField(name, shown);
          continue;
        }
      }
      g.writeFieldName(name);
      value(g, value);
    }
  }

  /** A Struct's value as {@link #value(JsonGenerator, Object)} writes the claim it reads as. */
  private static void value(JsonGenerator g, com.google.protobuf.Value v) throws IOException {
    switch (v.getKindCase()) {
      case STRING_VALUE -> g.writeString(v.getStringValue());
      case BOOL_VALUE -> g.writeBoolean(v.getBoolValue());
      case NUMBER_VALUE -> {
        double d = v.getNumberValue();
        if (Double.isFinite(d)) {
          g.writeNumber(d);
        } else {
          g.writeString(Double.toString(d)); // a Struct cannot hold NaN or infinities as numbers
        }
      }
      case STRUCT_VALUE -> {
        Map<String, com.google.protobuf.Value> fields = v.getStructValue().getFieldsMap();
        String[] names = fields.keySet().toArray(new String[0]);
        java.util.Arrays.sort(names);
        g.writeStartObject();
        for (String name : names) {
          g.writeFieldName(name);
          value(g, fields.get(name));
        }
        g.writeEndObject();
      }
      case LIST_VALUE -> {
        g.writeStartArray();
        for (com.google.protobuf.Value x : v.getListValue().getValuesList()) {
          value(g, x);
        }
        g.writeEndArray();
      }
      default -> g.writeNull();
    }
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
    arrayStart(g, K_RULES);
    for (RuleRef rule : rules) {
      g.writeStartObject();
      str(g, K_ID, rule.id());
      str(g, K_KIND, rule.kind());
      str(g, K_LOCATION, rule.location());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void errors(JsonGenerator g, List<EvalError> errors) throws IOException {
    if (errors.isEmpty()) {
      return;
    }
    arrayStart(g, K_ERRORS);
    for (EvalError e : errors) {
      g.writeStartObject();
      str(g, K_KIND, e.kind().label());
      str(g, K_RULE, e.rule() == null ? null : e.rule().id());
      str(g, K_LOCATION, e.location());
      str(g, K_MESSAGE, e.message());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void obligations(JsonGenerator g, Obligations o) throws IOException {
    if (o == null || o.isEmpty()) {
      return;
    }
    objectStart(g, K_OBLIGATIONS);
    headers(g, K_UPSTREAM_HEADERS, o.upstreamHeaders());
    strings(g, K_REMOVE_UPSTREAM_HEADERS, o.removeUpstreamHeaders());
    strings(g, K_REMOVE_UPSTREAM_PATTERNS, o.removeUpstreamPatterns());
    strings(g, K_REMOVE_QUERY_PARAMETERS, o.removeQueryParameters());
    headers(g, K_RESPONSE_HEADERS, o.responseHeaders());
    g.writeEndObject();
  }

  private static void headers(JsonGenerator g, SerializableString name, List<Obligations.Header> list) throws IOException {
    if (list.isEmpty()) {
      return;
    }
    arrayStart(g, name);
    for (Obligations.Header h : list) {
      g.writeStartObject();
      str(g, K_NAME, h.name());
      str(g, K_VALUE, h.value());
      if (h.append()) {
        g.writeFieldName(K_APPEND);
    g.writeBoolean(true);
      }
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void shadow(JsonGenerator g, String source, String bundle, String revision, Decision d,
      boolean changed) throws IOException {
    g.writeStartObject();
    str(g, K_SOURCE, source);
    str(g, K_BUNDLE, bundle);
    str(g, K_REVISION, revision);
    str(g, K_OUTCOME, d.outcome().label());
    if (d.allowed()) {
      g.writeFieldName(K_ALLOWED);
    g.writeBoolean(true);
    }
    num(g, K_STATUS, d.status());
    str(g, K_REASON, d.reason());
    rules(g, d.rules());
    errors(g, d.errors());
    if (changed) {
      g.writeFieldName(K_CHANGED);
    g.writeBoolean(true);
    }
    g.writeEndObject();
  }

  /** `quota.answers`: each quota's answer, without its key (a value of the request). */
  private static void quota(JsonGenerator g, List<dev.warden.policy.runtime.QuotaResult> answers) throws IOException {
    objectStart(g, K_QUOTA);
    arrayStart(g, K_ANSWERS);
    for (dev.warden.policy.runtime.QuotaResult a : answers) {
      g.writeStartObject();
      str(g, K_ID, a.quota().id());
      if (a.charge().cost() != 0) {
        field(g, K_COST, Long.toString(a.charge().cost()));
      }
      if (a.admitted()) {
        g.writeFieldName(K_ADMITTED);
        g.writeBoolean(true);
      }
      if (a.remaining() != 0) {
        field(g, K_REMAINING, Long.toString(a.remaining()));
      }
      if (!a.admitted()) {
        long ms = a.retryAfterNanos() == Long.MAX_VALUE ? -1 : (a.retryAfterNanos() + 999_999) / 1_000_000;
        if (ms != 0) {
          field(g, K_RETRY_AFTER_MILLIS, Long.toString(ms));
        }
      }
      str(g, K_VIA, a.via().label());
      if (a.quota().shadow()) {
        g.writeFieldName(K_SHADOW_FLAG);
        g.writeBoolean(true);
      }
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  private static void map(JsonGenerator g, SerializableString name, Map<String, String> m) throws IOException {
    if (m.isEmpty()) {
      return;
    }
    objectStart(g, name);
    for (Map.Entry<String, String> e : m.entrySet()) {
      g.writeStringField(e.getKey(), e.getValue());
    }
    g.writeEndObject();
  }

  private static void strings(JsonGenerator g, SerializableString name, List<String> list) throws IOException {
    if (list.isEmpty()) {
      return;
    }
    arrayStart(g, name);
    for (String s : list) {
      g.writeString(s);
    }
    g.writeEndArray();
  }

  private static void field(JsonGenerator g, SerializableString name, String value) throws IOException {
    g.writeFieldName(name);
    g.writeString(value);
  }

  private static void number(JsonGenerator g, SerializableString name, int value) throws IOException {
    g.writeFieldName(name);
    g.writeNumber(value);
  }

  private static void objectStart(JsonGenerator g, SerializableString name) throws IOException {
    g.writeFieldName(name);
    g.writeStartObject();
  }

  private static void arrayStart(JsonGenerator g, SerializableString name) throws IOException {
    g.writeFieldName(name);
    g.writeStartArray();
  }

  /** A string field, left out when null or empty (protobuf's default). */
  private static void str(JsonGenerator g, SerializableString name, String value) throws IOException {
    if (value != null && !value.isEmpty()) {
      field(g, name, value);
    }
  }

  private static void num(JsonGenerator g, SerializableString name, int value) throws IOException {
    if (value != 0) {
      number(g, name, value);
    }
  }

  /**
   * `time`: RFC 3339 in UTC, with 0, 3, 6 or 9 fraction digits, as protobuf's `Timestamps.toString`
   * and {@link java.time.Instant#toString} print it: the second as the JDK prints it (once a
   * second), the fraction after it.
   */
  private void time(JsonGenerator g, long nanos, char[] chars) throws IOException {
    long epoch = epochNanosAtOrigin + (nanos - nanoOrigin);
    long second = Math.floorDiv(epoch, 1_000_000_000L);
    int nano = (int) Math.floorMod(epoch, 1_000_000_000L);
    Second last = lastSecond;
    if (last.epochSecond() != second) {
      String text = java.time.Instant.ofEpochSecond(second).toString(); // `…:07Z`
      last = new Second(second, text.substring(0, text.length() - 1));
      lastSecond = last;
    }
    String text = last.text();
    int n = text.length();
    text.getChars(0, n, chars, 0);
    int digits = nano == 0 ? 0 : nano % 1_000_000 == 0 ? 3 : nano % 1_000 == 0 ? 6 : 9;
    if (digits > 0) {
      chars[n++] = '.';
      int value = digits == 3 ? nano / 1_000_000 : digits == 6 ? nano / 1_000 : nano;
      for (int i = n + digits - 1; i >= n; i--) {
        chars[i] = (char) ('0' + value % 10);
        value /= 10;
      }
      n += digits;
    }
    chars[n++] = 'Z';
    g.writeFieldName(K_TIME);
    g.writeString(chars, 0, n);
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
