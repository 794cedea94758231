package dev.warden.policy.compile;

import static dev.warden.policy.support.Bundles.program;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.Request;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Absent values equal nothing, so comparisons in `forbid … unless` fail closed. */
class OptionalEqualityTest {
  static final String POLICY = """
      package docs
      principal {
        id = jwt.sub
        tenant: string? = jwt.claims.tenant
      }
      api "Docs" { route read GET /docs/{docId} }
      data docs: map<string, {tenant: string, rev: decimal}>
      permit read when true
      forbid "same-tenant" read unless principal.tenant == data.docs[docId].tenant
      forbid "different" read when principal.tenant != data.docs[docId].tenant
      """;

  static Decision decide(String path, Map<String, Object> claims) {
    return program(POLICY).decide(Request.builder("GET", path, Instant.parse("2026-01-01T00:00:00Z"))
        .identity(Identity.ofClaims(claims)).build());
  }

  @Test
  void absentEqualsAbsentIsFalse() {
    Decision d = decide("/docs/nope", Map.of("sub", "ann"));
    assertThat(d.allowed()).isFalse();
    assertThat(d.decidingRule()).isEqualTo("docs.same-tenant");
  }

  @Test
  void presentAgainstAbsentIsRefusedByBothForms() {
    assertThat(decide("/docs/nope", Map.of("sub", "ann", "tenant", "acme")).allowed()).isFalse();
  }

  @Test
  void recordsCompareNumbersByValue() {
    assertThat(Values.equal(new Values(java.util.List.of()).record(Map.of("a", 1L)),
        new Values(java.util.List.of()).record(Map.of("a", new java.math.BigDecimal("1.0"))))).isTrue();
    assertThat(Values.equal(null, null)).isFalse();
    assertThat(Values.equal(java.util.List.of(1L), java.util.List.of(new java.math.BigDecimal("1.00")))).isTrue();
  }
}
