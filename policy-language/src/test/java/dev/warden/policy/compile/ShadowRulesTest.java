package dev.warden.policy.compile;

import static dev.warden.policy.support.Bundles.codes;
import static dev.warden.policy.support.Bundles.compile;
import static dev.warden.policy.support.Bundles.decide;
import static dev.warden.policy.support.Bundles.program;
import static dev.warden.policy.support.Bundles.user;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.Outcome;
import dev.warden.policy.runtime.RuleRef;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * `shadow forbid` and `shadow permit`: tried beside the enforced rules, never enforced. The
 * decision that stands is the one the bundle without its shadow rules makes; the would-be
 * decision is the one it makes with them enforced.
 */
class ShadowRulesTest {
  private static final String SHOP = dev.warden.policy.support.Bundles.SHOP_PRINCIPAL + """
      role customer { allow read }
      role admin extends customer { allow read, delete }
      api "Shop" {
        route read GET /orders/{orderId}
        route delete DELETE /orders/{orderId}
        route ping GET /ping
      }
      permit ping
      """;

  @Test
  void aShadowForbidThatAppliesChangesTheWouldBeDecisionOnly() {
    Program p = program(SHOP + """
        shadow forbid "no-tenant" read when not has principal.tenant because "a tenant is required"
        """);
    Decision d = decide(p, "GET", "/orders/o1", user("alice", "customer"));
    assertThat(d.allowed()).isTrue();
    assertThat(d.decidingRule()).isEqualTo("role.customer#1");
    Decision wouldBe = d.shadow();
    assertThat(wouldBe).isNotNull();
    assertThat(wouldBe.allowed()).isFalse();
    assertThat(wouldBe.status()).isEqualTo(403);
    assertThat(wouldBe.outcome()).isEqualTo(Outcome.FORBID);
    assertThat(wouldBe.reason()).isEqualTo("a tenant is required");
    assertThat(wouldBe.rules()).extracting(RuleRef::id, RuleRef::kind)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("shop.no-tenant", "shadow forbid"));
    assertThat(d.shadowChanges()).isTrue();
    // The answer itself carries nothing of the shadow rule.
    assertThat(d.rules()).extracting(RuleRef::id).doesNotContain("shop.no-tenant");
    assertThat(d.obligations().isEmpty()).isTrue();
  }

  @Test
  void aShadowForbidThatDoesNotApplyLeavesTheWouldBeDecisionTheSame() {
    Program p = program(SHOP + """
        shadow forbid read when not has principal.tenant
        """);
    Decision d = decide(p, "GET", "/orders/o1", dev.warden.policy.support.Bundles.claims("sub", "alice", "tenant", "acme", "roles", java.util.List.of("customer")));
    assertThat(d.allowed()).isTrue();
    assertThat(d.shadow()).isNotNull();
    assertThat(d.shadow().allowed()).isTrue();
    assertThat(d.shadowChanges()).isFalse();
  }

  @Test
  void aShadowPermitTurnsADefaultDenyIntoAWouldBeAllow() {
    Program p = program(SHOP + """
        shadow permit delete when principal.id == "support-bot"
        """);
    Decision d = decide(p, "DELETE", "/orders/o1", user("support-bot", "customer"));
    assertThat(d.allowed()).isFalse();
    assertThat(d.outcome()).isEqualTo(Outcome.DEFAULT_DENY);
    assertThat(d.shadow().allowed()).isTrue();
    assertThat(d.shadow().decidingRule()).isEqualTo("shop.shadow-permit#1");
    assertThat(d.shadowChanges()).isTrue();
  }

  @Test
  void anEnforcedForbidStillWinsOverAShadowPermit() {
    Program p = program(SHOP + """
        forbid delete when principal.id == "mallory"
        shadow permit delete
        """);
    Decision d = decide(p, "DELETE", "/orders/o1", user("mallory", "admin"));
    assertThat(d.outcome()).isEqualTo(Outcome.FORBID);
    assertThat(d.shadow().outcome()).isEqualTo(Outcome.FORBID);
    assertThat(d.shadowChanges()).isFalse();
  }

  @Test
  void routesNoShadowRuleCoversHaveNoWouldBeDecision() {
    Program p = program(SHOP + """
        shadow forbid delete
        """);
    assertThat(p.hasShadowRules()).isTrue();
    assertThat(decide(p, "GET", "/orders/o1", user("alice", "customer")).shadow()).isNull();
    assertThat(decide(p, "GET", "/nowhere", user("alice", "customer")).shadow()).isNull();
    assertThat(program(SHOP).hasShadowRules()).isFalse();
    assertThat(decide(program(SHOP), "GET", "/ping", Identity.anonymous()).shadow()).isNull();
  }

  @Test
  void aShadowRuleThatFailsToEvaluateFailsClosedInTheWouldBeDecisionAlone() {
    Program p = program(SHOP + """
        shadow forbid ping when principal.id == "bob"
        """);
    Decision d = decide(p, "GET", "/ping", Identity.anonymous());
    assertThat(d.allowed()).isTrue();
    assertThat(d.errors()).isEmpty();
    // The anonymous caller has no id: the shadow forbid fails closed, in the would-be decision.
    assertThat(d.shadow().allowed()).isFalse();
    assertThat(d.shadow().status()).isEqualTo(401);
    assertThat(d.shadow().errors()).isNotEmpty();
  }

  @Test
  void shadowRulesAreNumberedApartFromEnforcedOnes() {
    Program p = program(SHOP + """
        shadow forbid read when principal.id == "bob"
        forbid read when principal.id == "mallory"
        """);
    assertThat(decide(p, "GET", "/orders/o1", user("mallory", "customer")).decidingRule()).isEqualTo("shop.forbid#1");
    assertThat(decide(p, "GET", "/orders/o1", user("bob", "customer")).shadow().decidingRule())
        .isEqualTo("shop.shadow-forbid#1");
  }

  @Test
  void shadowRulesAreCheckedLikeOthers() {
    assertThat(codes(compile(SHOP + """
        shadow forbid reed when principal.id == "bob"
        """))).contains("check.unknown_route");
    assertThat(codes(compile(SHOP + """
        shadow forbid read when principal.idd == "bob"
        """))).isNotEmpty();
    // `shadow` stays a name where names go.
    assertThat(codes(compile("""
        package shop
        principal {
          shadow: string = jwt.sub
        }
        api "A" { route shadow GET /shadow }
        permit shadow when principal.shadow == "x"
        data shadow: set<string>
        """))).isEmpty();
    assertThat(codes(compile(SHOP + """
        shadw forbid read
        """))).containsExactly("parse.unexpected_token");
    // A comment between is fine.
    assertThat(codes(compile(SHOP + """
        shadow
          forbid read when principal.id == "bob"
        """))).isEmpty();
  }

  /** The decision that stands is the one the bundle without its shadow rules makes, for any caller. */
  @Property(tries = 200)
  void theStandingDecisionIgnoresShadowRules(@ForAll @IntRange(min = 0, max = 5) int who,
      @ForAll @IntRange(min = 0, max = 2) int route) {
    String[] users = {"alice", "bob", "mallory", "support-bot", "eve", "root"};
    String[][] paths = {{"GET", "/orders/o1"}, {"DELETE", "/orders/o1"}, {"GET", "/ping"}};
    String enforced = SHOP + """
        forbid delete when principal.id == "mallory"
        """;
    String shadows = """
        shadow forbid read when principal.id == "bob" or principal.id == "eve"
        shadow permit delete when principal.id == "support-bot"
        shadow forbid ping when not has principal.tenant
        """;
    Identity caller = user(users[who], who % 2 == 0 ? "customer" : "admin");
    Decision with = decide(program(enforced + shadows), paths[route][0], paths[route][1], caller);
    Decision without = decide(program(enforced), paths[route][0], paths[route][1], caller);
    assertThat(with.allowed()).isEqualTo(without.allowed());
    assertThat(with.status()).isEqualTo(without.status());
    assertThat(with.rules()).isEqualTo(without.rules());
    assertThat(with.obligations()).isEqualTo(without.obligations());
    assertThat(with.shadow()).isNotNull();
    // The would-be decision is the one the bundle makes with the shadow rules enforced.
    Decision promoted = decide(program(enforced + shadows.replace("shadow ", "")), paths[route][0], paths[route][1],
        caller);
    assertThat(with.shadow().allowed()).isEqualTo(promoted.allowed());
    assertThat(with.shadow().status()).isEqualTo(promoted.status());
  }

  @Test
  void testsStateTheWouldBeDecisionWithExpectShadow() {
    dev.warden.policy.bundle.CompileResult r = compile(SHOP + """
        shadow forbid "no-bob" read when principal.id == "bob" because "bob is suspended"

        test "bob is still served, and would be refused" {
          request GET /orders/o1 as {sub: "bob", roles: ["customer"]}
          expect allow
          expect shadow deny 403 by shop.no-bob reason "bob is suspended"
        }
        test "wrong about the would-be decision" {
          request GET /orders/o1 as {sub: "bob", roles: ["customer"]}
          expect allow
          expect shadow allow
        }
        test "a route without shadow rules would answer the same" {
          request GET /ping
          expect allow
          expect shadow allow
        }
        """);
    assertThat(r.ok()).as(r.render()).isTrue();
    java.util.Map<String, dev.warden.policy.testing.TestOutcome> o = new java.util.HashMap<>();
    r.tests(n -> true).forEach(t -> o.put(t.name(), t.run(dev.warden.policy.support.Bundles.NOW)));
    assertThat(o.get("bob is still served, and would be refused").failure()).isNull();
    assertThat(o.get("bob is still served, and would be refused").expected())
        .isEqualTo("allow; shadow deny 403 by shop.no-bob reason \"bob is suspended\"");
    assertThat(o.get("wrong about the would-be decision").failure())
        .startsWith("expected shadow allow, got deny 403 by shop.no-bob");
    assertThat(o.get("a route without shadow rules would answer the same").failure()).isNull();
  }

  @Test
  void expectShadowIsCheckedLikeExpect() {
    assertThat(codes(compile(SHOP + """
        test "t" {
          request GET /ping
          expect allow
          expect shadow allow
          expect shadow deny
        }
        """))).containsExactly("test.bad_steps");
    dev.warden.policy.bundle.CompileResult typo = compile(SHOP + """
        test "t" {
          request GET /ping
          expect allow
          expect shadwo deny
        }
        """);
    assertThat(codes(typo)).containsExactly("parse.unexpected_token");
    assertThat(typo.render()).contains("did you mean `shadow`?");
    assertThat(codes(compile(SHOP + """
        test "t" {
          request GET /ping
          expect shadow deny by shop.nothing
        }
        """))).contains("test.unknown_rule");
  }
}
