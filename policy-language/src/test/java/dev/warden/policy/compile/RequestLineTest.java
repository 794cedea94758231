package dev.warden.policy.compile;

import static dev.warden.policy.support.Bundles.NOW;
import static dev.warden.policy.support.Bundles.program;
import static dev.warden.policy.support.Bundles.user;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.runtime.RequestBody;
import dev.warden.policy.support.Bundles;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The request line as programs read it: methods as ASCII tokens, strict query strings, method
 * overrides in each mode of bundle.yaml's `requests.method_override`, and route calls bound by
 * name (the decide API) without re-parsing a path.
 */
class RequestLineTest {
  static final String POLICY = Bundles.SHOP_PRINCIPAL + """
      api "Users" {
        route list     GET    /users
        route create   POST   /users
        route remove   DELETE /users/{userId}
        route me       GET    /customers/me
        route customer GET    /customers/{customerId}
        route order    GET    /orders/{orderId:uuid}
        route page     GET    /pages/{n:int}
        route files    GET    /files/**
      }
      role member { allow list, create, me, order, page, files }
      role admin extends member { allow remove, customer }
      permit customer when customerId == principal.id
      permit order when orderId == "7f0c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e01"
      forbid list when "x" in request.query.keys() because "no x"
      """;

  private static Decision decide(Program p, Request.Builder b) {
    return p.decide(b.identity(user("alice", "member")).build());
  }

  private static Program withRequests(String requests) {
    return program(POLICY, "bundle.yaml", "requests:\n" + requests);
  }

  @ParameterizedTest(name = "{0} is decided as {1}")
  @CsvSource({
      "GET,    shop.list",
      "get,    shop.list",
      "gEt,    shop.list",
  })
  void methodsAreAsciiTokensWithAsciiCase(String method, String route) {
    assertThat(decide(program(POLICY), Request.builder(method, "/users", NOW)).route()).isEqualTo(route);
  }

  @ParameterizedTest(name = "method `{0}` is a 400")
  @ValueSource(strings = {"poſt", "GET ", " GET", "G\u0130T", "DELETE\u0000", "GE\tT", "P(OST", "ＧＥＴ", "",
      "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG"})
  void methodsOutsideAsciiTokensAreRefused(String method) {
    Decision d = decide(program(POLICY), Request.builder(method, "/users", NOW));
    assertThat(d.status()).isEqualTo(400);
    assertThat(d.reason()).isEqualTo("bad request method");
  }

  @Test
  void unknownTokenMethodsMatchNoRoute() {
    Decision d = decide(program(POLICY), Request.builder("PROPFIND", "/users", NOW));
    assertThat(d.status()).isEqualTo(404);
  }

  @Test
  void queryStringsAreDecodedStrictly() {
    Program p = program(POLICY);
    assertThat(decide(p, Request.builder("GET", "/users?%78=1", NOW)).reason()).isEqualTo("no x");
    assertThat(decide(p, Request.builder("GET", "/users?y=1", NOW)).allowed()).isTrue();
    for (String bad : new String[] {"/users?x=%zz", "/users?%٢e=1", "/users?a=%c0%ae", "/users?a=%00", "/users?a=%"}) {
      Decision d = decide(p, Request.builder("GET", bad, NOW));
      assertThat(d.status()).as(bad).isEqualTo(400);
      assertThat(d.reason()).as(bad).isEqualTo("bad query string");
    }
  }

  @Test
  void uuidParametersAreAsciiAndReadInLowerCase() {
    Program p = program(POLICY);
    assertThat(decide(p, Request.builder("GET", "/orders/7F0C2A9E-1B2C-4D3E-8F40-5A6B7C8D9E01", NOW)).allowed()).isTrue();
    // Arabic-Indic digits are digits to Character.digit, not to a uuid.
    Decision d = decide(p, Request.builder("GET", "/orders/7f0c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e0\u0661", NOW));
    assertThat(d.status()).isEqualTo(404);
  }

