package dev.warden.policy.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.source.Bundle;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.compile.Program;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.Request;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small helpers shared by the language tests: compile a bundle from text, build requests. */
public final class Bundles {
  /** The time every test request is made at, unless it says otherwise. */
  public static final Instant NOW = Instant.parse("2026-01-15T12:00:00Z");

  /** `package shop` and a principal with a required id, roles and optional tenant and level. */
  public static final String SHOP_PRINCIPAL = """
      package shop

      principal {
        id:     string      = jwt.sub
        roles:  set<string> = jwt.claims.roles ? []
        tenant: string?     = jwt.claims.tenant
        level:  int?        = jwt.claims.level
      }
      """;

  private Bundles() {}

  /** Compiles a bundle of one policy file, `p.warden`, plus extra files (path, text, …). */
  public static CompileResult compile(String policy, String... extra) {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("p.warden", policy);
    for (int i = 0; i + 1 < extra.length; i += 2) {
      files.put(extra[i], extra[i + 1]);
    }
    return new BundleCompiler().compile(Bundle.of(files));
  }

  /** Compiles and insists there is no error, showing the rendered diagnostics otherwise. */
  public static Program program(String policy, String... extra) {
    CompileResult r = compile(policy, extra);
    assertThat(r.ok()).as("bundle should compile:%n%s", r.render()).isTrue();
    return r.programOrThrow();
  }

  /** The codes of every diagnostic, in order. */
  public static List<String> codes(CompileResult r) {
    return r.diagnostics().stream().map(Diagnostic::code).toList();
  }

  public static Identity claims(Object... keyValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < keyValues.length; i += 2) {
      m.put((String) keyValues[i], keyValues[i + 1]);
    }
    return Identity.ofClaims(m);
  }

  /** A caller with subject {@code sub} and the given roles. */
  public static Identity user(String sub, String... roles) {
    return claims("sub", sub, "roles", List.of(roles));
  }

  public static Decision decide(Program p, String method, String path, Identity who) {
    return p.decide(Request.builder(method, path, NOW).identity(who).build());
  }
}
