package dev.warden.policy.compile;

import static dev.warden.policy.support.Bundles.program;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.Request;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** `request.context` (Envoy's context_extensions) and `request.sni` reach conditions. */
class RequestContextTest {
  static final String POLICY = """
      package p
      principal { id = jwt.sub }
      api "A" { route read GET /things }
      permit read when request.context["tier"] == "public"
      permit read when request.sni == "internal.example"
      """;

  static boolean allowed(Map<String, String> context, String sni) {
    return program(POLICY).decide(Request.builder("GET", "/things", Instant.EPOCH).context(context).sni(sni)
        .identity(Identity.ofClaims(Map.of("sub", "a"))).build()).allowed();
  }

  @Test
  void contextExtensionsAndSniAreInputs() {
    assertThat(allowed(Map.of("tier", "public"), null)).isTrue();
    assertThat(allowed(Map.of("tier", "partner"), null)).isFalse();
    assertThat(allowed(Map.of(), "internal.example")).isTrue();
    assertThat(allowed(Map.of(), "")).isFalse();
  }
}