  // ---- method overrides -----------------------------------------------------------------

  @Test
  void stripModeDecidesOnTheRealMethodAndStripsTheOverride() {
    Program p = program(POLICY);
    Decision d = decide(p, Request.builder("POST", "/users?_method=DELETE&a=1", NOW)
        .headers(Map.of("x-http-method-override", "DELETE", "x-method-override", "DELETE")));
    assertThat(d.allowed()).isTrue();
    assertThat(d.route()).isEqualTo("shop.create");
    assertThat(d.obligations().removeUpstreamHeaders()).containsExactly("x-http-method-override", "x-method-override");
    assertThat(d.obligations().removeQueryParameters()).containsExactly("_method");
  }

  @Test
  void stripModeRefusesAQueryOverrideEnvoyCouldNotStripFaithfully() {
    Program p = program(POLICY);
    // Envoy removes `_method` by its name as written: `%5Fmethod` would reach the upstream.
    Decision encoded = decide(p, Request.builder("POST", "/users?%5Fmethod=DELETE", NOW));
    assertThat(encoded.status()).isEqualTo(400);
    assertThat(encoded.explanation()).contains("spelled `%5Fmethod`");
    // Envoy rebuilds the query from one value per name in some versions.
    Decision repeated = decide(p, Request.builder("POST", "/users?a=1&a=2&_method=DELETE", NOW));
    assertThat(repeated.status()).isEqualTo(400);
    assertThat(repeated.explanation()).contains("repeats `a`");
  }

  @Test
  void overridesAreFoundUnderEverySpellingTheFrameworksRead() {
    Program p = program(POLICY);
    // Underscore headers: CGI and Rack file them under the same variable as the dashed ones.
    Decision underscore = decide(p, Request.builder("POST", "/users", NOW)
        .headers(Map.of("x_http_method_override", "DELETE")));
    assertThat(underscore.allowed()).isTrue();
    assertThat(underscore.obligations().removeUpstreamHeaders()).containsExactly("x_http_method_override");
    // Names PHP reads as `_method`: a leading space, a dot.
    for (String q : new String[] {"/users?+_method=DELETE", "/users?%20_method=DELETE", "/users?.method=DELETE"}) {
      Decision d = decide(p, Request.builder("POST", q, NOW));
      assertThat(d.status()).as(q).isEqualTo(400);
      assertThat(d.explanation()).as(q).contains("which Envoy would not strip");
    }
  }

  @Test
  void bodiesAreReadAsTheFrameworksReadThem() {
    Program p = program(POLICY);
    String[][] refused = {
        {"_method=DELETE", ""},                                                  // Rack: no media type is a form
        {"item=book&%20_method=DELETE", "application/x-www-form-urlencoded"},  // PHP drops the leading space
        {"--b\r\nContent-Disposition: form-data; name=_method\r\n\r\nDELETE\r\n--b--", "multipart/form-data; boundary=b"},
        {"{\"item\": \"book\", \"_method\": \"DELETE\"}", "application/json"}, // Laravel reads JSON input
        {"{\"_m\\u0065thod\": \"DELETE\"}", "application/json"},
        {"{\"_method\": ", "application/json"},                                // cannot be read: may hold one
        {"a=%zz&_method=DELETE", "application/x-www-form-urlencoded"},
    };
    for (String[] b : refused) {
      Decision d = decide(p, Request.builder("POST", "/users", NOW).body(RequestBody.ofText(b[0], b[1], false)));
      assertThat(d.status()).as(b[0]).isEqualTo(400);
      assertThat(d.reason()).as(b[0]).isEqualTo("method override not allowed");
    }
    String[][] allowed = {
        {"{\"item\": \"book\", \"note\": \"no override here\"}", "application/json"},
        {"--b\r\nContent-Disposition: form-data; name=\"item\"\r\n\r\nmethod\r\n--b--", "multipart/form-data; boundary=b"},
        {"item=book", "application/x-www-form-urlencoded"},
        {"<_method>DELETE</_method>", "application/xml"},
    };
    for (String[] b : allowed) {
      Decision d = decide(p, Request.builder("POST", "/users", NOW).body(RequestBody.ofText(b[0], b[1], false)));
      assertThat(d.allowed()).as(b[0]).isTrue();
    }
    // A form Envoy cut short may hold the field after the cut.
    Decision cut = decide(p, Request.builder("POST", "/users", NOW)
        .body(RequestBody.ofText("item=book&note=aaaa", "application/x-www-form-urlencoded", true)));
    assertThat(cut.status()).isEqualTo(400);
  }

