package dev.warden.server.decisionlog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.bundle.BundleReader;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.Outcome;
import dev.warden.policy.runtime.Request;
import dev.warden.proto.v1.DecisionLog;
import dev.warden.proto.v1.LoggedBundle;
import dev.warden.server.authz.DecisionRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Decision records of the example bundle's decisions, every outcome kind, and masking as a property. */
class RecordEncoderTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
  private static final String ORDER = "7f0c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e01";
  private static Program shop;
  private static final RecordEncoder ENCODER = new RecordEncoder(Masking.defaults("x-api-key", ValueHasher.random()),
      revision -> new RecordEncoder.KnownBundle(LoggedBundle.newBuilder().setName("shop").setRevision(revision)
          .setDigest("sha256:" + "ab".repeat(32)).build(), PolicyRedactions.of(shop.logRedactions())), NOW, 0);

  @BeforeAll
  static void compile() throws Exception {
    shop = BundleCompiler.standard().compile(BundleReader.read(Path.of("..", "policies", "shop"))).program();
  }

  private static Request request(String method, String path, Map<String, Object> claims, Map<String, String> headers) {
    return Request.builder(method, path, NOW).headers(headers)
        .identity(claims == null ? Identity.anonymous() : Identity.ofClaims(claims)).build();
  }

  private static JsonNode logged(Request q) throws Exception {
    Decision d = shop.decide(q);
    DecisionRecord r = new DecisionRecord("d-1", DecisionRecord.Api.EXT_AUTHZ, d, DecisionRecord.Cause.POLICY, q,
        1_000_000, 1_250_000, false, null);
    return JSON.readTree(ENCODER.line(r));
  }

  private static Map<String, Object> alice() {
    return Map.of("sub", "alice", "roles", List.of("customer"), "tenant", "acme");
  }

  @Test
  void anAllowRecordsWhoWhatWhenAndWhy() throws Exception {
    JsonNode r = logged(request("GET", "/orders/" + ORDER, alice(), Map.of(
        "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "x-request-id", "req-42")));
    assertThat(r.path("version").asInt()).isEqualTo(1);
    assertThat(r.path("decisionId").asText()).isEqualTo("d-1");
    assertThat(r.path("time").asText()).isEqualTo("2026-12-01T10:00:00.001Z");
    assertThat(r.path("api").asText()).isEqualTo("ext_authz");
    assertThat(r.path("outcome").asText()).isEqualTo("allow");
    assertThat(r.path("allowed").asBoolean()).isTrue();
    assertThat(r.path("status").asInt()).isEqualTo(200);
    assertThat(r.path("route").asText()).isEqualTo("orders.read");
    assertThat(r.path("rules").get(0).path("location").asText()).matches("[a-z_]+\\.warden:\\d+");
    assertThat(r.path("bundle").path("name").asText()).isEqualTo("shop");
    assertThat(r.path("bundle").path("revision").asText()).isEqualTo(shop.revision());
    assertThat(r.path("principal").path("id").asText()).isEqualTo("alice");
    assertThat(r.path("principal").path("roles").toString()).isEqualTo("[\"customer\"]");
    assertThat(r.path("trace").path("traceId").asText()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(r.path("trace").path("parentSpanId").asText()).isEqualTo("00f067aa0ba902b7");
    assertThat(r.path("trace").path("requestId").asText()).isEqualTo("req-42");
    assertThat(r.path("latencyMicros").asLong()).isEqualTo(250);
    assertThat(r.path("request").path("path").asText()).isEqualTo("/orders/" + ORDER);
  }

  @Test
  void everyOutcomeKindIsRecordedWithItsStatusAndReason() throws Exception {
    Map<String, Request> cases = new HashMap<>();
    cases.put("forbid", request("GET", "/orders/" + ORDER, Map.of("sub", "mallory", "roles", List.of("customer"),
        "tenant", "acme"), Map.of()));
    cases.put("no_route", request("GET", "/nowhere", alice(), Map.of()));
    cases.put("unauthenticated", request("GET", "/orders", null, Map.of()));
    cases.put("retired", request("GET", "/v1/orders/7", alice(), Map.of()));
    cases.put("bad_request", request("GET", "/static/..;/admin/users", alice(), Map.of()));
    for (Map.Entry<String, Request> c : cases.entrySet()) {
      JsonNode r = logged(c.getValue());
      Decision d = shop.decide(c.getValue());
      assertThat(r.path("outcome").asText()).as(c.getKey()).isEqualTo(d.outcome().label()).isEqualTo(c.getKey());
      assertThat(r.path("allowed").asBoolean()).as(c.getKey()).isFalse();
      assertThat(r.path("status").asInt()).as(c.getKey()).isEqualTo(d.status());
      assertThat(r.path("reason").asText()).as(c.getKey()).isEqualTo(d.reason());
    }
    // A refusal Warden made without the program: no request, no bundle, its cause.
    DecisionRecord none = new DecisionRecord("d-2", DecisionRecord.Api.DECIDE,
        Decision.refused(Outcome.ERROR, 503, "no policy is loaded", "no bundle is active", null),
        DecisionRecord.Cause.NO_POLICY, null, 0, 10_000, false, null);
    JsonNode r = JSON.readTree(ENCODER.line(none));
    assertThat(r.path("cause").asText()).isEqualTo("no_policy");
    assertThat(r.path("outcome").asText()).isEqualTo("error");
    assertThat(r.has("request")).isFalse();
    assertThat(r.has("bundle")).isFalse();
  }

  @Test
  void credentialsJwtSignaturesAndSecretQueryValuesAreMaskedAndListed() throws Exception {
    String jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNlY3JldA";
    DecisionLog r = ENCODER.record(new DecisionRecord("d-3", DecisionRecord.Api.EXT_AUTHZ,
        shop.decide(request("GET", "/orders?%74oken=abc123&page=2", alice(), Map.of())), DecisionRecord.Cause.POLICY,
        request("GET", "/orders?%74oken=abc123&page=2&Sig=zz9", alice(), Map.of("authorization", "Bearer " + jwt,
            "cookie", "session=s3cr3t", "x-api-key", "k-123", "x-id-token", jwt, "accept", "application/json")),
        0, 1, false, null));
    assertThat(r.getRequest().getHeadersMap()).containsEntry("authorization", Masking.MASK)
        .containsEntry("cookie", Masking.MASK).containsEntry("x-api-key", Masking.MASK)
        .containsEntry("x-id-token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9." + Masking.MASK)
        .containsEntry("accept", "application/json");
    assertThat(r.getRequest().getQueryMap()).containsEntry("%74oken", Masking.MASK).containsEntry("page", "2")
        .containsEntry("Sig", Masking.MASK);
    assertThat(r.getMaskedList()).contains("request.headers.authorization", "request.headers.cookie",
        "request.headers.x-api-key", "request.headers.x-id-token#signature", "request.query.token", "request.query.sig");
  }

  /** The fast JSON writer prints what protobuf's own printer prints, for any text in any field. */
  @Property(tries = 200)
  void theLineIsProtobufsJsonMapping(@ForAll String header, @ForAll String value, @ForAll String path) throws Exception {
    Request q = request("POST", "/orders/" + path.replace("?", "") + "?q=" + value + "&token=" + value, alice(),
        Map.of("x-" + Integer.toHexString(header.hashCode()), value, "traceparent", value, "x-request-id", header));
    DecisionRecord r = new DecisionRecord("d-" + header, DecisionRecord.Api.EXT_AUTHZ, shop.decide(q),
        DecisionRecord.Cause.POLICY, q, 5, 123_456_789, false, null);
    assertThat(JSON.readTree(ENCODER.line(r))).isEqualTo(JSON.readTree(ENCODER.referenceLine(r)));
  }

  /**
   * Claims are logged as the policy saw them, a plain JSON object: what `warden replay` rebuilds
   * the caller from. Numbers are doubles, as a Struct holds them (and as Envoy's metadata sends them).
   */
  @Test
  void theCallersClaimsAreLogged() throws Exception {
    Map<String, Object> claims = new java.util.LinkedHashMap<>(alice());
    claims.put("risk", 0.25);
    claims.put("level", 3L);
    claims.put("org", Map.of("id", "o-1", "admins", List.of("alice", 7)));
    claims.put("gone", null);
    JsonNode r = logged(request("GET", "/orders/" + ORDER, claims, Map.of()));
    JsonNode logged = r.path("principal").path("claims");
    assertThat(logged.path("sub").asText()).isEqualTo("alice");
    assertThat(logged.path("roles").toString()).isEqualTo("[\"customer\"]");
    assertThat(logged.path("risk").asDouble()).isEqualTo(0.25);
    assertThat(logged.path("level").asDouble()).isEqualTo(3.0);
    assertThat(logged.path("org").toString()).isEqualTo("{\"admins\":[\"alice\",7.0],\"id\":\"o-1\"}");
    assertThat(logged.has("gone")).isTrue();
    assertThat(logged.path("gone").isNull()).isTrue();
    // An anonymous caller has none.
    assertThat(logged(request("GET", "/static/a.js", null, Map.of())).path("principal").has("claims")).isFalse();
  }

  /**
   * The fast writer prints claims as protobuf's printer prints the Struct, for any text and any
   * finite number: compared as parsed JSON trees, where both print a double as Java does (`7.0`,
   * `1.0E-5`), so the trees are equal number for number.
   */
  @Property(tries = 200)
  void claimsPrintAsProtobufsJsonMapping(@ForAll String key, @ForAll String text, @ForAll double number,
      @ForAll long whole, @ForAll boolean flag) throws Exception {
    Assume.that(Double.isFinite(number));
    Map<String, Object> claims = new java.util.LinkedHashMap<>(alice());
    claims.put("k" + key, text);
    claims.put("n", number);
    claims.put("w", whole);
    claims.put("nested", Map.of("flag", flag, "list", List.of(text, number, Map.of("x", whole))));
    Request q = request("GET", "/orders/" + ORDER, claims, Map.of());
    DecisionRecord r = new DecisionRecord("d", DecisionRecord.Api.EXT_AUTHZ, shop.decide(q),
        DecisionRecord.Cause.POLICY, q, 0, 1_000, false, null);
    assertThat(JSON.readTree(ENCODER.line(r))).isEqualTo(JSON.readTree(ENCODER.referenceLine(r)));
  }

  /**
   * Claims as Envoy's jwt_authn metadata sends them (a Struct, read through {@code StructClaims},
   * which the writer prints from the Struct as it is) log exactly as the same claims as plain Java
   * values do, and as protobuf prints them.
   */
  @Property(tries = 200)
  void claimsFromEnvoysStructLogAsTheSameClaimsAsPlainValues(@ForAll String key, @ForAll String text,
      @ForAll double number, @ForAll boolean flag) throws Exception {
    Assume.that(Double.isFinite(number));
    com.google.protobuf.Value listed = com.google.protobuf.Value.newBuilder().setListValue(
        com.google.protobuf.ListValue.newBuilder().addValues(string(text)).addValues(numberValue(number))
            .addValues(com.google.protobuf.Value.newBuilder().setNullValue(com.google.protobuf.NullValue.NULL_VALUE)))
        .build();
    com.google.protobuf.Struct nested = com.google.protobuf.Struct.newBuilder()
        .putFields("flag", com.google.protobuf.Value.newBuilder().setBoolValue(flag).build())
        .putFields("list", listed).putFields("k" + key, string(text)).build();
    com.google.protobuf.Struct struct = com.google.protobuf.Struct.newBuilder().putFields("sub", string("alice"))
        .putFields("roles", com.google.protobuf.Value.newBuilder().setListValue(com.google.protobuf.ListValue
            .newBuilder().addValues(string("customer")).addValues(string(text))).build())
        .putFields("tenant", string("acme")).putFields("k" + key, string(text)).putFields("n", numberValue(number))
        .putFields("email", string(text + "@example.com")).putFields("level", numberValue(3))
        .putFields("nested", com.google.protobuf.Value.newBuilder().setStructValue(nested).build()).build();
    Map<String, Object> view = dev.warden.server.authz.StructClaims.of(struct);
    @SuppressWarnings("unchecked")
    Map<String, Object> plain = (Map<String, Object>) plain(view);
    Request fromStruct = request("GET", "/orders/" + ORDER, view, Map.of());
    Request fromPlain = request("GET", "/orders/" + ORDER, plain, Map.of());
    DecisionRecord a = new DecisionRecord("d", DecisionRecord.Api.EXT_AUTHZ, shop.decide(fromStruct),
        DecisionRecord.Cause.POLICY, fromStruct, 0, 1_000, false, null);
    DecisionRecord b = new DecisionRecord("d", DecisionRecord.Api.EXT_AUTHZ, shop.decide(fromPlain),
        DecisionRecord.Cause.POLICY, fromPlain, 0, 1_000, false, null);
    assertThat(new String(ENCODER.line(a), StandardCharsets.UTF_8))
        .isEqualTo(new String(ENCODER.line(b), StandardCharsets.UTF_8));
    assertThat(JSON.readTree(ENCODER.line(a))).isEqualTo(JSON.readTree(ENCODER.referenceLine(a)));
  }

  private static com.google.protobuf.Value string(String s) {
    return com.google.protobuf.Value.newBuilder().setStringValue(s).build();
  }

  private static com.google.protobuf.Value numberValue(double d) {
    return com.google.protobuf.Value.newBuilder().setNumberValue(d).build();
  }

  /** A claims view copied into plain maps and lists, as identities from JWTs hold them. */
  private static Object plain(Object v) {
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new java.util.LinkedHashMap<>();
      m.forEach((k, x) -> out.put((String) k, plain(x)));
      return out;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new java.util.ArrayList<>();
      l.forEach(x -> out.add(plain(x)));
      return out;
    }
    return v;
  }

  /**
   * Headers are logged sorted by lower-case name, the later of two names that differ only in case
   * winning, however many a request has (the writer sorts few in place and many in a tree).
   */
  @Property(tries = 200)
  void headersAreLoggedSortedByLowerCaseNameTheLaterOfTwoWinning(
      @ForAll("headerNames") List<String> names, @ForAll("plainValues") List<String> values) throws Exception {
    Map<String, String> headers = new java.util.LinkedHashMap<>();
    Map<String, String> expected = new java.util.TreeMap<>();
    for (int i = 0; i < names.size(); i++) {
      String value = values.get(i % values.size());
      headers.put(names.get(i), value);
    }
    headers.forEach((name, value) -> expected.put(name.toLowerCase(java.util.Locale.ROOT), value));
    JsonNode logged = logged(request("GET", "/orders/" + ORDER, alice(), headers)).path("request").path("headers");
    Map<String, String> actual = new java.util.LinkedHashMap<>();
    logged.fields().forEachRemaining(e -> actual.put(e.getKey(), e.getValue().asText()));
    assertThat(actual).containsExactlyEntriesOf(expected);
  }

  @Provide
  Arbitrary<List<String>> headerNames() {
    return Arbitraries.strings().withChars("abcXYZ-").ofMinLength(1).ofMaxLength(3).map(n -> "x-" + n)
        .list().ofMinSize(0).ofMaxSize(90);
  }

  @Provide
  Arbitrary<List<String>> plainValues() {
    return Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(12).list().ofMinSize(1).ofMaxSize(5);
  }

  /** `time` is the call's arrival as RFC 3339 in UTC, printed as the JDK and protobuf print it. */
  @Property(tries = 300)
  void theTimeIsTheArrivalAsTheJdkPrintsIt(@ForAll("arrivals") long arrivedNanos) throws Exception {
    Request q = request("GET", "/orders/" + ORDER, alice(), Map.of());
    DecisionRecord r = new DecisionRecord("d", DecisionRecord.Api.EXT_AUTHZ, shop.decide(q),
        DecisionRecord.Cause.POLICY, q, arrivedNanos, arrivedNanos + 1_000, false, null);
    Instant expected = NOW.plusNanos(arrivedNanos);
    assertThat(JSON.readTree(ENCODER.line(r)).path("time").asText()).isEqualTo(expected.toString());
    assertThat(JSON.readTree(ENCODER.line(r))).isEqualTo(JSON.readTree(ENCODER.referenceLine(r)));
  }

  @Provide
  Arbitrary<Long> arrivals() {
    long decade = 10L * 365 * 24 * 3600 * 1_000_000_000L;
    return Arbitraries.oneOf(Arbitraries.longs().between(-decade, decade),
        Arbitraries.longs().between(-decade / 1_000_000, decade / 1_000_000).map(ms -> ms * 1_000_000),
        Arbitraries.longs().between(-decade / 1_000, decade / 1_000).map(us -> us * 1_000),
        Arbitraries.longs().between(-3600, 3600).map(s -> s * 1_000_000_000L));
  }

  @Test
  void everyOutcomeKindPrintsAsProtobufWould() throws Exception {
    for (Request q : List.of(request("GET", "/orders/" + ORDER, alice(), Map.of("accept", "a")),
        request("GET", "/nowhere", alice(), Map.of()), request("GET", "/orders", null, Map.of()),
        request("GET", "/v1/orders/7", alice(), Map.of()), request("GET", "/static/..;/admin/users", alice(), Map.of()))) {
      DecisionRecord r = new DecisionRecord("d", DecisionRecord.Api.DECIDE, shop.decide(q), DecisionRecord.Cause.POLICY,
          q, 0, 2_000, false, null);
      assertThat(JSON.readTree(ENCODER.line(r))).isEqualTo(JSON.readTree(ENCODER.referenceLine(r)));
    }
  }

  @Test
  void wouldBeDecisionsPrintAsProtobufWould() throws Exception {
    Request q = request("GET", "/orders/" + ORDER, alice(), Map.of("accept", "a"));
    dev.warden.policy.runtime.Decision d = shop.decide(q);
    dev.warden.policy.runtime.Decision would = dev.warden.policy.runtime.Decision.refused(
        dev.warden.policy.runtime.Outcome.FORBID, 403, "not yet", "a candidate forbids it", "next@sha256:0123456789ab");
    DecisionRecord r = new DecisionRecord("d-s", DecisionRecord.Api.EXT_AUTHZ, d.withShadow(would),
        DecisionRecord.Cause.POLICY, q, 0, 2_000, false, null,
        List.of(new DecisionRecord.ShadowDecision("shop", "next@sha256:0123456789ab", would, true),
            new DecisionRecord.ShadowDecision("shop", "same@sha256:0123456789ab", d, false)));
    DecisionLog log = ENCODER.record(r);
    assertThat(log.getShadowList()).extracting(s -> s.getSource(), s -> s.getAllowed(), s -> s.getChanged())
        .containsExactly(org.assertj.core.groups.Tuple.tuple("rules", false, d.allowed()),
            org.assertj.core.groups.Tuple.tuple("bundle", false, true),
            org.assertj.core.groups.Tuple.tuple("bundle", d.allowed(), false));
    assertThat(log.getShadow(1).getRevision()).isEqualTo("next@sha256:0123456789ab");
    assertThat(JSON.readTree(ENCODER.line(r))).isEqualTo(JSON.readTree(ENCODER.referenceLine(r)));
  }

  // Masking as a property: no secret value ever appears in the encoded line.

  @Provide
  Arbitrary<String> secrets() {
    return Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789-_").ofMinLength(12).ofMaxLength(40)
        .map(s -> "S3CR" + s);
  }

  @Provide
  Arbitrary<String> plain() {
    return Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789").ofMinLength(1).ofMaxLength(20)
        .map(s -> "PLAIN" + s);
  }

  @Provide
  Arbitrary<String> secretHeaders() {
    return Arbitraries.of(Masking.DEFAULT_HEADERS.stream().sorted().toList())
        .flatMap(h -> Arbitraries.of(h, h.toUpperCase(java.util.Locale.ROOT)));
  }

  @Provide
  Arbitrary<String> secretParams() {
    return Arbitraries.of(Masking.DEFAULT_QUERY.stream().toList());
  }

  @Property(tries = 300)
  void noSecretEverAppearsInALine(@ForAll("secrets") String secret, @ForAll("secretHeaders") String header,
      @ForAll("secretParams") String param, @ForAll("plain") String other) throws Exception {
    String jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0." + secret;
    String encodedParam = param.chars().mapToObj(c -> String.format("%%%02X", c)).reduce("", String::concat);
    String target = "/orders?" + param + "=" + secret + "&" + encodedParam + "=" + secret + "&q=" + other;
    // Envoy hands over the request line's target as `:path` too, and a browser the previous page's as `referer`.
    Request q = request("GET", target, alice(), Map.of(header, secret, "x-forwarded-jwt", jwt, "x-other", "Bearer " + jwt,
        "accept", other, ":path", target, "referer", "https://shop.example" + target + "#top"));
    DecisionRecord r = new DecisionRecord("d", DecisionRecord.Api.DECIDE, shop.decide(q), DecisionRecord.Cause.POLICY,
        q, 0, 1, false, null);
    String line = new String(ENCODER.line(r), StandardCharsets.UTF_8);
    assertThat(line).doesNotContain(secret).contains(other);
    DecisionLog d = ENCODER.record(r);
    assertThat(d.getRequest().getHeadersMap().get(":path")).startsWith("/orders?" + param + "=[masked]&")
        .endsWith("&q=" + other);
    assertThat(d.getRequest().getHeadersMap().get("referer")).endsWith("&q=" + other + "#top");
    assertThat(d.getMaskedList()).contains("request.headers.:path#query", "request.headers.referer#query");
  }

  // The property with a policy's `redact log`: random redactions of random headers and query
  // parameters (defaults among them, which no policy weakens), in random spellings.

  private static final List<String> HEADER_POOL = List.of("x-user-email", "x-card", "x-name", "x-forwarded-jwt",
      "authorization", "cookie", "x-api-key", "x-plain");
  private static final List<String> QUERY_POOL = List.of("email", "card", "name", "token", "sig", "page");
  private static final ValueHasher HASHER = ValueHasher.random();
  private static final String JWT_HEAD = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.";

  /** `X-User-Email`, `x-user-email` or `X-USER-EMAIL`. */
  private static String spelled(String name, java.util.Random random) {
    return switch (random.nextInt(3)) {
      case 0 -> name;
      case 1 -> name.toUpperCase(java.util.Locale.ROOT);
      default -> java.util.Arrays.stream(name.split("-")).map(w -> w.isEmpty() ? w
          : Character.toUpperCase(w.charAt(0)) + w.substring(1)).reduce((a, b) -> a + "-" + b).orElse(name);
    };
  }

  /** `email`, `EMAIL` or one character percent-encoded: `%65mail`. */
  private static String queryName(String name, java.util.Random random) {
    int i = random.nextInt(name.length());
    return switch (random.nextInt(3)) {
      case 0 -> name;
      case 1 -> name.toUpperCase(java.util.Locale.ROOT);
      default -> name.substring(0, i) + String.format("%%%02X", (int) name.charAt(i)) + name.substring(i + 1);
    };
  }

  /** What the model says a field's value becomes and what `masked` names: [shown or null, entry or null]. */
  private static String[] expected(dev.warden.policy.runtime.LogRedaction.Field field, String name, String value,
      boolean secret, dev.warden.policy.runtime.LogRedaction.Action action) {
    String path = field.path() + "." + name;
    if (action == dev.warden.policy.runtime.LogRedaction.Action.REMOVE) {
      return new String[] {null, path + "#remove"};
    }
    boolean jwt = value.startsWith(JWT_HEAD);
    if (secret || action == dev.warden.policy.runtime.LogRedaction.Action.MASK
        || (action == dev.warden.policy.runtime.LogRedaction.Action.LAST4 && jwt)) {
      return new String[] {Masking.MASK, path};
    }
    if (action == dev.warden.policy.runtime.LogRedaction.Action.LAST4) {
      return new String[] {Masking.MASK + value.substring(value.length() - 4), path + "#last4"};
    }
    if (action == dev.warden.policy.runtime.LogRedaction.Action.HASH) {
      return new String[] {HASHER.hash(value), path + "#hash"};
    }
    return jwt ? new String[] {JWT_HEAD + Masking.MASK, path + "#signature"} : new String[] {value, null};
  }

  @Property(tries = 300)
  void noRedactedValueAppearsAndMaskedListsExactlyWhatChanged(@ForAll java.util.Random random,
      @ForAll("secrets") String seed) throws Exception {
    dev.warden.policy.runtime.LogRedaction.Action[] actions = dev.warden.policy.runtime.LogRedaction.Action.values();
    List<dev.warden.policy.runtime.LogRedaction> policy = new java.util.ArrayList<>();
    Map<String, dev.warden.policy.runtime.LogRedaction.Action> byPath = new HashMap<>();
    for (String h : HEADER_POOL) {
      if (random.nextBoolean()) {
        dev.warden.policy.runtime.LogRedaction.Action a = actions[random.nextInt(actions.length)];
        policy.add(new dev.warden.policy.runtime.LogRedaction(dev.warden.policy.runtime.LogRedaction.Field.HEADER, h,
            a, "p.warden:1"));
        byPath.put("request.headers." + h, a);
      }
    }
    for (String n : QUERY_POOL) {
      if (random.nextBoolean()) {
        dev.warden.policy.runtime.LogRedaction.Action a = actions[random.nextInt(actions.length)];
        policy.add(new dev.warden.policy.runtime.LogRedaction(dev.warden.policy.runtime.LogRedaction.Field.QUERY, n,
            a, "p.warden:1"));
        byPath.put("request.query." + n, a);
      }
    }
    Map<String, String> headers = new HashMap<>();
    StringBuilder query = new StringBuilder();
    Map<String, String> hidden = new HashMap<>();
    Map<String, String> shownHeaders = new java.util.TreeMap<>();
    Map<String, String> shownQuery = new java.util.TreeMap<>();
    java.util.Set<String> masked = new java.util.TreeSet<>();
    int n = 0;
    for (String h : HEADER_POOL) {
      if (random.nextInt(4) == 0) {
        continue;
      }
      String secret = seed + "h" + n++;
      String value = h.equals("x-forwarded-jwt") ? JWT_HEAD + secret : secret;
      headers.put(spelled(h, random), value);
      boolean isDefault = Masking.DEFAULT_HEADERS.contains(h);
      String[] e = expected(dev.warden.policy.runtime.LogRedaction.Field.HEADER, h, value, isDefault,
          byPath.get("request.headers." + h));
      if (e[0] != null) {
        shownHeaders.put(h, e[0]);
      }
      if (e[1] != null) {
        masked.add(e[1]);
        hidden.put("request.headers." + h, secret);
      }
    }
    for (String name : QUERY_POOL) {
      if (random.nextInt(4) == 0) {
        continue;
      }
      String secret = seed + "q" + n++;
      String written = queryName(name, random);
      query.append(query.length() == 0 ? "?" : "&").append(written).append('=').append(secret);
      String[] e = expected(dev.warden.policy.runtime.LogRedaction.Field.QUERY, name, secret,
          Masking.DEFAULT_QUERY.contains(name), byPath.get("request.query." + name));
      if (e[0] != null) {
        shownQuery.put(written, e[0]);
      }
      if (e[1] != null) {
        masked.add(e[1]);
        hidden.put("request.query." + name, secret);
      }
    }
    RecordEncoder encoder = new RecordEncoder(Masking.defaults("x-api-key", HASHER),
        revision -> new RecordEncoder.KnownBundle(LoggedBundle.newBuilder().setRevision(revision).build(),
            PolicyRedactions.of(policy)), NOW, 0);
    Request q = request("GET", "/orders" + query, alice(), headers);
    DecisionRecord r = new DecisionRecord("d", DecisionRecord.Api.DECIDE, shop.decide(q), DecisionRecord.Cause.POLICY,
        q, 0, 1, false, null);
    String line = new String(encoder.line(r), StandardCharsets.UTF_8);
    for (Map.Entry<String, String> h : hidden.entrySet()) {
      assertThat(line).as(h.getKey()).doesNotContain(h.getValue());
    }
    DecisionLog d = encoder.record(r);
    assertThat(d.getRequest().getHeadersMap()).isEqualTo(shownHeaders);
    assertThat(d.getRequest().getQueryMap()).isEqualTo(shownQuery);
    assertThat(d.getMaskedList()).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(masked);
  }
}
