package dev.warden.policy.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Span;
import dev.warden.policy.source.Bundle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The pipeline as a list of named stages: order, partial runs, added stages, timings. */
class BundleCompilerTest {
  private static final String POLICY = """
      package p
      principal { id: string = jwt.sub }
      api "P" { route r GET /r }
      role user { allow r }
      """;

  private static Bundle bundle(String policy) {
    return Bundle.of(Map.of("p.warden", policy));
  }

  private static List<String> ran(CompileResult r) {
    return r.stages().stream().map(StageTiming::stage).toList();
  }

  /** The revision shown is the author's label plus the content digest: the same label on other content differs. */
  @Test
  void theRevisionIsTheLabelPlusTheContentDigest() {
    Bundle one = Bundle.of(Map.of("p.warden", POLICY, "bundle.yaml", "revision: r1\n"));
    Bundle other = Bundle.of(Map.of("p.warden", POLICY + "// one more line\n", "bundle.yaml", "revision: r1\n"));
    Bundle unlabelled = Bundle.of(Map.of("p.warden", POLICY));
    String a = BundleCompiler.standard().compile(one).program().revision();
    String b = BundleCompiler.standard().compile(other).program().revision();
    assertThat(a).isEqualTo("r1@sha256:" + one.digest().substring(0, 12));
    assertThat(b).isEqualTo("r1@sha256:" + other.digest().substring(0, 12)).isNotEqualTo(a);
    assertThat(BundleCompiler.standard().compile(unlabelled).program().revision())
        .isEqualTo("sha256:" + unlabelled.digest().substring(0, 12));
  }

  /** A label goes into headers, metrics and logs as written: visible ASCII, 128 characters at most. */
  @Test
  void aLabelWithControlCharactersSpacesOrTooLongIsRefused() {
    for (String label : List.of("\"r1\\u0007\"", "\"two words\"", "\"caf\u00e9\"", "x".repeat(129))) {
      CompileResult r = BundleCompiler.standard().compile(
          Bundle.of(Map.of("p.warden", POLICY, "bundle.yaml", "revision: " + label + "\n")));
      assertThat(r.ok()).as(label).isFalse();
      assertThat(r.errors()).as(label).anySatisfy(d -> assertThat(d.message()).startsWith("`revision` "));
    }
    assertThat(BundleCompiler.standard().compile(Bundle.of(Map.of("p.warden", POLICY, "bundle.yaml",
        "revision: \"" + "x".repeat(128) + "\"\n"))).ok()).isTrue();
  }

  @Test
  void theStandardPipelineIsLoadParseCheckLintCompile() {
    assertThat(BundleCompiler.standard().stageNames()).containsExactly("load", "parse", "check", "lint", "compile");
    CompileResult r = new BundleCompiler().compile(bundle(POLICY));
    assertThat(r.ok()).as(r.render()).isTrue();
    assertThat(ran(r)).containsExactly("load", "parse", "check", "lint", "compile");
    assertThat(r.complete()).isTrue();
  }

  @Test
  void eachStageIsTimedWithTheCallersTicker() {
    AtomicLong now = new AtomicLong();
    CompileResult r = BundleCompiler.standard().compile(bundle(POLICY), () -> now.addAndGet(1_000));
    // One tick before and one after each stage: every stage took exactly one tick.
    assertThat(r.stages()).extracting(StageTiming::nanos).containsOnly(1_000L);
    assertThat(BundleCompiler.standard().compile(bundle(POLICY)).stages()).extracting(StageTiming::nanos).containsOnly(0L);
  }

  @Test
  void aToolCanStopAfterAStage() {
    CompileResult r = BundleCompiler.standard().upTo(BundleCompiler.LINT).compile(bundle(POLICY));
    assertThat(ran(r)).containsExactly("load", "parse", "check", "lint");
    assertThat(r.ok()).isTrue();
    assertThat(r.checkedBundle()).isPresent();
    assertThat(r.program()).isNull();
    assertThatThrownBy(r::programOrThrow).hasMessageContaining("not compiled");
    assertThatThrownBy(() -> BundleCompiler.standard().upTo("typo"))
        .hasMessage("no stage `typo`; the stages are load, parse, check, lint, compile");
  }