  @Test
  void aQuestionMarkInTheFragmentStartsNoQuery() {
    Program p = program(POLICY);
    assertThat(decide(p, Request.builder("GET", "/users#frag?x=1", NOW)).allowed()).isTrue();
  }

  @Test
  void stripModeRefusesAnOverrideInTheBodyWhichCannotBeStripped() {
    Program p = program(POLICY);
    Decision form = decide(p, Request.builder("POST", "/users", NOW)
        .body(RequestBody.ofText("name=x&_method=DELETE", "application/x-www-form-urlencoded", false)));
    assertThat(form.status()).isEqualTo(400);
    assertThat(form.reason()).isEqualTo("method override not allowed");
    Decision multipart = decide(p, Request.builder("POST", "/users", NOW)
        .body(RequestBody.ofText("--b\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nDELETE\r\n--b--",
            "multipart/form-data; boundary=b", false)));
    assertThat(multipart.status()).isEqualTo(400);
    // Laravel reads `_method` from a JSON body too.
    Decision json = decide(p, Request.builder("POST", "/users", NOW)
        .body(RequestBody.ofText("{\"_method\": \"DELETE\"}", "application/json", false)));
    assertThat(json.status()).isEqualTo(400);
    Decision plain = decide(p, Request.builder("POST", "/users", NOW)
        .body(RequestBody.ofText("{\"name\": \"x\"}", "application/json", false)));
    assertThat(plain.allowed()).isTrue();
  }

  @Test
  void denyModeRefusesEveryOverride() {
    Program p = withRequests("  method_override: deny\n");
    for (Request.Builder b : new Request.Builder[] {
        Request.builder("POST", "/users", NOW).headers(Map.of("x-http-method", "DELETE")),
        Request.builder("POST", "/users?_method=DELETE", NOW),
        Request.builder("GET", "/users", NOW).headers(Map.of("x-http-method-override", "GET"))}) {
      Decision d = decide(p, b);
      assertThat(d.status()).isEqualTo(400);
      assertThat(d.reason()).isEqualTo("method override not allowed");
    }
    assertThat(decide(p, Request.builder("POST", "/users", NOW)).allowed()).isTrue();
  }

  @Test
  void decideModeDecidesOnTheOverriddenMethodOfAPost() {
    Program p = withRequests("  method_override: decide\n");
    Decision d = decide(p, Request.builder("POST", "/users/bob", NOW).headers(Map.of("x-http-method-override", "delete")));
    assertThat(d.route()).isEqualTo("shop.remove");
    assertThat(d.status()).isEqualTo(403);
    assertThat(d.obligations().removeUpstreamHeaders()).isEmpty();
    Decision form = decide(p, Request.builder("POST", "/users/bob", NOW)
        .body(RequestBody.ofText("_method=DELETE", "application/x-www-form-urlencoded", false)));
    assertThat(form.route()).isEqualTo("shop.remove");
    // Overrides that disagree, overrides on other methods, and overrides that are no method.
    assertThat(decide(p, Request.builder("POST", "/users/bob?_method=PUT", NOW)
        .headers(Map.of("x-http-method-override", "DELETE"))).status()).isEqualTo(400);
    assertThat(decide(p, Request.builder("GET", "/users", NOW)
        .headers(Map.of("x-http-method-override", "DELETE"))).status()).isEqualTo(400);
    assertThat(decide(p, Request.builder("POST", "/users", NOW)
        .headers(Map.of("x-http-method-override", "DEL ETE"))).status()).isEqualTo(400);
  }

