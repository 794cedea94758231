package dev.warden.policy.testing;

import static dev.warden.policy.support.Bundles.NOW;
import static dev.warden.policy.support.Bundles.compile;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.bundle.CompileResult;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The offline runner of `test` blocks: outcomes, failure text and data overrides. */
class PolicyTestsTest {
  static final String POLICY = """
      package shop

      principal {
        id:    string      = jwt.sub
        roles: set<string> = jwt.claims.roles ? []
      }

      api "Orders" {
        route read GET /orders/{orderId}
      }

      data orders: map<string, {owner: string}>
      permit read when has data.orders[orderId] and data.orders[orderId].owner == principal.id
      forbid read when principal.id == "mallory" because "mallory is banned"

      test "owner reads" {
        request GET /orders/o1 as {sub: "alice", roles: ["customer"]}
        expect allow
      }
      test "wrongly expects allow" {
        request GET /orders/o1 as {sub: "bob"}
        expect allow
      }
      test "wrong status" {
        request GET /orders/o1 as {sub: "bob"}
        expect deny 404
      }
      test "wrong rule" {
        request GET /orders/o1 as {sub: "mallory"}
        expect deny 403 by shop.permit#1
      }
      test "wrong reason" {
        request GET /orders/o1 as {sub: "mallory"}
        expect deny reason "nope"
      }
      test "right rule and reason" {
        request GET /orders/o1 as {sub: "mallory"}
        expect deny 403 by shop.forbid#1 reason "mallory is banned"
      }
      test "data added by the test" {
        request GET /orders/o9 as {sub: "dave"}
        data orders["o9"] = {owner: "dave"}
        expect allow
      }
      test "data replaced by the test" {
        request GET /orders/o1 as {sub: "alice"}
        data orders = {}
        expect deny 403
      }
      test "anonymous" {
        request GET /orders/o1
        expect deny 401
      }
      """;

  private static Map<String, TestOutcome> run() {
    CompileResult r = compile(POLICY, "data/orders.json", "{\"o1\": {\"owner\": \"alice\"}}");
    assertThat(r.ok()).as(r.render()).isTrue();
    return r.tests(name -> true).stream()
        .map(t -> t.run(NOW))
        .collect(Collectors.toMap(TestOutcome::name, o -> o));
  }

  @Test
  void passingTestsPass() {
    Map<String, TestOutcome> outcomes = run();
    for (String name : List.of("owner reads", "right rule and reason", "data added by the test",
        "data replaced by the test", "anonymous")) {
      assertThat(outcomes.get(name).passed()).as("%s: %s", name, outcomes.get(name).failure()).isTrue();
      assertThat(outcomes.get(name).failure()).isNull();
    }
  }

  @Test
  void failuresSayWhatWasExpectedAndWhatHappened() {
    Map<String, TestOutcome> o = run();
    assertThat(o.get("wrongly expects allow").failure())
        .startsWith("expected allow, got deny 403 (reason \"not allowed\"): ")
        .contains("shop.permit#1");
    assertThat(o.get("wrong status").failure()).startsWith("expected deny 404, got deny 403 (reason \"not allowed\")");
    assertThat(o.get("wrong rule").failure())
        .startsWith("expected deny 403 by shop.permit#1, got deny 403 by shop.forbid#1 (p.warden:14)");
    assertThat(o.get("wrong reason").failure())
        .startsWith("expected deny reason \"nope\", got deny 403 by shop.forbid#1 (p.warden:14) (reason \"mallory is banned\")");
  }

  @Test
  void outcomesCarryNameLocationAndExpectation() {
    TestOutcome o = run().get("right rule and reason");
    assertThat(o.location()).isEqualTo("p.warden:36");
    assertThat(o.expected()).isEqualTo("deny 403 by shop.forbid#1 reason \"mallory is banned\"");
    assertThat(o.decision().decidingRule()).isEqualTo("shop.forbid#1");
  }

  @Test
  void theFilterSelectsTestsByName() {
    CompileResult r = compile(POLICY, "data/orders.json", "{\"o1\": {\"owner\": \"alice\"}}");
    assertThat(r.tests(n -> n.startsWith("wrong"))).extracting(PolicyTest::name)
        .containsExactly("wrongly expects allow", "wrong status", "wrong rule", "wrong reason");
  }

  @Test
  void aBundleThatDoesNotCompileHasNoTests() {
    CompileResult r = compile(POLICY.replace("principal.id == \"mallory\"", "principal.idd == \"mallory\""));
    assertThat(r.ok()).isFalse();
    assertThat(r.tests(n -> true)).isEmpty();
  }

  @Test
  void dataOverridesDoNotLeakIntoOtherTests() {
    CompileResult r = compile(POLICY, "data/orders.json", "{\"o1\": {\"owner\": \"alice\"}}");
    List<PolicyTest> tests = r.tests(n -> true);
    tests.forEach(t -> t.run(NOW));
    TestOutcome again = tests.stream().filter(t -> t.name().equals("owner reads")).findFirst().orElseThrow().run(NOW);
    assertThat(again.passed()).isTrue();
  }

