package dev.warden.policy.compile;

import static dev.warden.policy.support.Bundles.NOW;
import static dev.warden.policy.support.Bundles.program;
import static dev.warden.policy.support.Bundles.user;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.runtime.Deadline;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.support.Bundles;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The limits of one decision besides the step budget: a deadline the caller passes (the
 * language has no clock) and the step limit of a first try, after which the caller decides again
 * elsewhere.
 */
class DecisionLimitsTest {
  /** `heavy` scans 5,000 names: some 5,000 steps. `light` takes a handful. */
  static final String POLICY = Bundles.SHOP_PRINCIPAL + """
      api "Work" {
        route heavy GET /heavy
        route light GET /light
      }
      data names: list<string>
      permit heavy when any n in data.names: n == principal.id
      permit light when principal.id == "alice"
      """;

  private static Program program() {
    StringBuilder names = new StringBuilder("[");
    for (int i = 0; i < 5000; i++) {
      names.append(i == 0 ? "" : ",").append("\"u").append(i).append('"');
    }
    return Bundles.program(POLICY, "data/names.json", names.append(",\"alice\"]").toString());
  }

  private static Request get(String path) {
    return Request.builder("GET", path, NOW).identity(user("alice")).build();
  }

  @Test
  void aFirstTryDecidesLightRequestsAndGivesUpOnHeavyOnes() {
    Program p = program();
    assertThat(p.tryDecide(get("/light"), 1000, Deadline.NONE)).isEqualTo(p.decide(get("/light")));
    assertThat(p.tryDecide(get("/heavy"), 1000, Deadline.NONE)).isNull();
    // Decided again without the first try's limit, it is the same decision as ever.
    Decision heavy = p.decide(get("/heavy"), Deadline.NONE);
    assertThat(heavy.allowed()).isTrue();
    assertThat(heavy).isEqualTo(p.decide(get("/heavy")));
  }

  @Test
  void aFirstTryAtOrAboveTheBudgetIsAWholeDecision() {
    Program p = program();
    Decision d = p.tryDecide(get("/heavy"), 1_000_000, Deadline.NONE);
    assertThat(d).isNotNull();
    assertThat(d.allowed()).isTrue();
  }

  @Test
  void aPassedDeadlineEndsAHeavyDecisionAsADenial() {
    Decision d = program().decide(get("/heavy"), () -> true);
    assertThat(d.allowed()).isFalse();
    assertThat(d.status()).isEqualTo(403);
    assertThat(d.reason()).isEqualTo("policy evaluation limit exceeded");
    assertThat(d.explanation()).contains("ran past its deadline");
  }

  @Test
  void theDeadlineIsAskedEveryFewHundredStepsNotEveryStep() {
    AtomicInteger asked = new AtomicInteger();
    Decision d = program().decide(get("/heavy"), () -> {
      asked.incrementAndGet();
      return false;
    });
    assertThat(d.allowed()).isTrue();
    // Some 5,000 steps: asked about every 256 of them.
    assertThat(asked.get()).isBetween(5000 / Deadline.CHECK_EVERY - 2, 5000 / Deadline.CHECK_EVERY + 4);
    AtomicInteger light = new AtomicInteger();
    program().decide(get("/light"), () -> light.incrementAndGet() > 0);
    assertThat(light.get()).isZero();
  }

  @Test
  void routeCallsTakeTheSameLimits() {
    Program p = program();
    Program.RouteCall call = p.bind("shop.heavy", java.util.Map.of());
    assertThat(p.tryDecide(call, get("/"), 1000, Deadline.NONE)).isNull();
    assertThat(p.decide(call, get("/"), Deadline.NONE).allowed()).isTrue();
    assertThat(p.decide(call, get("/"), () -> true).reason()).isEqualTo("policy evaluation limit exceeded");
  }
}
