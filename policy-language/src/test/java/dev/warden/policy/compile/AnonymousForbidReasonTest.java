package dev.warden.policy.compile;

import static dev.warden.policy.support.Bundles.program;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.Request;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A forbid that cannot be evaluated because the caller is anonymous asks for authentication. */
class AnonymousForbidReasonTest {
  @Test
  void anAnonymousCallerIsToldToAuthenticateNotAnotherRulesReason() {
    Decision d = program("""
        package shop
        principal { id: string = jwt.sub }
        api "A" { route read GET /orders/{orderId} }
        permit read when principal.id == "alice"
        forbid read when principal.id == "mallory" because "mallory is banned"
        """).decide(Request.builder("GET", "/orders/o1", Instant.parse("2026-01-15T12:00:00Z"))
            .identity(Identity.anonymous()).build());
    assertThat(d.status()).isEqualTo(401);
    assertThat(d.reason()).isEqualTo("authentication required");
  }
}
