package dev.warden.policy.check;

import static dev.warden.policy.support.Bundles.codes;
import static dev.warden.policy.support.Bundles.compile;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.support.Bundles;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The checker, one rule at a time: which conditions are accepted and which code a rejected one
 * gets. The exact wording is pinned by the golden files; this table pins the decisions.
 */
class CheckerTest {
  static final String HEAD = Bundles.SHOP_PRINCIPAL + """
      api "Orders" {
        route list   GET  /orders
        route read   GET  /orders/{orderId}
        route cancel POST /orders/{orderId}/cancel
        route byNum  GET  /numbers/{orderId:int}
      }

      role customer { allow list, read, cancel, byNum }
      role support extends customer {}
      """;

  static final String ORDERS = "{\"o1\": {\"owner\": \"alice\", \"tags\": [\"a\"], \"total\": 1.5}}";

  static Stream<Arguments> rules() {
    return Stream.of(
        // optionals: unchecked use is an error; `has` narrows in `and`; `?` gives a default
        ok("permit list when has principal.tenant and principal.tenant.startsWith(\"a\")"),
        ok("permit list when not has principal.tenant or principal.tenant == \"acme\""),
        ok("permit list when (principal.tenant ? \"\").startsWith(\"a\")"),
        ok("permit list when principal.tenant == \"acme\""),
        err("permit list when principal.tenant.startsWith(\"a\")", "check.optional_unchecked"),
        err("permit list when has principal.tenant or principal.tenant.startsWith(\"a\")", "check.optional_unchecked"),
        // `==` may compare an optional: an absent value equals nothing
        ok("permit read when data.orders[orderId].owner == principal.id"),
        ok("permit read when has data.orders[orderId] and data.orders[orderId].owner == principal.id"),
        err("permit read when data.orders[orderId].total > 1", "check.optional_unchecked"),
        ok("permit read when (data.orders[orderId].total ? 0) > 1"),
        ok("permit read when has data.orders[orderId] and \"a\" in data.orders[orderId].tags"),
        // names and did-you-mean
        err("permit list when principal.tenat == \"a\"", "check.unknown_field"),
        err("permit list when data.ordrs == data.orders", "check.unknown_data"),
        err("permit list when foo", "check.unknown_name"),
        err("permit list when principal is custmer", "check.unknown_role"),
        ok("permit list when principal is support"),
        // targets
        ok("forbid shop.* when principal.anonymous"),
        ok("forbid GET /orders/* when principal.anonymous"),
        ok("forbid /orders/** when principal.anonymous"),
        ok("forbid POST /orders/{id}/cancel when principal.anonymous"),
        err("forbid GET /invoices when principal.anonymous", "check.unknown_route"),
        err("forbid other.* when principal.anonymous", "check.unknown_route"),
        err("forbid shop.lsit when principal.anonymous", "check.unknown_route"),
        // path parameters must be declared, with one type, by every covered route
        ok("forbid read, cancel when orderId == \"x\""),
        ok("forbid GET /orders/* when orderId == \"x\""),
        err("forbid read, list when orderId == \"x\"", "check.unknown_name"),
        err("forbid read, byNum when orderId == \"x\"", "check.unknown_name"),
        ok("forbid byNum when orderId > 10"),
        // types
        err("permit list when principal.id == 1", "check.type_mismatch"),
        err("permit list when principal.roles", "check.type_mismatch"),
        err("permit list when principal.id matches \"(\"", "check.bad_regex"),
        err("permit list when any source in principal.roles: true", "check.shadowed_name"),
        err("permit list when size(1, 2) == 1", "check.wrong_arguments"),
        err("permit list when cidr(\"1.2.3.4/99\").contains(ip(\"1.2.3.4\"))", "check.bad_literal"),
        // lints are warnings: the bundle still compiles
        warn("permit list when false", "check.unreachable_rule"),
        warn("permit list when principal.id ? \"x\" == \"y\"", "check.needless_default"),
        warn("permit list when has principal.id", "check.needless_has"));
  }

  private static Arguments ok(String rule) {
    return Arguments.of(rule, List.of());
  }

  private static Arguments err(String rule, String code) {
    return Arguments.of(rule, List.of(code));
  }

