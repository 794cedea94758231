package dev.warden.policy.compile;

import static dev.warden.policy.support.Bundles.NOW;
import static dev.warden.policy.support.Bundles.user;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.EvalError;
import dev.warden.policy.runtime.FrozenMap;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.Outcome;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.support.Bundles;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every kind of decision the program makes, as data: the outcome says why, the errors list every
 * condition that could not be evaluated, with the rule and the place in the policy.
 */
class DecisionOutcomeTest {
  static final String POLICY = Bundles.SHOP_PRINCIPAL + """
      role customer { allow read }
      api "Shop" {
        route read   GET /orders/{id}
        route create POST /orders          since 2027-01-01
        route legacy GET /v1/orders        retired 2025-06-30
        route calc   GET /calc
        route scan   GET /scan
      }
      data names: list<string>
      forbid read when request.headers["x-block"] == "yes" because "blocked"
      forbid read when (principal.level ? -9223372036854775807) + 9223372036854775807 > 5
      permit calc when (principal.level ? 1) + 9223372036854775807 > 0
      permit calc when principal.id == "alice"
      permit scan when any n in data.names: n == principal.id
      """;

  static Program program() {
    StringBuilder names = new StringBuilder("[\"a\"");
    for (int i = 0; i < 200; i++) {
      names.append(",\"u").append(i).append('"');
    }
    return Bundles.program(POLICY, "data/names.json", names.append(']').toString(), "bundle.yaml", "step_budget: 100\n");
  }

  static final Program P = program();

  static int lineOf(String text) {
    return (int) POLICY.substring(0, POLICY.indexOf(text)).chars().filter(c -> c == '\n').count() + 1;
  }

  static Decision get(String path, Identity who) {
    return P.decide(Request.builder("GET", path, NOW).identity(who).build());
  }

  @Test
  void eachKindOfAnswerHasItsOutcome() {
    assertThat(get("/orders/7", user("alice", "customer")).outcome()).isEqualTo(Outcome.ALLOW);
    Decision blocked = P.decide(Request.builder("GET", "/orders/7", NOW).identity(user("alice", "customer"))
        .headers(Map.of("x-block", "yes")).build());
    assertThat(blocked.outcome()).isEqualTo(Outcome.FORBID);
    assertThat(blocked.errors()).isEmpty();
    assertThat(get("/orders/7", user("bob")).outcome()).isEqualTo(Outcome.DEFAULT_DENY);
    assertThat(get("/orders/7", Identity.anonymous())).satisfies(d -> {
      assertThat(d.outcome()).isEqualTo(Outcome.UNAUTHENTICATED);
      assertThat(d.status()).isEqualTo(401);
    });
    assertThat(get("/nowhere", user("alice")).outcome()).isEqualTo(Outcome.NO_ROUTE);
    assertThat(P.decide(Request.builder("POST", "/orders", NOW).identity(user("alice")).build()).outcome())
        .isEqualTo(Outcome.NOT_YET);
    assertThat(get("/v1/orders", user("alice")).outcome()).isEqualTo(Outcome.RETIRED);
    assertThat(get("/orders/%2e%2e/x", user("alice")).outcome()).isEqualTo(Outcome.BAD_REQUEST);
    assertThat(get("/orders/7", Identity.ofClaims(Map.of("sub", List.of("not", "a", "string")))).outcome())
        .isEqualTo(Outcome.UNAUTHENTICATED);
    Decision spent = get("/scan", user("zed"));
    assertThat(spent.outcome()).isEqualTo(Outcome.BUDGET);
    assertThat(spent.status()).isEqualTo(403);
    assertThat(spent.errors()).singleElement().satisfies(e -> {
      assertThat(e.kind()).isEqualTo(EvalError.Kind.BUDGET);
      assertThat(e.rule().kind()).isEqualTo("permit");
      assertThat(e.location()).startsWith("p.warden:");
    });
    for (Outcome o : Outcome.values()) {
      assertThat(o.allowed()).isEqualTo(o == Outcome.ALLOW);
    }
  }

  @Test
  void aPermitWhoseConditionErrsDoesNotAllowAndTheErrorIsInTheDecision() {
    // The first permit overflows; the second allows alice. The decision allows, and says so.
    Decision d = get("/calc", user("alice"));
    assertThat(d.outcome()).isEqualTo(Outcome.ALLOW);
    assertThat(d.errors()).singleElement().satisfies(e -> {
      assertThat(e.kind()).isEqualTo(EvalError.Kind.OVERFLOW);
      assertThat(e.rule().kind()).isEqualTo("permit");
      assertThat(e.message()).isEqualTo("arithmetic overflow");
      // The `+` that overflowed, not just the rule.
      assertThat(e.location()).startsWith("p.warden:" + lineOf("permit calc when (") + ":");
      assertThat(e.location()).isNotEqualTo(e.rule().location());
    });
    Decision bob = get("/calc", user("bob"));
    assertThat(bob.outcome()).isEqualTo(Outcome.DEFAULT_DENY);
    assertThat(bob.errors()).hasSize(1);
    assertThat(bob.explanation()).contains("error: arithmetic overflow");
  }

  @Test
  void aForbidWhoseConditionErrsAppliesAndCitesTheError() {
    Decision d = get("/orders/7", Bundles.claims("sub", "alice", "roles", List.of("customer"), "level", 3L));
    assertThat(d.outcome()).isEqualTo(Outcome.FORBID);
    assertThat(d.rules().get(0).kind()).isEqualTo("forbid");
    assertThat(d.errors()).singleElement().satisfies(e -> {
      assertThat(e.kind()).isEqualTo(EvalError.Kind.OVERFLOW);
      assertThat(e.rule()).isEqualTo(d.rules().get(0));
    });
  }

  @Test
  void aDefectInsideEvaluationIsAnErrorDecisionNotAnException() {
    Map<String, String> broken = new HashMap<>() {
      @Override
      public String get(Object key) {
        throw new IllegalStateException("a broken header map");
      }
    };
    Decision d = P.decide(Request.builder("GET", "/orders/7", NOW).identity(user("alice", "customer"))
        .headers(FrozenMap.view(broken)).build());
    assertThat(d.outcome()).isEqualTo(Outcome.ERROR);
    assertThat(d.allowed()).isFalse();
    assertThat(d.status()).isEqualTo(500);
    assertThat(d.reason()).isEqualTo("internal error");
    assertThat(d.errors()).singleElement().satisfies(e -> {
      assertThat(e.kind()).isEqualTo(EvalError.Kind.INTERNAL);
      assertThat(e.rule().kind()).isEqualTo("forbid");
      assertThat(e.message()).contains("IllegalStateException");
    });
  }

  @Test
  void aRefusalMadeOutsideTheProgramIsADecisionToo() {
    Decision d = Decision.refused(Outcome.ERROR, 503, "no policy is loaded", "no bundle is active", null);
    assertThat(d.allowed()).isFalse();
    assertThat(d.outcome()).isEqualTo(Outcome.ERROR);
    assertThat(d.explanation()).isEqualTo("no bundle is active");
  }
}