  @Test
  void aToolCanAddAStage() {
    List<String> seen = new ArrayList<>();
    Stage gate = Stage.of("gate", s -> s.program().isPresent(), s -> {
      seen.add("gate saw " + s.program().get().routeCount() + " route(s)");
      s.diagnostics().add(Diagnostic.error("bundle.gate", Span.of("."), "the gate says no"));
    });
    BundleCompiler gated = BundleCompiler.standard().withStageAfter(BundleCompiler.COMPILE, gate);
    assertThat(gated.stageNames()).endsWith("compile", "gate");
    CompileResult r = gated.compile(bundle(POLICY));
    assertThat(seen).containsExactly("gate saw 1 route(s)");
    assertThat(r.ok()).isFalse();
    assertThat(r.program()).as("a failed result has no program").isNull();
    assertThatThrownBy(() -> gated.withStageAfter(BundleCompiler.LOAD, gate)).hasMessageContaining("already has");
  }

  @Test
  void aParseErrorStopsThePipelineBeforeCheck() {
    CompileResult r = new BundleCompiler().compile(Bundle.of(Map.of(
        "a.warden", "package a\npermit r when\n",
        "b.warden", "package b\nrole x { allow nothing }\n")));
    assertThat(ran(r)).containsExactly("load", "parse");
    assertThat(r.diagnostics()).extracting(Diagnostic::code).containsExactly("parse.unexpected_token");
  }

  @Test
  void lintStillRunsAfterCheckErrorsSoOneRunShowsBoth() {
    CompileResult r = new BundleCompiler().compile(bundle(POLICY.replace("role user { allow r }", "role user { allow q }")));
    assertThat(ran(r)).containsExactly("load", "parse", "check", "lint");
    assertThat(r.diagnostics()).extracting(Diagnostic::code).contains("check.unknown_route", "check.unreachable_route");
    assertThat(r.checked()).as("an incomplete check is not handed out").isNull();
  }

  @Test
  void aPolicyFileThatIsNotUtf8IsALocatedErrorAndStopsBeforeCheck() {
    byte[] latin1 = "package p\n// café\n".getBytes(StandardCharsets.ISO_8859_1);
    CompileResult r = new BundleCompiler().compile(Bundle.ofBytes(Map.of(
        "p.warden", latin1, "q.warden", POLICY.getBytes(StandardCharsets.UTF_8))));
    assertThat(ran(r)).containsExactly("load", "parse");
    assertThat(r.errors()).singleElement().satisfies(d -> {
      assertThat(d.code()).isEqualTo("source.encoding");
      assertThat(d.span()).isEqualTo(new Span("p.warden", 2, 7, 1));
    });
    assertThat(r.render()).contains("2 | // caf\uFFFD").contains("  |       ^");
  }

  @Test
  void filesTheLanguageDoesNotReadMayHoldAnyBytes() {
    CompileResult r = new BundleCompiler().compile(Bundle.ofBytes(Map.of(
        "p.warden", POLICY.getBytes(StandardCharsets.UTF_8), "logo.png", new byte[] {(byte) 0x89, 'P', 'N', 'G', (byte) 0xff})));
    assertThat(r.ok()).as(r.render()).isTrue();
  }

  /** The activation gate: a bundle whose own test fails does not compile clean; one that passes does. */
  @Test
  void theTestGateRefusesABundleWhoseTestsFail() {
    String tests = """
        test "user reads" {
          request GET /r as {sub: "ann", roles: ["user"]}
          expect allow
        }
        """;
    String policy = """
        package p
        principal {
          id: string = jwt.sub
          roles: set<string> = jwt.claims.roles ? []
        }
        api "P" { route r GET /r }
        role user { allow r }
        """;
    BundleCompiler gated = BundleCompiler.standard()
        .withStageAfter(BundleCompiler.COMPILE, BundleCompiler.testGate(() -> java.time.Instant.EPOCH));
    assertThat(gated.stageNames()).endsWith("compile", "test_gate");
    CompileResult passing = gated.compile(Bundle.of(Map.of("p.warden", policy, "p_test.warden", "package p\n" + tests)));
    assertThat(passing.ok()).as(passing.render()).isTrue();
    assertThat(ran(passing)).endsWith("test_gate");

    CompileResult failing = gated.compile(Bundle.of(Map.of("p.warden", policy.replace("allow r", "allow nothing")
        .replace("api \"P\" { route r GET /r }", "api \"P\" { route r GET /r\n route nothing GET /n }"),
        "p_test.warden", "package p\n" + tests)));
    assertThat(failing.ok()).isFalse();
    assertThat(failing.program()).isNull();
    assertThat(failing.errors()).singleElement().satisfies(d -> {
      assertThat(d.code()).isEqualTo("bundle.test_failed");
      assertThat(d.message()).startsWith("bundle test `user reads` failed: expected allow, got ");
      assertThat(d.span().file()).isEqualTo("p_test.warden");
      assertThat(d.span().line()).isEqualTo(2);
    });
  }
}
