package dev.warden.policy.schema;

import static dev.warden.policy.support.Bundles.codes;
import static dev.warden.policy.support.Bundles.compile;
import static dev.warden.policy.support.Bundles.program;
import static dev.warden.policy.support.Bundles.user;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.runtime.Violation;

import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.Outcome;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.runtime.RequestBody;
import dev.warden.policy.support.Bundles;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/**
 * `schema` blocks: requests to a route that do not match its schema are denied before any rule
 * (400, 413, 415) with the offending field paths; those that match reach the rules, which read
 * `request.body` typed by the schema.
 */
class SchemaTest {
  private static final String SHOP = Bundles.SHOP_PRINCIPAL + """
      role customer { allow create, search, update }
      api "Shop" {
        route create POST /orders
        route search GET /orders
        route update PUT /orders/{orderId}
        route ping GET /ping
      }
      permit ping
      schema create {
        body {
          items: list<{ sku: string(1..16) matches "^[A-Z]+-[0-9]+$", qty: int(1..100) }>(1..5),
          note?: string(..20),
          currency: "EUR" | "USD",
          contact: email?,
          shipBy: time?,
          gift: bool?,
        }
        headers { "Idempotency-Key": uuid }
        limits { body 2KiB, depth 6, items 50, string 200 }
      }
      schema search {
        query { q: string(1..20), limit: int(1..100)?, tag: list<string>(..3)? }
      }
      schema update {
        body form { status: "open" | "closed", note?: string(..10) }
      }
      forbid create when any i in request.body.items: i.qty > 50 because "large orders need a call"
      """;
  private static final Program P = program(SHOP);
  private static final String KEY = "7f0c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e01";
  private static final String OK_ORDER = "{\"items\":[{\"sku\":\"AB-1\",\"qty\":2}],\"currency\":\"EUR\"}";

  private static Decision send(String method, String target, String contentType, String body,
      Map<String, String> headers) {
    Request.Builder b = Request.builder(method, target, Bundles.NOW).headers(headers)
        .identity(user("alice", "customer"));
    if (body != null) {
      b.body(RequestBody.ofText(body, contentType, false));
    }
    return P.decide(b.build());
  }

  private static Decision order(String body) {
    return send("POST", "/orders", "application/json", body, Map.of("idempotency-key", KEY));
  }

  private static List<String> violations(Decision d) {
    return d.violations().stream().map(Violation::toString).toList();
  }

  @Test
  void aMatchingRequestReachesTheRulesWhichReadTheTypedBody() {
    Decision ok = order(OK_ORDER);
    assertThat(ok.allowed()).as(ok.explanation()).isTrue();
    Decision big = order("{\"items\":[{\"sku\":\"AB-1\",\"qty\":60}],\"currency\":\"EUR\"}");
    assertThat(big.outcome()).isEqualTo(Outcome.FORBID);
    assertThat(big.reason()).isEqualTo("large orders need a call");
  }

  @Test
  void unknownFieldsAtAnyDepthAreRefusedNoMassAssignment() {
    Decision d = order("{\"items\":[{\"sku\":\"AB-1\",\"qty\":2,\"price\":0}],\"currency\":\"EUR\",\"role\":\"admin\"}");
    assertThat(d.outcome()).isEqualTo(Outcome.SCHEMA);
    assertThat(d.status()).isEqualTo(400);
    assertThat(d.reason()).isEqualTo("request does not match its schema");
    assertThat(violations(d)).containsExactlyInAnyOrder("body.items[0].price (unknown)", "body.role (unknown)");
    assertThat(d.rules()).extracting(r -> r.kind()).containsOnly("route");
  }

