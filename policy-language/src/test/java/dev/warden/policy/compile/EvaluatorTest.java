package dev.warden.policy.compile;

import static dev.warden.policy.support.Bundles.NOW;
import static dev.warden.policy.support.Bundles.claims;
import static dev.warden.policy.support.Bundles.decide;
import static dev.warden.policy.support.Bundles.program;
import static dev.warden.policy.support.Bundles.user;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.IpAddress;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.support.Bundles;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Decisions of compiled programs: routing, statuses, rule semantics and fail-closed errors. */
class EvaluatorTest {
  static final String PRINCIPAL = Bundles.SHOP_PRINCIPAL;

  static final String SHOP = PRINCIPAL + """
      api "Shop" {
        route lit     GET  /items/special
        route byint   GET  /items/{n:int}
        route byuuid  GET  /items/{u:uuid}
        route bystr   GET  /items/{s}
        route rest    GET  /items/**
        route fresh   POST /items            since 2026-02-01
        route old     GET  /v1/items         retired 2026-03-01
        route order   GET  /orders/{orderId}
        route refund  POST /orders/{orderId}/refund
        route secret  GET  /secret
      }

      role viewer { allow lit, byint, byuuid, bystr, rest, fresh, old, secret }
      role support extends viewer { allow order }
      role admin extends support { allow refund when principal.tenant == "acme" }

      permit order when has data.orders[orderId] and data.orders[orderId].owner == principal.id
      forbid secret when principal is admin because "admins may not read the secret"
      """;

  static final String ORDERS = """
      {"o1": {"owner": "alice", "total": 10}, "o2": {"owner": "bob", "total": 20}}
      """;

  private static Program shop() {
    return program(SHOP, "data/orders.json", ORDERS);
  }

  @ParameterizedTest(name = "{0} → {1}")
  @CsvSource({
      "/items/special,                               shop.lit",
      "/items/42,                                    shop.byint",
      "/items/-7,                                    shop.byint",
      "/items/7f0c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e01,  shop.byuuid",
      "/items/special-offer,                         shop.bystr",
      "/items/a/b/c,                                 shop.rest",
      "/items/42/more,                               shop.rest",
  })
  void routeMatchingPrefersLiteralThenIntThenUuidThenStringThenRest(String path, String route) {
    Decision d = decide(shop(), "GET", path, user("u", "viewer"));
    assertThat(d.route()).isEqualTo(route);
    assertThat(d.allowed()).as(d.explanation()).isTrue();
  }

  @ParameterizedTest(name = "{0} {1} as {2} → {3}")
  @CsvSource({
      // method, path, who, status, reason
      "GET,    /items/special, anonymous, 401, authentication required",
      "GET,    /items/special, nosub,     401, invalid identity",
      "GET,    /items/special, badtype,   401, invalid identity",
      "GET,    /items/special, nobody,    403, not allowed",
      "GET,    /items/special, viewer,    200, allowed",
      "GET,    /nowhere,       viewer,    404, route not found",
      "DELETE, /items/special, viewer,    404, route not found",
      "GET,    /secret,        viewer,    200, allowed",
      "GET,    /secret,        admin,     403, admins may not read the secret",
      "GET,    /orders/o1,     alice,     200, allowed",
      "GET,    /orders/o1,     bob,       403, not allowed",
      "GET,    /orders/o9,     alice,     403, not allowed",
      "GET,    /orders/o2,     support,   200, allowed",
      "POST,   /orders/o2/refund, admin,  200, allowed",
      "POST,   /orders/o2/refund, globex, 403, not allowed",
      "POST,   /orders/o2/refund, support, 403, not allowed",
  })
  void statusesAndReasons(String method, String path, String who, int status, String reason) {
    Decision d = decide(shop(), method, path, identity(who));
    assertThat(d.status()).as(d.explanation()).isEqualTo(status);
    assertThat(d.allowed()).isEqualTo(status == 200);
    assertThat(d.reason()).isEqualTo(reason);
  }

  static Identity identity(String who) {
    return switch (who) {
      case "anonymous" -> Identity.anonymous();
      case "nosub" -> claims("roles", List.of("viewer"));
      case "badtype" -> claims("sub", 42, "roles", List.of("viewer"));
      case "nobody" -> user("nobody");
      case "alice" -> user("alice");
      case "bob" -> user("bob");
      case "globex" -> claims("sub", "gina", "roles", List.of("admin"), "tenant", "globex");
      case "admin" -> claims("sub", "root", "roles", List.of("admin"), "tenant", "acme");
      default -> user(who, who);
    };
  }

