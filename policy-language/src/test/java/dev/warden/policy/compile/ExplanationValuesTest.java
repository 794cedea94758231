package dev.warden.policy.compile;

import static dev.warden.policy.support.Bundles.NOW;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.support.Bundles;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Explanations show the values a failed comparison compared, for the policy author. */
class ExplanationValuesTest {
  static final String POLICY = Bundles.SHOP_PRINCIPAL + """
      api "Shop" {
        route read   GET /orders/{orderId}
        route admin  GET /admin
        route search GET /search
      }
      data orders: map<string, {owner: string, tenant: string}>
      permit read when principal.id == data.orders[orderId].owner
      forbid read unless principal.tenant == data.orders[orderId].tenant because "another tenant"
      permit admin when principal.level ? 0 >= 5 and "admin" in principal.roles
      permit search when request.headers["x-q"] == "ok" or principal.id in ["root", "ops"]
      """;
  static final String DATA = """
      {"o1": {"owner": "alice", "tenant": "acme"}}""";
  static final Program P = Bundles.program(POLICY, "data/orders.json", DATA);

  static Decision get(String path, Identity who, Map<String, String> headers) {
    return P.decide(Request.builder("GET", path, NOW).identity(who).headers(headers).build());
  }

  @Test
  void aFailedEqualityShowsBothValues() {
    Decision d = get("/orders/o1", Bundles.claims("sub", "mallory", "tenant", "acme"), Map.of());
    assertThat(d.allowed()).isFalse();
    assertThat(d.explanation()).contains(
        "principal.id (\"mallory\") == data.orders[orderId].owner (\"alice\") is false");
  }

  @Test
  void aForbidWhoseUnlessWasFalseShowsTheValues() {
    Decision d = get("/orders/o1", Bundles.claims("sub", "alice", "tenant", "globex"), Map.of());
    assertThat(d.reason()).isEqualTo("another tenant");
    assertThat(d.explanation()).isEqualTo("forbid `shop.forbid#1` applies: "
        + "principal.tenant (\"globex\") == data.orders[orderId].tenant (\"acme\") is false");
  }

  @Test
  void anAbsentValueIsShownAsAbsent() {
    Decision d = get("/orders/nope", Bundles.claims("sub", "alice", "tenant", "acme"), Map.of());
    assertThat(d.explanation()).contains("data.orders[orderId].tenant (absent)");
  }

  @Test
  void anAndNamesThePartThatFailedAndAnOrEveryPart() {
    Decision admin = get("/admin", Bundles.claims("sub", "bob", "level", 7L, "roles", List.of("user")), Map.of());
    assertThat(admin.explanation()).contains("is false: \"admin\" in principal.roles ({\"user\"}) is false")
        .doesNotContain(">= 5 is false");
    Decision search = get("/search", Bundles.claims("sub", "bob"), Map.of("x-q", "no"));
    assertThat(search.explanation()).contains("request.headers[\"x-q\"] (\"no\") == \"ok\" is false; "
        + "principal.id (\"bob\") in [\"root\", \"ops\"] is false");
  }

  @Test
  void clientTextInValuesIsEscapedAndCut() {
    String sneaky = "x\nFORGED LOG LINE " + "a".repeat(500);
    Decision d = get("/search", Bundles.claims("sub", "bob"), Map.of("x-q", sneaky));
    assertThat(d.explanation()).doesNotContain("\n").contains("x\\u000AFORGED").contains("…")
        .hasSizeLessThan(400);
  }

  @Test
  void anAnonymousCallersAbsentFieldsAreShownAsAbsent() {
    Decision d = get("/orders/o1", Identity.anonymous(), Map.of());
    assertThat(d.status()).isEqualTo(401);
    assertThat(d.explanation()).isEqualTo("forbid `shop.forbid#1` applies: "
        + "principal.tenant (absent) == data.orders[orderId].tenant (\"acme\") is false");
  }

  @Test
  void theDecisionItselfIsUnchangedByExplaining() {
    Decision d = get("/orders/o1", Bundles.claims("sub", "mallory", "tenant", "acme"), Map.of());
    Decision again = get("/orders/o1", Bundles.claims("sub", "mallory", "tenant", "acme"), Map.of());
    d.explanation();
    assertThat(d).isEqualTo(again);
  }
}