  @Test
  void eachInlineTypeAndBoundIsChecked() {
    assertThat(violations(order("{\"items\":[],\"currency\":\"EUR\"}"))).containsExactly("body.items (items)");
    assertThat(violations(order("{\"items\":[{\"sku\":\"ab-1\",\"qty\":2}],\"currency\":\"EUR\"}")))
        .containsExactly("body.items[0].sku (pattern)");
    assertThat(violations(order("{\"items\":[{\"sku\":\"AB-1\",\"qty\":0}],\"currency\":\"GBP\"}")))
        .containsExactly("body.items[0].qty (range)", "body.currency (enum)");
    assertThat(violations(order("{\"items\":[{\"sku\":\"AB-1\",\"qty\":\"2\"}],\"currency\":\"EUR\"}")))
        .containsExactly("body.items[0].qty (type)");
    assertThat(violations(order("{\"items\":[{\"sku\":\"AB-1\",\"qty\":2.5}],\"currency\":\"EUR\"}")))
        .containsExactly("body.items[0].qty (type)");
    assertThat(violations(order("{\"items\":[{\"sku\":\"AB-1\"}]}")))
        .containsExactly("body.items[0].qty (required)", "body.currency (required)");
    assertThat(violations(order("{\"items\":[{\"sku\":\"AB-1\",\"qty\":2}],\"currency\":\"EUR\","
        + "\"note\":\"" + "n".repeat(21) + "\",\"contact\":\"not an address\",\"shipBy\":\"tomorrow\",\"gift\":1}")))
        .containsExactly("body.note (length)", "body.contact (format)", "body.shipBy (format)", "body.gift (type)");
    assertThat(order("{\"items\":[{\"sku\":\"AB-1\",\"qty\":2}],\"currency\":\"USD\",\"note\":\"hi\","
        + "\"contact\":\"a@example.com\",\"shipBy\":\"2026-02-01T10:00:00Z\",\"gift\":true}").allowed()).isTrue();
    // JSON's null is not an absent field: it has no declared type.
    assertThat(violations(order("{\"items\":[{\"sku\":\"AB-1\",\"qty\":2}],\"currency\":\"EUR\",\"note\":null}")))
        .containsExactly("body.note (type)");
  }

  @Test
  void headersAreCheckedByLowerCaseNameAndUndeclaredOnesPass() {
    Decision missing = send("POST", "/orders", "application/json", OK_ORDER, Map.of("x-other", "1"));
    assertThat(violations(missing)).containsExactly("headers.idempotency-key (required)");
    Decision bad = send("POST", "/orders", "application/json", OK_ORDER, Map.of("idempotency-key", "123"));
    assertThat(violations(bad)).containsExactly("headers.idempotency-key (format)");
  }

  @Test
  void bodiesTooLargeCutShortOrOfAnotherTypeAreRefusedWithTheirOwnStatus() {
    Decision large = order("{\"items\":[{\"sku\":\"AB-1\",\"qty\":2}],\"currency\":\"EUR\",\"note\":\""
        + " ".repeat(3000) + "\"}");
    assertThat(large.status()).isEqualTo(413);
    assertThat(large.reason()).isEqualTo("request body too large");
    Request cut = Request.builder("POST", "/orders", Bundles.NOW).headers(Map.of("idempotency-key", KEY))
        .identity(user("alice", "customer")).body(RequestBody.ofText(OK_ORDER, "application/json", true)).build();
    assertThat(P.decide(cut).status()).isEqualTo(413);
    Decision text = send("POST", "/orders", "text/plain", OK_ORDER, Map.of("idempotency-key", KEY));
    assertThat(text.status()).isEqualTo(415);
    assertThat(text.reason()).isEqualTo("unsupported content type");
    Decision none = send("POST", "/orders", null, null, Map.of("idempotency-key", KEY));
    assertThat(violations(none)).containsExactly("body (required)");
  }

  @Test
  void aTruncatedBodyIs413Or400AsTheSchemaSays() {
    Program p = program(Bundles.SHOP_PRINCIPAL + """
        api "Shop" { route create POST /orders  route upload POST /uploads }
        permit create, upload
        schema create { body { sku: string } limits { truncated 400 } }
        schema upload { body { name: string } }
        """);
    java.util.function.Function<String, Request> cut = path -> Request.builder("POST", path, Bundles.NOW)
        .identity(user("alice")).body(RequestBody.ofText("{\"sku\":\"a\"", "application/json", true)).build();
    assertThat(p.decide(cut.apply("/orders")).status()).isEqualTo(400);
    assertThat(p.decide(cut.apply("/uploads")).status()).isEqualTo(413);
    assertThat(violations(p.decide(cut.apply("/orders")))).containsExactly("body (size)");
    assertThat(codes(compile(SHOP + "schema ping { body { a: int } limits { truncated 500 } }")))
        .contains("check.bad_limit");
  }

