package dev.warden.policy.compile;

import static dev.warden.policy.support.Bundles.NOW;
import static dev.warden.policy.support.Bundles.user;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.ast.PolicyFile;
import dev.warden.policy.load.Loader;
import dev.warden.policy.source.Bundle;
import dev.warden.policy.check.BundleChecker;
import dev.warden.policy.check.CheckedBundle;
import dev.warden.policy.check.RequestModel;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Diagnostics;
import dev.warden.policy.diag.SourceFile;
import dev.warden.policy.parser.PolicyParser;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.runtime.RequestBody;
import dev.warden.policy.support.Bundles;
import dev.warden.policy.types.Type;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The request model is per route: a route's body type (which schemas will give) types
 * `request.body` in the rules covering that route only, and the body becomes evaluator values
 * once per request, when a rule reads it, strictly (a body not of the declared type is absent).
 */
class PerRouteRequestModelTest {
  static final Type ORDER = new Type.RecordType(Map.of(
      "qty", Type.INT,
      "note", Type.optional(Type.STRING),
      "items", new Type.ListType(new Type.RecordType(Map.of("sku", Type.STRING)))));

  static final String POLICY = Bundles.SHOP_PRINCIPAL + """
      api "Shop" {
        route create POST /orders
        route update PUT /orders/{id}
      }
      permit create when (request.body.qty ? 0) <= 10 and (request.body.items[0].sku ? "") != "forbidden"
      """;

  private static Diagnostics diagnostics;

  static Optional<CheckedBundle> check(String policy) {
    diagnostics = new Diagnostics();
    SourceFile source = new SourceFile("p.warden", policy);
    PolicyFile file = new PolicyParser().parse(source).ast().orElseThrow();
    CheckedBundle checked = new BundleChecker(diagnostics, route -> route.name().equals("create")
        ? new RequestModel(ORDER) : RequestModel.DEFAULT)
        .check(new Loader(diagnostics).load(Bundle.of(Map.of("p.warden", policy))), List.of(file));
    return diagnostics.hasErrors() ? Optional.empty() : Optional.ofNullable(checked);
  }

  static List<Diagnostic> errors() {
    return diagnostics.sorted().stream().filter(d -> d.severity() == dev.warden.policy.diag.Severity.ERROR).toList();
  }

  static Decision post(Program p, String body, String contentType) {
    return p.decide(Request.builder("POST", "/orders", NOW).identity(user("alice"))
        .body(RequestBody.ofText(body, contentType, false)).build());
  }

  @Test
  void aRoutesBodyTypeTypesItsRulesAndIsReadOncePerRequest() {
    Program p = Compiler.compile(check(POLICY).orElseThrow());
    assertThat(post(p, "{\"qty\": 3, \"items\": [{\"sku\": \"a1\"}], \"extra\": true}", "application/json").allowed())
        .isTrue();
    assertThat(post(p, "{\"qty\": 30, \"items\": []}", "application/json").allowed()).isFalse();
    assertThat(post(p, "{\"qty\": 3, \"items\": [{\"sku\": \"forbidden\"}]}", "application/json").allowed()).isFalse();
  }

  @Test
  void aBodyNotOfTheDeclaredTypeIsAbsentSoTheRuleFailsClosed() {
    Program strict = Compiler.compile(check(Bundles.SHOP_PRINCIPAL + """
        api "Shop" {
          route create POST /orders
        }
        permit create when has request.body
        """).orElseThrow());
    assertThat(post(strict, "{\"qty\": 3, \"items\": []}", "application/json").allowed()).isTrue();
    // A string where an int is declared, a required field missing, not JSON, not a JSON body.
    assertThat(post(strict, "{\"qty\": \"3\", \"items\": []}", "application/json").allowed()).isFalse();
    assertThat(post(strict, "{\"items\": []}", "application/json").allowed()).isFalse();
    assertThat(post(strict, "{\"qty\": 3, \"items\": [", "application/json").allowed()).isFalse();
    assertThat(post(strict, "qty=3", "application/x-www-form-urlencoded").allowed()).isFalse();
    assertThat(post(strict, "{\"qty\": 1.5, \"items\": []}", "application/json").allowed()).isFalse();
  }

  @Test
  void aRouteWithoutABodyTypeHasNoRequestBody() {
    assertThat(check(POLICY.replace("permit create when", "permit update when"))).isEmpty();
    assertThat(errors()).extracting(Diagnostic::code).containsExactly("check.no_body_type");
    // A rule covering both routes sees only what both type alike: no body.
    assertThat(check(POLICY.replace("permit create when", "permit * when"))).isEmpty();
  }

  @Test
  void aMisspeltBodyFieldIsALocatedDiagnosticWithASuggestion() {
    assertThat(check(POLICY.replace("request.body.qty", "request.body.qtty"))).isEmpty();
    Diagnostic d = errors().get(0);
    assertThat(d.code()).isEqualTo("check.unknown_field");
    assertThat(d.span().line()).isPositive();
    assertThat(d.toString() + d.help()).contains("qty");
  }

  @Test
  void readingTheBodyCostsStepsByItsSize() {
    Program p = Compiler.compile(check(POLICY).orElseThrow());
    StringBuilder items = new StringBuilder();
    for (int i = 0; i < 20_000; i++) {
      items.append(i == 0 ? "" : ",").append("{\"sku\": \"s\"}");
    }
    Decision d = post(p, "{\"qty\": 3, \"items\": [" + items + "]}", "application/json");
    assertThat(d.allowed()).isFalse();
    assertThat(d.reason()).isEqualTo("policy evaluation limit exceeded");
  }
}