  @Test
  void invalidIdentityNamesTheClaim() {
    assertThat(decide(shop(), "GET", "/items/1", identity("nosub")).explanation()).contains("`id`", "claim `sub`");
    assertThat(decide(shop(), "GET", "/items/1", identity("badtype")).explanation()).contains("claim `sub`", "`string`");
  }

  @Test
  void undeclaredRoutesCanAnswer403() {
    Program p = program(SHOP, "data/orders.json", ORDERS, "bundle.yaml", "undeclared_status: 403\n");
    Decision d = decide(p, "GET", "/nowhere", user("u", "viewer"));
    assertThat(d.status()).isEqualTo(403);
    assertThat(d.allowed()).isFalse();
    assertThat(d.route()).isNull();
  }

  @ParameterizedTest(name = "{0} {1} at {2} → {3}")
  @CsvSource({
      "POST, /items,    2026-01-31T23:59:59Z, 404",
      "POST, /items,    2026-02-01T00:00:00Z, 200",
      "GET,  /v1/items, 2026-02-28T23:59:59Z, 200",
      "GET,  /v1/items, 2026-03-01T00:00:00Z, 410",
  })
  void lifecycleDependsOnlyOnTheRequestTime(String method, String path, String at, int status) {
    Request r = Request.builder(method, path, Instant.parse(at)).identity(user("u", "viewer")).build();
    Decision d = shop().decide(r);
    assertThat(d.status()).as(d.explanation()).isEqualTo(status);
    if (status == 410) {
      assertThat(d.reason()).isEqualTo("route retired");
      assertThat(d.decidingRule()).isEqualTo("shop.old");
    }
  }

  @Test
  void forbidBeatsEveryAllowAndNamesItself() {
    Decision d = decide(shop(), "GET", "/secret", identity("admin"));
    assertThat(d.decidingRule()).isEqualTo("shop.forbid#1");
    assertThat(d.rules().get(0).location()).isEqualTo("p.warden:27");
    assertThat(d.explanation()).contains("forbid `shop.forbid#1` applies");
  }

  @Test
  void allowNamesTheGrantAndItsRole() {
    Decision d = decide(shop(), "GET", "/orders/o2", user("sam", "support"));
    assertThat(d.decidingRule()).isEqualTo("role.support#1");
    assertThat(d.explanation()).contains("role `support`");
  }

  @Test
  void aDenyExplainsTheFailedCondition() {
    Decision d = decide(shop(), "GET", "/orders/o1", user("bob"));
    assertThat(d.explanation()).contains("shop.permit#1", "is false");
  }

  @Test
  void decisionsAreDeterministic() {
    Program p = shop();
    Request r = Request.builder("GET", "/orders/o1", NOW).identity(user("alice")).build();
    assertThat(p.decide(r)).isEqualTo(p.decide(r));
    assertThat(shop().decide(r)).isEqualTo(p.decide(r));
  }

  // ---- operators and built-ins -------------------------------------------------------------

  private static Decision when(String condition) {
    String policy = PRINCIPAL + """
        api "Ops" { route op GET /op/{name} }
        permit op when %s
        """.formatted(condition);
    Request r = Request.builder("GET", "/op/alice?q=1&q=2", NOW)
        .identity(claims("sub", "alice", "roles", List.of("viewer", "editor"), "tenant", "acme", "level", 3))
        .headers(Map.of("x-a", "1"))
        .source(IpAddress.parse("10.1.2.3"), 5555, null)
        .build();
    return program(policy).decide(r);
  }