  @Test
  void hugeStringsAndArraysAreRefusedByTheLimits() {
    String huge = "x".repeat(300);
    assertThat(violations(order("{\"items\":[{\"sku\":\"AB-1\",\"qty\":2}],\"currency\":\"EUR\",\"x\":\"" + huge + "\"}")))
        .containsExactly("body.x (length)");
  }

  @Test
  void hostileBodiesAreRefusedAsTheSchemaSays() {
    assertThat(violations(order("{\"items\":[{\"sku\":\"AB-1\",\"qty\":2}],\"currency\":\"EUR\",\"x\":[[[[[[[1]]]]]]]}")))
        .containsExactly("body.x[0][0][0][0][0] (depth)");
    assertThat(violations(order("{\"items\":[{\"sku\":\"AB-1\",\"qty\":2}],\"currency\":\"EUR\",\"x\":["
        + "1,".repeat(60) + "1]}"))).containsExactly("body.x (items)");
    assertThat(violations(order("{\"items\":[{\"sku\":\"AB-1\",\"qty\":2}],\"currency\":\"EUR\",\"currency\":\"USD\"}")))
        .containsExactly("body (syntax)");
    assertThat(violations(order("{\"items\":[{\"sku\":\"AB-1\",\"qty\":2}],"))).containsExactly("body (syntax)");
    assertThat(violations(order("[1]"))).containsExactly("body (type)");
  }

  @Test
  void queryParametersAreStrictTypedAndNeverAmbiguous() {
    assertThat(send("GET", "/orders?q=shoes&limit=10&tag=a&tag=b", null, null, Map.of()).allowed()).isTrue();
    assertThat(violations(send("GET", "/orders?q=shoes&limit=ten", null, null, Map.of())))
        .containsExactly("query.limit (type)");
    assertThat(violations(send("GET", "/orders?q=shoes&limit=1&limit=100", null, null, Map.of())))
        .containsExactly("query.limit (repeated)");
    assertThat(violations(send("GET", "/orders?q=shoes&admin=true", null, null, Map.of())))
        .containsExactly("query.admin (unknown)");
    assertThat(violations(send("GET", "/orders", null, null, Map.of()))).containsExactly("query.q (required)");
    assertThat(violations(send("GET", "/orders?q=a&tag=1&tag=2&tag=3&tag=4", null, null, Map.of())))
        .containsExactly("query.tag (items)");
  }

  @Test
  void formBodiesAreFieldsOfText() {
    Decision ok = send("PUT", "/orders/o1", "application/x-www-form-urlencoded", "status=closed", Map.of());
    assertThat(ok.allowed()).as(ok.explanation()).isTrue();
    assertThat(violations(send("PUT", "/orders/o1", "application/x-www-form-urlencoded", "status=gone&x=1", Map.of())))
        .containsExactly("body.status (enum)", "body.x (unknown)");
    assertThat(send("PUT", "/orders/o1", "application/json", "{\"status\":\"open\"}", Map.of()).status())
        .isEqualTo(415);
  }

  @Test
  void aRouteWithoutASchemaIsUnaffected() {
    assertThat(P.decide(Request.builder("GET", "/ping?anything=1", Bundles.NOW).identity(Identity.anonymous())
        .build()).allowed()).isTrue();
  }

  /** Whatever field a client adds to a valid order, the request never reaches a rule. */
  @Property(tries = 200)
  void noUndeclaredFieldEverReachesARule(@ForAll @AlphaChars @StringLength(min = 1, max = 12) String name) {
    net.jqwik.api.Assume.that(!List.of("items", "note", "currency", "contact", "shipBy", "gift").contains(name));
    Decision d = order(OK_ORDER.substring(0, OK_ORDER.length() - 1) + ",\"" + name + "\":{\"nested\":true}}");
    assertThat(d.outcome()).isEqualTo(Outcome.SCHEMA);
    assertThat(violations(d)).containsExactly("body." + name + " (unknown)");
  }

