package dev.warden.policy.compile;

import static dev.warden.policy.support.Bundles.NOW;
import static dev.warden.policy.support.Bundles.codes;
import static dev.warden.policy.support.Bundles.compile;
import static dev.warden.policy.support.Bundles.decide;
import static dev.warden.policy.support.Bundles.program;
import static dev.warden.policy.support.Bundles.user;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.EvalError;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.Obligations;
import dev.warden.policy.runtime.Outcome;
import dev.warden.policy.runtime.Quota;
import dev.warden.policy.runtime.QuotaCharge;
import dev.warden.policy.testing.PolicyTest;
import dev.warden.policy.testing.TestOutcome;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** `quota` declarations: how they are written and checked, and what an allowed request owes them. */
class QuotaTest {
  private static final String SHOP = dev.warden.policy.support.Bundles.SHOP_PRINCIPAL + """
      role customer { allow read, create }
      api "Shop" {
        route read GET /orders/{orderId}
        route create POST /orders
        route ping GET /ping
      }
      permit ping
      """;

  @Test
  void theBriefsFormIsAcceptedAsWritten() {
    Program p = program(SHOP + """
        quota per_ip on ping : 5 per 1m burst 5 by source.ip scope global
        """);
    Decision d = p.decide(dev.warden.policy.runtime.Request.builder("GET", "/ping", NOW)
        .source(dev.warden.policy.runtime.IpAddress.parse("10.0.0.7"), 0, null).build());
    assertThat(d.allowed()).isTrue();
    assertThat(d.charges()).hasSize(1);
    QuotaCharge c = d.charges().get(0);
    assertThat(c.key()).isEqualTo("10.0.0.7");
    assertThat(c.cost()).isEqualTo(1);
    Quota q = c.quota();
    assertThat(q.id()).isEqualTo("shop.per_ip");
    assertThat(q.limit()).isEqualTo(5);
    assertThat(q.periodNanos()).isEqualTo(Duration.ofMinutes(1).toNanos());
    assertThat(q.burst()).isEqualTo(5);
    assertThat(q.global()).isTrue();
    assertThat(q.fallback()).isEqualTo(Quota.Fallback.CLOSED);
    assertThat(q.ref().kind()).isEqualTo("quota");
    assertThat(q.ref().location()).isEqualTo("p.warden:16");
  }

  @Test
  void deniedRequestsOweNothing() {
    Program p = program(SHOP + """
        quota per_user on read : 10 per 1m by principal.id
        """);
    Decision denied = decide(p, "GET", "/orders/o1", user("bob"));
    assertThat(denied.allowed()).isFalse();
    assertThat(denied.charges()).isEmpty();
    Decision allowed = decide(p, "GET", "/orders/o1", user("alice", "customer"));
    assertThat(allowed.charges()).extracting(QuotaCharge::key).containsExactly("alice");
    assertThat(allowed.charges().get(0).quota().burst()).isEqualTo(10);
  }