  @ParameterizedTest(name = "{0} → {1}")
  @CsvSource(delimiter = '|', value = {
      "1 + 2 == 3                                              | true",
      "5 - 7 == -2                                             | true",
      "1.5 + 1 == 2.5                                          | true",
      "\"ab\" + \"c\" == \"abc\"                               | true",
      "2 < 3 and 3 <= 3 and 4 > 3 and 4 >= 4                   | true",
      "\"a\" < \"b\"                                           | true",
      "1 != 1                                                  | false",
      "not (1 == 2)                                            | true",
      "false or true                                           | true",
      "principal.id in [\"alice\", \"bob\"]                   | true",
      "principal.id not in [\"alice\"]                         | false",
      "\"editor\" in principal.roles                           | true",
      "principal.roles.contains(\"admin\")                     | false",
      "principal.id matches \"^al.*e$\"                        | true",
      "principal.id matches \"^bob\"                           | false",
      "principal.id.startsWith(\"al\")                         | true",
      "principal.id.endsWith(\"ce\")                           | true",
      "principal.id.contains(\"lic\")                          | true",
      "principal.id.upper() == \"ALICE\"                       | true",
      "\"ALICE\".lower() == principal.id                       | true",
      "size(principal.id) == 5 and principal.roles.size() == 2 | true",
      "name == principal.id                                    | true",
      "cidr(\"10.0.0.0/8\").contains(source.ip ? ip(\"0.0.0.0\")) | true",
      "(source.ip ? ip(\"0.0.0.0\")) in cidr(\"192.168.0.0/16\") | false",
      "ip(\"::1\") in cidr(\"::1/128\")                       | true",
      "any r in principal.roles: r.startsWith(\"e\")           | true",
      "all r in principal.roles: r.startsWith(\"e\")           | false",
      "all r in principal.roles: size(r) >= 6                  | true",
      "request.time > 2026-01-01                               | true",
      "request.time - 2026-01-15T00:00:00Z == 12h              | true",
      "request.time + 1d > request.time                        | true",
      "request.method == \"GET\" and request.path == \"/op/alice\" | true",
      "request.route == \"shop.op\"                            | true",
      "request.headers[\"x-a\"] == \"1\"                       | true",
      "has request.headers[\"x-missing\"]                      | false",
      "(request.headers[\"x-missing\"] ? \"d\") == \"d\"       | true",
      "(request.query[\"q\"] ? []) == [\"1\", \"2\"]           | true",
      "principal.tenant == \"acme\"                            | true",
      "(principal.level ? 0) + 1 == 4                          | true",
      "has principal.level and principal.level > 2             | true",
      "principal.anonymous                                     | false",
  })
  void operatorsAndBuiltins(String condition, boolean allowed) {
    Decision d = when(condition);
    assertThat(d.allowed()).as("%s: %s", condition, d.explanation()).isEqualTo(allowed);
  }

  @Test
  void anErrorInAPermitDoesNotAllow() {
    Decision d = when("9223372036854775807 + (principal.level ? 0) > 0");
    assertThat(d.allowed()).isFalse();
    assertThat(d.status()).isEqualTo(403);
    assertThat(d.explanation()).contains("overflow");
  }

  @Test
  void anErrorInAForbidDenies() {
    Program p = program(PRINCIPAL + """
        api "Ops" { route op GET /op }
        role viewer { allow op }
        forbid op when 9223372036854775807 + (principal.level ? 0) > 0 because "over"
        """);
    Decision d = p.decide(Request.builder("GET", "/op", NOW)
        .identity(claims("sub", "a", "roles", List.of("viewer"), "level", 1)).build());
    assertThat(d.allowed()).isFalse();
    assertThat(d.decidingRule()).isEqualTo("shop.forbid#1");
    assertThat(d.explanation()).contains("could not be evaluated", "overflow");
  }

  @Test
  void theStepBudgetDeniesWithAClearReason() {
    StringBuilder big = new StringBuilder("[");
    for (int i = 0; i < 5_000; i++) {
      big.append(i == 0 ? "" : ",").append(i);
    }
    Program p = program(PRINCIPAL + """
        api "Ops" { route op GET /op }
        permit op when any x in data.big: x == -1
        """, "data/big.json", big.append(']').toString(), "bundle.yaml", "step_budget: 100\n");
    Decision d = p.decide(Request.builder("GET", "/op", NOW).identity(user("a")).build());
    assertThat(d.allowed()).isFalse();
    assertThat(d.status()).isEqualTo(403);
    assertThat(d.reason()).isEqualTo("policy evaluation limit exceeded");
    assertThat(d.explanation()).contains("100 steps");
  }

  @Test
  void principalIsFollowsInheritance() {
    Program p = program(PRINCIPAL + """
        api "Ops" { route op GET /op }
        role viewer {}
        role editor extends viewer {}
        role admin extends editor {}
        permit op when principal is viewer
        """);
    assertThat(decide(p, "GET", "/op", user("a", "admin")).allowed()).isTrue();
    assertThat(decide(p, "GET", "/op", user("a", "editor")).allowed()).isTrue();
    assertThat(decide(p, "GET", "/op", user("a", "stranger")).allowed()).isFalse();
  }

  @Test
  void scopeStyleRoleStringsAreSplit() {
    Decision d = decide(shop(), "GET", "/items/1", claims("sub", "u", "roles", "other viewer"));
    assertThat(d.allowed()).isTrue();
  }
}
