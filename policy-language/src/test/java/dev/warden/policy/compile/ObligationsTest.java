package dev.warden.policy.compile;

import static dev.warden.policy.support.Bundles.NOW;
import static dev.warden.policy.support.Bundles.user;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.EvalError;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.Obligations;
import dev.warden.policy.runtime.Obligations.Header;
import dev.warden.policy.runtime.Outcome;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.support.Bundles;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * `on allow` and `on deny` obligations as the program evaluates them: what is written, what is
 * stripped, on which decisions, at what cost, and how an obligation that cannot be evaluated
 * fails closed.
 */
class ObligationsTest {
  static final String POLICY = Bundles.SHOP_PRINCIPAL + """
      role customer { allow read, list, open }
      api "Shop" {
        route read   GET /orders/{id}
        route list   GET /orders
        route open   GET /open
        route public GET /public
        route calc   GET /calc
      }
      data names: list<string>
      permit public
      permit calc
      forbid read when principal.id == "mallory" because "banned"

      on allow read, list {
        set header "x-user-id" = principal.id
        set header "x-tenant-id" = principal.tenant
        append header "x-route" = "orders"
        remove header "x-internal-*"
        remove header "x-debug"
        set response header "cache-control" = "no-store"
      }
      on allow read { append header "x-route" = id; append header "x-order" = id }
      on deny read, list { set response header "cache-control" = "no-store"; append response header "vary" = "authorization" }
      on allow open { set header "x-user-id" = principal.id }
      on allow calc { set header "x-calc" = data.names[(principal.level ? 1) + 9223372036854775807] }
      """;

  static final Program P = Bundles.program(POLICY, "data/names.json", "[\"a\"]");

  static Decision get(String path, Identity who, Map<String, String> headers) {
    return P.decide(Request.builder("GET", path, NOW).identity(who).headers(headers).build());
  }

  static Identity alice() {
    return Bundles.claims("sub", "alice", "roles", List.of("customer"), "tenant", "acme");
  }

  @Test
  void anAllowWritesItsHeadersInOrderAndStripsWhatItRemoves() {
    Decision d = get("/orders/o1", alice(), Map.of());
    assertThat(d.outcome()).isEqualTo(Outcome.ALLOW);
    Obligations o = d.obligations();
    assertThat(o.upstreamHeaders()).containsExactly(new Header("x-user-id", "alice", false),
        new Header("x-tenant-id", "acme", false), new Header("x-route", "orders", true),
        new Header("x-route", "o1", true), new Header("x-order", "o1", true));
    // `x-calc` is written on another route: a client may not send it here either.
    assertThat(o.removeUpstreamHeaders()).containsExactly("x-debug", "x-calc");
    assertThat(o.removeUpstreamPatterns()).containsExactly("x-internal-*");
    assertThat(o.responseHeaders()).containsExactly(new Header("cache-control", "no-store", false));
    assertThat(d.errors()).isEmpty();
  }

  @Test
  void theClientsCopiesNeverReachTheUpstream() {
    Map<String, String> sent = new LinkedHashMap<>();
    sent.put("x-user-id", "mallory");
    sent.put("x_user_id", "mallory");
    sent.put("x_tenant_id", "evil");
    sent.put("x-route", "spoofed");
    sent.put("x-internal-debug", "1");
    sent.put("x_internal_trace", "1");
    sent.put("x-debug", "1");
    sent.put("x_debug", "1");
    sent.put("accept", "*/*");
    sent.put("host", "shop.example");
    Decision d = get("/orders/o1", alice(), sent);
    Map<String, List<String>> upstream = d.obligations().upstream(sent);
    assertThat(upstream).containsOnlyKeys("x-user-id", "x-tenant-id", "x-route", "x-order", "accept", "host");
    assertThat(upstream.get("x-user-id")).containsExactly("alice");
    assertThat(upstream.get("x-route")).as("one line, values in order").containsExactly("orders, o1");
    assertThat(d.obligations().strips("x-user-id")).as("written, so overwritten rather than removed").isFalse();
    assertThat(d.obligations().strips("x_user_id")).isTrue();
    assertThat(d.obligations().strips("host")).isFalse();
  }

  @Test
  void anAbsentOptionalWritesNothingAndTheClientsCopyGoes() {
    Decision d = get("/orders", user("bob", "customer"), Map.of("x-tenant-id", "spoofed"));
    assertThat(d.outcome()).isEqualTo(Outcome.ALLOW);
    assertThat(d.obligations().upstreamHeaders()).extracting(Header::name).doesNotContain("x-tenant-id");
    assertThat(d.obligations().removeUpstreamHeaders()).contains("x-tenant-id");
    assertThat(d.obligations().upstream(Map.of("x-tenant-id", "spoofed"))).doesNotContainKey("x-tenant-id");
  }

  @Test
  void aHeaderWrittenOnSomeRoutesIsStrippedOnEveryRoute() {
    Decision d = get("/public", Identity.anonymous(), Map.of("x-user-id", "root", "x_order", "1"));
    assertThat(d.outcome()).isEqualTo(Outcome.ALLOW);
    assertThat(d.obligations().removeUpstreamHeaders()).containsExactlyInAnyOrder("x-user-id", "x-tenant-id",
        "x-route", "x-order", "x-calc");
    assertThat(d.obligations().upstream(Map.of("x-user-id", "root", "x_order", "1"))).isEmpty();
  }