  @Test
  void additionalAllowOptsOutOfStrictness() {
    Program open = program(Bundles.SHOP_PRINCIPAL + """
        api "Shop" { route create POST /orders }
        permit create
        schema create { body { sku: string } query { dry: bool? } additional allow }
        """);
    Request r = Request.builder("POST", "/orders?dry=true&trace=1", Bundles.NOW).identity(user("alice"))
        .body(RequestBody.ofText("{\"sku\":\"a\",\"extra\":1}", "application/json", false)).build();
    assertThat(open.decide(r).allowed()).isTrue();
  }

  @Test
  void schemaMistakesAreLocatedDiagnostics() {
    assertThat(codes(compile(SHOP + "schema ping { body { n: integer } }"))).contains("check.unknown_type");
    assertThat(codes(compile(SHOP + "schema ping { body { n: int(5..1) } }"))).contains("check.bad_shape");
    assertThat(codes(compile(SHOP + "schema ping { body { n: string matches \"(a\" } }"))).contains("check.bad_regex");
    assertThat(codes(compile(SHOP + "schema ping { query { n: { a: int } } }"))).contains("check.bad_schema_item");
    assertThat(codes(compile(SHOP + "schema ping { limits { body 10 } body { a: int } }"))).contains("check.bad_limit");
    assertThat(codes(compile(SHOP + "schema ping { bdy { a: int } }"))).contains("parse.unknown_schema_item");
    assertThat(codes(compile(SHOP + "schema create { query { a: int } }"))).contains("check.duplicate_schema");
    assertThat(codes(compile(SHOP + "schema nowhere { query { a: int } }"))).isNotEmpty();
    assertThat(codes(compile(SHOP + "schema ping { body json \"schemas/missing.json\" }"))).contains("check.schema_file");
  }

  @Test
  void aRuleReadingAMisspeltBodyFieldIsACheckErrorWithASuggestion() {
    var r = compile(SHOP + "forbid create when request.body.curency == \"EUR\"");
    assertThat(codes(r)).containsExactly("check.unknown_field");
    assertThat(r.diagnostics().get(0).help()).contains("currency");
  }

  @Test
  void theQuerySchemaTypesRequestQueryForRules() {
    Program p = program(SHOP + """
        forbid "page-size" search when (request.query.limit ? 10) > 50 because "at most 50 a page"
        forbid "tags" search when size(request.query.tag ? []) > 2 and request.query.q == "x" because "fewer tags"
        """);
    Identity alice = user("alice", "customer");
    assertThat(p.decide(Request.builder("GET", "/orders?q=a&limit=20", Bundles.NOW).identity(alice).build())
        .allowed()).isTrue();
    Decision big = p.decide(Request.builder("GET", "/orders?q=a&limit=60", Bundles.NOW).identity(alice).build());
    assertThat(big.reason()).isEqualTo("at most 50 a page");
    Decision tags = p.decide(Request.builder("GET", "/orders?q=x&tag=a&tag=b&tag=c", Bundles.NOW).identity(alice)
        .build());
    assertThat(tags.reason()).isEqualTo("fewer tags");
    var misspelt = compile(SHOP + "forbid search when (request.query.limt ? 0) > 1");
    assertThat(codes(misspelt)).containsExactly("check.unknown_field");
    assertThat(misspelt.diagnostics().get(0).help()).contains("limit");
    // Where the schema declares no query, `request.query` is every parameter's values, as before.
    assertThat(codes(compile(SHOP + "forbid create when has request.query[\"x\"]"))).isEmpty();
  }