  @Test
  void stripModeForPathParametersIsTheBundlesChoice() {
    assertThat(decide(program(POLICY), Request.builder("GET", "/users;jsessionid=1", NOW)).status()).isEqualTo(400);
    assertThat(decide(withRequests("  path_parameters: strip\n"), Request.builder("GET", "/users;jsessionid=1", NOW))
        .route()).isEqualTo("shop.list");
  }

  // ---- route calls (the decide API) -----------------------------------------------------

  @Test
  void routeCallsBindParametersToTheNamedRoute() {
    Program p = program(POLICY);
    Program.RouteCall me = p.bind("shop.customer", Map.of("customerId", "me"));
    assertThat(me.path()).isEqualTo("/customers/me");
    Decision d = p.decide(me, Request.builder("GET", "/", NOW).identity(user("me", "member")).build());
    // The named route, not `shop.me` whose path it spells.
    assertThat(d.route()).isEqualTo("shop.customer");
    assertThat(d.allowed()).isTrue();
    Program.RouteCall order = p.bind("shop.order", Map.of("orderId", "7F0C2A9E-1B2C-4D3E-8F40-5A6B7C8D9E01"));
    assertThat(p.decide(order, Request.builder("GET", "/", NOW).identity(user("alice", "member")).build()).allowed())
        .isTrue();
    assertThat(p.bind("shop.files", Map.of("**", "a/b/c.txt")).path()).isEqualTo("/files/a/b/c.txt");
    assertThat(p.bind("shop.files", Map.of()).path()).isEqualTo("/files");
  }

  @ParameterizedTest(name = "{0} {1}={2}: {3}")
  @CsvSource(delimiter = '|', value = {
      "shop.customer | customerId | alice?x=1  | encoded `?`",
      "shop.customer | customerId | alice#bob  | encoded `#`",
      "shop.customer | customerId | %61lice    | encoded `%`",
      "shop.customer | customerId | .          | dot segment",
      "shop.customer | customerId | ..         | dot segment",
      "shop.customer | customerId | a/b        | encoded `/`",
      "shop.customer | customerId | a;b        | `;`",
      "shop.customer | customerId | ．．        | read as `.`",
      "shop.order    | orderId    | 42         | must be a `uuid`",
      "shop.order    | orderId    | 7f0c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e0١ | must be a `uuid`",
      "shop.page     | n          | ４２        | must be an `int`",
      "shop.page     | n          | 1e3        | must be an `int`",
      "shop.files    | **         | a/../admin | dot segment",
      "shop.files    | **         | a//b       | empty segment",
      "shop.customer | nope       | x          | has no parameter `nope`",
      "shop.nothing  | x          | y          | no route `shop.nothing`",
  })
  void routeCallsRefuseValuesThatAreNotOneSegmentOfTheirType(String route, String name, String value, String why) {
    Program p = program(POLICY);
    Map<String, String> params = name.equals("nope") ? Map.of("customerId", "x", name, value) : Map.of(name, value);
    assertThatThrownBy(() -> p.bind(route, params)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(why);
  }

  @Test
  void routeCallsNeedEveryParameter() {
    assertThatThrownBy(() -> program(POLICY).bind("shop.customer", Map.of()))
        .hasMessageContaining("needs parameter `customerId`");
    assertThatThrownBy(() -> program(POLICY).bind("shop.customer", Map.of("customerId", "")))
        .hasMessageContaining("empty segment");
    assertThatThrownBy(() -> program(POLICY).bind("shop.page", Map.of("n", "")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be an `int`");
    assertThatThrownBy(() -> program(POLICY).bind("shop.page", Map.of("n", "-")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be an `int`");
    assertThatThrownBy(() -> program(POLICY).bind("shop.order", Map.of("orderId", "")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be a `uuid`");
  }
}