  @Test
  void aBundleWithoutObligationsDecidesWithoutAny() {
    Program plain = Bundles.program(Bundles.SHOP_PRINCIPAL + """
        api "Shop" { route list GET /orders }
        permit list
        """);
    Decision d = plain.decide(Request.builder("GET", "/orders", NOW).build());
    assertThat(d.obligations()).isSameAs(Obligations.NONE);
  }

  @Test
  void aDenialOfTheRouteCarriesTheOnDenyResponseHeaders() {
    List<Header> headers = List.of(new Header("cache-control", "no-store", false),
        new Header("vary", "authorization", true));
    Decision forbid = get("/orders/o1", Bundles.claims("sub", "mallory", "roles", List.of("customer")), Map.of());
    assertThat(forbid.outcome()).isEqualTo(Outcome.FORBID);
    assertThat(forbid.obligations().responseHeaders()).isEqualTo(headers);
    assertThat(forbid.obligations().upstreamHeaders()).isEmpty();
    Decision defaultDeny = get("/orders/o1", user("bob"), Map.of());
    assertThat(defaultDeny.outcome()).isEqualTo(Outcome.DEFAULT_DENY);
    assertThat(defaultDeny.obligations().responseHeaders()).isEqualTo(headers);
    Decision anonymous = get("/orders", Identity.anonymous(), Map.of());
    assertThat(anonymous.outcome()).isEqualTo(Outcome.UNAUTHENTICATED);
    assertThat(anonymous.obligations().responseHeaders()).isEqualTo(headers);
    assertThat(get("/nowhere", alice(), Map.of()).obligations()).isSameAs(Obligations.NONE);
    assertThat(get("/open", user("bob"), Map.of()).obligations()).isSameAs(Obligations.NONE);
  }

  @Test
  void anObligationThatReadsAnAnonymousPrincipalAsksForAuthentication() {
    Program p = Bundles.program(Bundles.SHOP_PRINCIPAL + """
        api "Shop" { route list GET /orders }
        permit list
        on allow { set header "x-user-id" = principal.id }
        """);
    Decision d = p.decide(Request.builder("GET", "/orders", NOW).build());
    assertThat(d.allowed()).isFalse();
    assertThat(d.outcome()).isEqualTo(Outcome.UNAUTHENTICATED);
    assertThat(d.status()).isEqualTo(401);
    assertThat(d.reason()).isEqualTo("authentication required");
    assertThat(d.decidingRule()).isEqualTo("shop.on_allow#1");
    assertThat(d.errors()).singleElement().satisfies(e -> {
      assertThat(e.kind()).isEqualTo(EvalError.Kind.ANONYMOUS);
      assertThat(e.rule().id()).isEqualTo("shop.on_allow#1");
      assertThat(e.location()).isEqualTo("p.warden:11:37");
    });
    assertThat(d.explanation()).contains("could not set header `x-user-id`").contains("denied");
  }

  @Test
  void anObligationThatFailsOtherwiseIsAnErrorDecision() {
    Decision overflow = get("/calc", Bundles.claims("sub", "a", "level", 5L), Map.of());
    assertThat(overflow.outcome()).isEqualTo(Outcome.ERROR);
    assertThat(overflow.status()).isEqualTo(500);
    assertThat(overflow.reason()).isEqualTo("internal error");
    assertThat(overflow.obligations()).isSameAs(Obligations.NONE);
    assertThat(overflow.errors()).singleElement().extracting(EvalError::kind).isEqualTo(EvalError.Kind.OVERFLOW);

    for (String id : List.of("ali\r\nx-admin: yes", "alice ", "\tbob", "nul\u0000")) {
      Decision d = get("/orders", Bundles.claims("sub", id, "roles", List.of("customer")), Map.of());
      assertThat(d.outcome()).as(id).isEqualTo(Outcome.ERROR);
      assertThat(d.errors()).as(id).singleElement().satisfies(e -> {
        assertThat(e.kind()).isEqualTo(EvalError.Kind.HEADER_VALUE);
        assertThat(e.message()).startsWith("the value of set header `x-user-id` has ");
      });
    }
    assertThat(get("/orders", Bundles.claims("sub", "jos\u00e9 o'neil", "roles", List.of("customer")), Map.of())
        .outcome()).isEqualTo(Outcome.ALLOW);
  }

  @Test
  void obligationsCostStepsLikeConditions() {
    String big = "a".repeat(6400);
    Program p = Bundles.program(Bundles.SHOP_PRINCIPAL + """
        api "Shop" { route list GET /orders }
        permit list
        on allow { set header "x-user-id" = principal.id; set header "x-copy" = principal.id }
        """, "bundle.yaml", "step_budget: 300\n");
    Decision small = p.decide(Request.builder("GET", "/orders", NOW).identity(user("alice")).build());
    assertThat(small.outcome()).isEqualTo(Outcome.ALLOW);
    // 6,400 characters are 200 steps for each of the two headers: past the budget of 300.
    Decision large = p.decide(Request.builder("GET", "/orders", NOW).identity(user(big)).build());
    assertThat(large.outcome()).isEqualTo(Outcome.BUDGET);
    assertThat(large.errors()).singleElement().satisfies(e -> {
      assertThat(e.kind()).isEqualTo(EvalError.Kind.BUDGET);
      assertThat(e.rule().id()).isEqualTo("shop.on_allow#1");
    });
    // A first try with few steps yields, and the full decision is the same as deciding at once.
    assertThat(p.tryDecide(Request.builder("GET", "/orders", NOW).identity(user("alice")).build(), 1,
        dev.warden.policy.runtime.Deadline.NONE)).isNull();
  }
}