  @Test
  void conditionsChooseTheQuotasAndCostIsAnExpression() {
    Program p = program(SHOP + """
        quota anon on ping : 2 per 1s when principal.anonymous
        quota heavy on ping : 100 per 1m by principal.id cost 1 + 4 unless principal.anonymous
        """);
    Decision anonymous = p.decide(dev.warden.policy.runtime.Request.builder("GET", "/ping", NOW).build());
    assertThat(anonymous.charges()).extracting(c -> c.quota().name(), QuotaCharge::key, QuotaCharge::cost)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("anon", "", 1L));
    Decision known = decide(p, "GET", "/ping", user("alice"));
    assertThat(known.charges()).extracting(c -> c.quota().name(), QuotaCharge::key, QuotaCharge::cost)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("heavy", "alice", 5L));
  }

  @Test
  void aConstantCostIsANumber() {
    Program p = program(SHOP + "quota q on ping : 10 per 1m cost 3\n");
    assertThat(decide(p, "GET", "/ping", user("a")).charges()).extracting(QuotaCharge::cost).containsExactly(3L);
  }

  @Test
  void aNegativeCostDeniesRatherThanRefunding() {
    Program p = program(SHOP + """
        quota q on ping : 10 per 1m cost 1 - (principal.level ? 0)
        """);
    Decision d = decide(p, "GET", "/ping", dev.warden.policy.support.Bundles.claims("sub", "a", "level", 5));
    assertThat(d.allowed()).isFalse();
    assertThat(d.outcome()).isEqualTo(Outcome.ERROR);
    assertThat(d.errors()).extracting(EvalError::kind).containsExactly(EvalError.Kind.COST);
    assertThat(d.explanation()).contains("quota `shop.q`").contains("-4, below 0");
  }

  @Test
  void aKeyThatReadsTheAnonymousPrincipalAsksToAuthenticate() {
    Program p = program(SHOP + """
        quota q on ping : 10 per 1m by principal.id
        """);
    Decision d = p.decide(dev.warden.policy.runtime.Request.builder("GET", "/ping", NOW)
        .identity(Identity.anonymous()).build());
    assertThat(d.allowed()).isFalse();
    assertThat(d.status()).isEqualTo(401);
    assertThat(d.rules()).extracting(r -> r.id()).containsExactly("shop.q");
  }

  @Test
  void mistakesAreReportedWithTheirPlace() {
    assertThat(codes(compile(SHOP + "quota q on ping : 10 every 1m\n"))).containsExactly("check.bad_quota");
    assertThat(codes(compile(SHOP + "quota q on ping : 0 per 1m\n"))).containsExactly("check.bad_quota");
    assertThat(codes(compile(SHOP + "quota q on ping : 10 per 1m brust 5\n"))).containsExactly("check.bad_quota");
    CompileResult r = compile(SHOP + "quota q on ping : 10 per 1m brust 5\n");
    assertThat(r.render()).contains("did you mean `burst`?");
    assertThat(codes(compile(SHOP + "quota q on ping : 10 per 1m fallback open\n"))).containsExactly("check.bad_quota");
    assertThat(codes(compile(SHOP + "quota q on ping : 10 per 1m scope global fallback local\n")))
        .containsExactly("check.bad_quota");
    assertThat(codes(compile(SHOP + "quota q on ping : 10 per 1m scope everywhere\n"))).containsExactly("check.bad_quota");
    assertThat(codes(compile(SHOP + "quota q on ping : 1 per 366d burst 2\n"))).containsExactly("check.bad_quota");
    assertThat(codes(compile(SHOP + "quota q on ping : 10 per 1m by request.headers\n")))
        .containsExactly("check.type_mismatch");
    assertThat(codes(compile(SHOP + "quota q on ping : 10 per 1m cost \"big\"\n"))).containsExactly("check.type_mismatch");
    assertThat(codes(compile(SHOP + "quota q on ping : 10 per 1m when 3\n"))).containsExactly("check.type_mismatch");
    assertThat(codes(compile(SHOP + "quota q on nowhere : 10 per 1m\n"))).containsExactly("check.unknown_route");
    assertThat(codes(compile(SHOP + "quota q on ping : 10 per 1m\nquota q on read : 1 per 1s\n")))
        .containsExactly("check.duplicate_quota");
  }

  @Test
  void shadowQuotaIsAKeywordOnlyBeforeQuota() {
    Program p = program(SHOP + """
        shadow quota trial on ping : 1 per 1h
        permit read when principal.id == "shadow"
        """);
    Decision d = decide(p, "GET", "/ping", user("alice"));
    assertThat(d.charges()).singleElement().satisfies(c -> {
      assertThat(c.quota().shadow()).isTrue();
      assertThat(c.quota().ref().kind()).isEqualTo("shadow quota");
    });
  }

  private static final String SEQUENCES = SHOP + """
      quota per_user on read : 2 per 1m by principal.id

      test "a burst, then 429 with the headers, then a token back after the interval" {
        repeat 2 {
          request GET /orders/o1 as {sub: "alice", roles: ["customer"]}
          expect allow
        }
        request GET /orders/o1 as {sub: "alice", roles: ["customer"]}
        expect deny 429 by shop.per_user reason "rate limit exceeded"
          with response header "retry-after" = "30"
          and response header "ratelimit-policy" = "\\"per_user\\";q=2;w=60"
          and response header "ratelimit" = "\\"per_user\\";r=0;t=60"
        request GET /orders/o1 as {sub: "bob", roles: ["customer"]}
        expect allow
        wait 30s
        request GET /orders/o1 as {sub: "alice", roles: ["customer"]}
        expect allow
        request GET /orders/o1 as {sub: "alice", roles: ["customer"]}
        expect deny 429
      }
      test "a denied request spends nothing" {
        repeat 5 {
          request GET /orders/o1 as {sub: "mallory"}
          expect deny 403
        }
        request GET /orders/o1 as {sub: "mallory", roles: ["customer"]}
        expect allow
      }
      test "wrongly expects a third allow" {
        repeat 3 {
          request GET /orders/o1 as {sub: "alice", roles: ["customer"]}
          expect allow
        }
      }
      """;

  @Test
  void testsSendSequencesWithAPinnedClock() {
    CompileResult r = compile(SEQUENCES);
    List<TestOutcome> outcomes = r.tests(n -> true).stream().map(t -> t.run(NOW)).toList();
    assertThat(outcomes).extracting(TestOutcome::name, TestOutcome::passed).containsExactly(
        org.assertj.core.groups.Tuple.tuple("a burst, then 429 with the headers, then a token back after the interval",
            true),
        org.assertj.core.groups.Tuple.tuple("a denied request spends nothing", true),
        org.assertj.core.groups.Tuple.tuple("wrongly expects a third allow", false));
    assertThat(outcomes.get(2).failure()).startsWith("request 3 (line ").contains("round 3 of 3")
        .contains("expected allow, got deny 429 by shop.per_user");
    assertThat(r.tests(n -> true)).extracting(PolicyTest::sequence).containsOnly(true);
  }

  @Test
  void sequenceMistakesAreReported() {
    assertThat(codes(compile(SHOP + """
        test "t" {
          request GET /ping
          request GET /ping
          expect allow
        }
        """))).containsExactly("test.bad_steps");
    assertThat(codes(compile(SHOP + """
        test "t" {
          repeat 0 { request GET /ping expect allow }
        }
        """))).contains("test.bad_steps");
    assertThat(codes(compile(SHOP + """
        test "t" {
          again 2 { request GET /ping expect allow }
        }
        """))).containsExactly("parse.unknown_test_step");
  }

  @Test
  void quotaHeadersAreAddedToTheAllowOnlyWhenAsked() {
    Program p = program(SHOP + "quota per_user on read : 2 per 1m by principal.id\n");
    Decision d = decide(p, "GET", "/orders/o1", user("alice", "customer"));
    var answers = dev.warden.policy.runtime.QuotaAdmission.admit(d.charges(), 0,
        new dev.warden.policy.testing.TestBuckets(), dev.warden.policy.runtime.QuotaResult.Via.LOCAL);
    Decision quiet = d.withQuotas(answers, dev.warden.policy.runtime.RateLimitHeaders.Style.IETF, false);
    assertThat(quiet.allowed()).isTrue();
    assertThat(quiet.obligations().responseHeaders()).isEmpty();
    assertThat(quiet.charges()).isEmpty();
    assertThat(quiet.quotas()).hasSize(1);
    Decision told = d.withQuotas(answers, dev.warden.policy.runtime.RateLimitHeaders.Style.BOTH, true);
    assertThat(told.obligations().responseHeaders()).extracting(Obligations.Header::name, Obligations.Header::value)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("ratelimit-policy", "\"per_user\";q=2;w=60"),
            org.assertj.core.groups.Tuple.tuple("ratelimit", "\"per_user\";r=1;t=30"),
            org.assertj.core.groups.Tuple.tuple("x-ratelimit-limit", "2, 2;w=60"),
            org.assertj.core.groups.Tuple.tuple("x-ratelimit-remaining", "1"),
            org.assertj.core.groups.Tuple.tuple("x-ratelimit-reset", "30"));
  }
}
