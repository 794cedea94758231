package dev.warden.policy.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.policy.source.Bundle;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The front door over a small bundle held in memory: compile, decide by request and by route. */
class PolicyEngineTest {
  private static final Instant AT = Instant.parse("2026-01-15T12:00:00Z");
  private static final String POLICY = """
      package shop

      principal {
        id:     string      = jwt.sub
        roles:  set<string> = jwt.claims.roles ? []
      }

      api "Shop" {
        route read  GET /orders/{orderId:uuid}
        route page  GET /pages/{n:int}
        route file  GET /files/{name}/**
      }

      data orders: map<string, {owner: string}>

      role customer { allow read, page, file }

      forbid "owner-only" read
        unless data.orders[orderId].owner == principal.id
        because "not your order"
      """;
  private static final String ORDERS = "{\"7f0c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e01\": {\"owner\": \"alice\"}}";
  private static final String ORDER = "7f0c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e01";

  private static PolicyEngine engine() {
    return PolicyEngine.compile(Bundle.of(Map.of("shop.warden", POLICY, "data/orders.json", ORDERS))).engine();
  }

  private static Caller user(String sub) {
    return Caller.withClaims(Map.of("sub", sub, "roles", List.of("customer")));
  }

  @Test
  void decidesAnHttpRequest() {
    PolicyEngine shop = engine();
    Verdict alice = shop.decide(HttpRequest.of("GET", "/orders/" + ORDER.toUpperCase(), user("alice"), AT));
    assertThat(alice.allowed()).as(alice.explanation()).isTrue();
    assertThat(alice.route()).isEqualTo("shop.read");
    assertThat(alice.rules()).containsExactly("role.customer#1");
    Verdict mallory = shop.decide(HttpRequest.of("GET", "/orders/" + ORDER, user("mallory"), AT));
    assertThat(mallory.allowed()).isFalse();
    assertThat(mallory.status()).isEqualTo(403);
    assertThat(mallory.reason()).isEqualTo("not your order");
    assertThat(mallory.rules()).containsExactly("shop.owner-only");
    assertThat(mallory.ruleLocations()).singleElement().asString().startsWith("shop.warden:");
    assertThat(alice.outcome()).isEqualTo("allow");
    assertThat(mallory.outcome()).isEqualTo("forbid");
    assertThat(mallory.errors()).isEmpty();
    assertThat(shop.decide(HttpRequest.of("GET", "/nowhere", user("alice"), AT)).outcome()).isEqualTo("no_route");
    assertThat(shop.decide(HttpRequest.of("GET", "/orders/" + ORDER, Caller.anonymous(), AT)).status()).isEqualTo(401);
    assertThat(shop.decide(HttpRequest.of("GET", "/nowhere", user("alice"), AT)).status()).isEqualTo(404);
  }

  @Test
  void headersAndMethodOverridesAreReadAsTheSidecarReadsThem() {
    Verdict v = engine().decide(HttpRequest.of("GET", "/pages/1", user("alice"), AT)
        .withHeader("X-HTTP-Method-Override", "DELETE").withSource("10.0.0.1"));
    assertThat(v.allowed()).isTrue();
    assertThat(v.headersToRemove()).containsExactly("x-http-method-override");
    assertThatThrownBy(() -> HttpRequest.of("GET", "/", Caller.anonymous(), AT).withHeader("bad header", "x"))
        .hasMessageContaining("`bad header` is not an HTTP header name");
  }

  @Test
  void decidesARouteCallWithTypedParameters() {
    PolicyEngine shop = engine();
    assertThat(shop.routes()).containsExactly("shop.read", "shop.page", "shop.file");
    assertThat(shop.decide("shop.read", Map.of("orderId", UUID.fromString(ORDER)), user("alice"), AT).allowed()).isTrue();
    assertThat(shop.decide("shop.read", Map.of("orderId", ORDER), user("bob"), AT).reason()).isEqualTo("not your order");
    assertThat(shop.decide("shop.page", Map.of("n", 7L), user("bob"), AT).allowed()).isTrue();
    assertThat(shop.decide("shop.file", Map.of("name", "ab", "**", "c/d.txt"), user("bob"), AT).allowed()).isTrue();

    assertThatThrownBy(() -> shop.decide("shop.page", Map.of("n", UUID.randomUUID()), user("bob"), AT))
        .hasMessage("route `shop.page`: parameter `n` is an `int`, not a UUID");
    assertThatThrownBy(() -> shop.decide("shop.page", Map.of("n", java.math.BigInteger.TEN.pow(19)), user("bob"), AT))
        .hasMessageContaining("parameter `n` must be an `int`");
    assertThatThrownBy(() -> shop.decide("shop.read", Map.of(), user("bob"), AT))
        .hasMessage("route `shop.read` needs parameter `orderId`");
    assertThatThrownBy(() -> shop.decide("shop.read", Map.of("id", ORDER), user("bob"), AT))
        .hasMessage("route `shop.read` has no parameter `id`");
    assertThatThrownBy(() -> shop.decide("shop.gone", Map.of(), user("bob"), AT))
        .hasMessage("no route `shop.gone` in the bundle");
  }

  @Test
  void aBundleWithErrorsHasDiagnosticsAndNoEngine() {
    Compilation c = PolicyEngine.compile(Bundle.of(Map.of("shop.warden", POLICY.replace("principal.id", "principal.idd"))));
    assertThat(c.ok()).isFalse();
    assertThat(c.errors()).extracting(d -> d.code()).contains("check.unknown_field");
    assertThatThrownBy(c::engine).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("error[check.unknown_field]").hasMessageContaining("--> shop.warden:");
  }
}