  static final String HEADERS = """
      package shop

      principal {
        id:     string  = jwt.sub
        tenant: string? = jwt.claims.tenant
      }

      api "Orders" {
        route list GET /orders
      }

      permit list when principal.id != "mallory"
      on allow { set header "x-user-id" = principal.id; append header "x-tenant" = principal.tenant; remove header "x-internal-*" }
      on allow { set response header "cache-control" = "no-store" }
      on deny { set response header "cache-control" = "private" }

      test "identity reaches the upstream" {
        request GET /orders as {sub: "alice", tenant: "acme"} headers {"X-User-Id": "root", "x_user_id": "root", "x-internal-debug": "1", "accept": "*/*"}
        expect allow with header "x-user-id" = "alice" and header "x-tenant" = "acme" and header "accept"
          without header "x-internal-debug" and header "x_user_id"
          with response header "cache-control" = "no-store"
      }
      test "an absent tenant sets nothing" {
        request GET /orders as {sub: "alice"} headers {"x-tenant": "spoofed"}
        expect allow without header "x-tenant"
      }
      test "wrong value" {
        request GET /orders as {sub: "alice"}
        expect allow with header "x-user-id" = "bob"
      }
      test "missing header" {
        request GET /orders as {sub: "alice"}
        expect allow with header "x-tenant"
      }
      test "header that should be gone" {
        request GET /orders as {sub: "alice"} headers {"x_internal_trace": "1", "x-debug": "1"}
        expect allow without header "x-debug"
      }
      test "denial headers" {
        request GET /orders as {sub: "mallory"}
        expect deny 403 with response header "cache-control" = "private" without response header "vary"
      }
      test "wrong denial header" {
        request GET /orders as {sub: "mallory"}
        expect deny with response header "cache-control" = "no-store"
      }
      """;

  @Test
  void headerExpectationsSeeWhatTheUpstreamAndTheClientReceive() {
    CompileResult r = compile(HEADERS);
    assertThat(r.ok()).as(r.render()).isTrue();
    Map<String, TestOutcome> o = r.tests(name -> true).stream().map(t -> t.run(NOW))
        .collect(Collectors.toMap(TestOutcome::name, t -> t));
    for (String name : List.of("identity reaches the upstream", "an absent tenant sets nothing", "denial headers")) {
      assertThat(o.get(name).failure()).as(name).isNull();
    }
    assertThat(o.get("wrong value").failure())
        .isEqualTo("expected allow with header \"x-user-id\" = \"bob\", got header \"x-user-id\" = \"alice\"");
    assertThat(o.get("missing header").failure())
        .isEqualTo("expected allow with header \"x-tenant\", got no header \"x-tenant\"");
    assertThat(o.get("header that should be gone").failure())
        .isEqualTo("expected allow without header \"x-debug\", got header \"x-debug\" = \"1\"");
    assertThat(o.get("wrong denial header").failure()).isEqualTo("expected deny with response header"
        + " \"cache-control\" = \"no-store\", got response header \"cache-control\" = \"private\"");
  }

  @Test
  void headerExpectationsAreChecked() {
    CompileResult r = compile(HEADERS.replace("expect deny 403 with response header", "expect deny 403 with header")
        .replace("without header \"x-tenant\"", "without header \"X-Tenant\""));
    assertThat(dev.warden.policy.support.Bundles.codes(r)).containsExactly("test.bad_value", "test.bad_expectation");
    assertThat(r.render()).contains("a denied request does not reach the upstream: it has no `header \"cache-control\"`")
        .contains("header name `X-Tenant` is not in lower case");
  }

  @Test
  void theShopExampleBundlePasses() throws Exception {
    java.nio.file.Path dir = java.nio.file.Path.of("../policies/shop");
    Map<String, String> files = new java.util.TreeMap<>();
    try (var walk = java.nio.file.Files.walk(dir)) {
      for (java.nio.file.Path p : walk.filter(java.nio.file.Files::isRegularFile).toList()) {
        files.put(dir.relativize(p).toString().replace('\\', '/'), java.nio.file.Files.readString(p));
      }
    }
    CompileResult r = new dev.warden.policy.bundle.BundleCompiler().compile(dev.warden.policy.source.Bundle.of(files));
    assertThat(r.ok()).as(r.render()).isTrue();
    assertThat(r.diagnostics()).isEmpty();
    List<TestOutcome> outcomes = r.tests(n -> true).stream().map(t -> t.run(NOW)).toList();
    assertThat(outcomes).hasSizeGreaterThan(30);
    assertThat(outcomes).allSatisfy(o -> assertThat(o.passed()).as("%s: %s", o.name(), o.failure()).isTrue());
  }
}