  private static Arguments warn(String rule, String code) {
    return Arguments.of(rule, List.of("warning:" + code));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rules")
  void checksOneRule(String rule, List<String> expected) {
    CompileResult r = compile(HEAD + rule + "\n", "data/orders.json", ORDERS);
    if (expected.isEmpty()) {
      assertThat(r.diagnostics()).as(r.render()).isEmpty();
    } else if (expected.get(0).startsWith("warning:")) {
      assertThat(r.ok()).as(r.render()).isTrue();
      assertThat(r.warnings()).extracting(Diagnostic::code).containsExactly(expected.get(0).substring(8));
    } else {
      assertThat(r.ok()).isFalse();
      assertThat(codes(r)).as(r.render()).containsExactly(expected.get(0));
    }
  }

  @Test
  void reportsEveryErrorOfAFileNotJustTheFirst() {
    CompileResult r = compile(HEAD + """
        permit list when principal.tenat == "a"
        permit list when foo
        permit list when principal is custmer
        """);
    assertThat(codes(r)).containsExactly("check.unknown_field", "check.unknown_name", "check.unknown_role");
  }

  @Test
  void didYouMeanSuggestsTheNearestName() {
    CompileResult r = compile(HEAD + "permit read when principal.tenat == \"a\" and ordrId == \"x\"\n");
    assertThat(r.diagnostics()).extracting(d -> d.helpText().orElse(""))
        .containsExactly("did you mean `tenant`?");
    CompileResult r2 = compile(HEAD + "permit read when ordrId == \"x\"\n");
    assertThat(r2.diagnostics()).extracting(d -> d.helpText().orElse("")).containsExactly("did you mean `orderId`?");
  }

  @Test
  void roleCyclesAreErrorsAndInheritanceIsFlattened() {
    CompileResult cycle = compile(HEAD + "role a extends b {}\nrole b extends a {}\n");
    assertThat(codes(cycle)).containsExactly("check.role_cycle");
    CompileResult self = compile(HEAD + "role a extends a {}\n");
    assertThat(codes(self)).containsExactly("check.role_cycle");
    CompileResult diamond = compile(HEAD + """
        role top {}
        role left extends top {}
        role right extends top {}
        role bottom extends left, right {}
        """);
    assertThat(diamond.ok()).as(diamond.render()).isTrue();
    CheckedBundle.RoleInfo bottom = diamond.checked().roles().stream()
        .filter(x -> x.name().equals("bottom")).findFirst().orElseThrow();
    assertThat(bottom.implies().cardinality()).isEqualTo(4);
  }

  @Test
  void dataTypesAreInferredFromFiles() {
    CompileResult r = compile(HEAD, "data/orders.json", ORDERS);
    assertThat(r.ok()).as(r.render()).isTrue();
    CheckedBundle.DataDocument doc = r.checked().data().get(0);
    assertThat(doc.type().display()).isEqualTo("{o1: {owner: string, tags: list<string>, total: decimal}}");
  }

  @Test
  void declaredDataTypesAreValidatedAgainstTheFile() {
    String decl = "data orders: map<string, {owner: string, tags: list<string>, total: decimal}>\n";
    assertThat(compile(HEAD + decl, "data/orders.json", ORDERS).ok()).isTrue();
    CompileResult bad = compile(HEAD + decl, "data/orders.json", "{\"o1\": {\"owner\": 1, \"tags\": [], \"total\": 2}}");
    assertThat(codes(bad)).containsExactly("data.type_mismatch");
    assertThat(bad.diagnostics().get(0).message()).isEqualTo("at `/o1/owner`: found `1`, expected `string`");
    CompileResult empty = compile(HEAD + "data blocked: list<ip>\n");
    assertThat(empty.ok()).as("a list may start empty without a file").isTrue();
  }

  @Test
  void reservedConstructsAreNotSupportedYet() {
    for (String block : List.of(
        "redact list response { $.a mask }", "lookup owner { url \"x\" }")) {
      CompileResult r = compile(HEAD + block + "\n");
      assertThat(codes(r)).as(r.render()).containsExactly("check.not_supported");
      assertThat(r.diagnostics().get(0).message()).endsWith("is not supported yet");
    }
  }

  @Test
  void testBlocksAreChecked() {
    CompileResult r = compile(HEAD + """
        test "ok" {
          request GET /orders as {sub: "a", roles: ["customer"]}
          expect allow
        }
        test "bad rule" {
          request GET /orders
          expect deny 401 by shop.nope
        }
        """);
    assertThat(codes(r)).containsExactly("test.unknown_rule");
  }

  @Test
  void uncoveredRoutesAreWarnedAbout() {
    CompileResult r = compile("package p\napi \"A\" { route a GET /a\n route b GET /b }\nrole x { allow a }\n");
    assertThat(r.ok()).isTrue();
    assertThat(r.warnings()).extracting(Diagnostic::code).containsExactly("check.unreachable_route");
    assertThat(r.warnings().get(0).message()).contains("`p.b`");
  }

  @Test
  void duplicateRulesAndGrantsAreWarnedAbout() {
    CompileResult r = compile(HEAD + "forbid list when principal.anonymous\nforbid list when principal.anonymous\n"
        + "role customer2 { allow list }\n");
    assertThat(r.warnings()).extracting(Diagnostic::code).containsExactly("check.duplicate_rule");
  }

  @Test
  void anEmptyBundleIsAnError() {
    CompileResult r = new dev.warden.policy.bundle.BundleCompiler()
        .compile(dev.warden.policy.source.Bundle.of(java.util.Map.of("data/x.json", "{}")));
    assertThat(codes(r)).containsExactly("bundle.empty");
  }
}