  @Test
  void aJsonSchemaFileOfTheBundleValidatesTheBodyAndTypesItForRules() {
    String policy = Bundles.SHOP_PRINCIPAL + """
        role customer { allow refund }
        api "Shop" { route refund POST /orders/{orderId}/refund }
        schema refund { body json "schemas/refund.json" }
        forbid refund when (request.body.amount ? 0) > 1000 because "large refunds go through finance"
        """;
    String schema = """
        {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
         "required": ["amount", "reason"],
         "properties": {"amount": {"type": "number", "exclusiveMinimum": 0},
                        "reason": {"type": "string", "maxLength": 200},
                        "lines": {"type": "array", "items": {"$ref": "#/$defs/line"}}},
         "$defs": {"line": {"type": "object", "required": ["sku"], "properties": {"sku": {"type": "string"}}}}}
        """;
    Program p = program(policy, "schemas/refund.json", schema);
    java.util.function.Function<String, Decision> refund = body -> p.decide(Request.builder("POST", "/orders/o1/refund",
        Bundles.NOW).identity(user("alice", "customer")).body(RequestBody.ofText(body, "application/json", false))
        .build());
    assertThat(refund.apply("{\"amount\":12.5,\"reason\":\"damaged\"}").allowed()).isTrue();
    assertThat(refund.apply("{\"amount\":5000,\"reason\":\"damaged\"}").reason())
        .isEqualTo("large refunds go through finance");
    Decision unknown = refund.apply("{\"amount\":1,\"reason\":\"x\",\"lines\":[{\"sku\":\"a\",\"price\":0}]}");
    assertThat(unknown.outcome()).isEqualTo(Outcome.SCHEMA);
    assertThat(violations(unknown)).containsExactly("body.lines[0].price (unknown)");
    assertThat(violations(refund.apply("{\"amount\":-1}"))).contains("body.reason (required)");
    // A broken schema file is a diagnostic at the line that names it.
    assertThat(codes(compile(policy, "schemas/refund.json", "{\"type\": \"objekt\"}"))).contains("check.schema_file");
    assertThat(codes(compile(policy, "schemas/refund.json",
        "{\"$ref\": \"https://example.com/evil.json\"}"))).contains("check.schema_file");
  }

  /**
   * Go's encoding/json and .NET's System.Text.Json bind JSON keys to fields regardless of case,
   * and Jackson does with ACCEPT_CASE_INSENSITIVE_PROPERTIES: a strict schema refuses every
   * spelling it does not declare, so `QTY` or an escaped `\u0071ty` cannot reach such an upstream
   * past the declared `qty`.
   */
  @Test
  void keysAreMatchedExactlySoCaseInsensitiveUpstreamsCannotBeFooled() {
    assertThat(violations(order("{\"items\":[{\"sku\":\"AB-1\",\"qty\":2,\"QTY\":1000}],\"currency\":\"EUR\"}")))
        .containsExactly("body.items[0].QTY (unknown)");
    assertThat(violations(order("{\"items\":[{\"sku\":\"AB-1\",\"Qty\":2}],\"currency\":\"EUR\"}")))
        .containsExactlyInAnyOrder("body.items[0].qty (required)", "body.items[0].Qty (unknown)");
    // An escaped key is the key it spells, as every JSON parser reads it.
    assertThat(order("{\"items\":[{\"sku\":\"AB-1\",\"\\u0071ty\":2}],\"currency\":\"EUR\"}").allowed()).isTrue();
    // Both spellings in one object are a duplicate key: refused before the route (a body that does
    // not parse cannot be searched for method overrides), never read as either value.
    Decision twice = order("{\"items\":[{\"sku\":\"AB-1\",\"qty\":2,\"\\u0071ty\":3}],\"currency\":\"EUR\"}");
    assertThat(twice.allowed()).isFalse();
    assertThat(twice.status()).isEqualTo(400);
  }

  /** A grant or rule that covers no route at all (a bundle without routes) types `request.body` as nothing, and says so. */
  @Test
  void aConstructCoveringNoRouteChecksWithoutCrashing() {
    var r = compile("package bad\nrole a { allow * }\npermit * when request.body.x == 1\n");
    assertThat(codes(r)).contains("check.no_body_type");
  }

  @Test
  void invalidUtf8IsASyntaxViolation() {
    byte[] bad = "{\"items\":[{\"sku\":\"AB-1\",\"qty\":2}],\"currency\":\"EUR\",\"note\":\"\u00ff\"}"
        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    Request r = Request.builder("POST", "/orders", Bundles.NOW).headers(Map.of("idempotency-key", KEY))
        .identity(user("alice", "customer"))
        .body(RequestBody.ofBytes(java.nio.ByteBuffer.wrap(bad), "application/json", false)).build();
    assertThat(violations(P.decide(r))).containsExactly("body (syntax)");
  }

  @Test
  void pathsOfOddKeysCannotForgeAnotherPath() {
    Decision d = order("{\"items\":[{\"sku\":\"AB-1\",\"qty\":2}],\"currency\":\"EUR\",\"a.b (range), x\":1}");
    assertThat(violations(d)).containsExactly("body[\"a.b (range), x\"] (unknown)");
  }
}
