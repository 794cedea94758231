package dev.warden.policy.parser;

import static dev.warden.policy.support.Bundles.compile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.diag.Diagnostic;
import java.time.Duration;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile policy text and data: every input gets diagnostics, never a crash, a stack overflow or
 * a hang. The timeout is only a hang guard, not a performance assertion.
 */
class HostileInputTest {
  private static final Duration GUARD = Duration.ofSeconds(20);
  private static final String HEAD = "package p\napi \"A\" { route a GET /a }\n";

  /** Compiles under the hang guard; the result must render and have at least one error. */
  private static CompileResult rejects(String policy, String... extra) {
    CompileResult r = assertTimeoutPreemptively(GUARD, () -> compile(policy, extra));
    assertThat(r.ok()).isFalse();
    assertThat(r.errors()).isNotEmpty();
    assertThat(r.render()).startsWith("error[");
    return r;
  }

  private static String repeat(String s, int n) {
    return s.repeat(n);
  }

  static Stream<Arguments> deepNesting() {
    int n = 10_000;
    return Stream.of(
        Arguments.of("parens", HEAD + "permit a when " + repeat("(", n) + "true" + repeat(")", n)),
        Arguments.of("brackets", HEAD + "permit a when 1 in " + repeat("[", n) + repeat("]", n)),
        Arguments.of("braces", HEAD + "permit a when " + repeat("{a: ", n) + "1" + repeat("}", n) + " == 1"),
        Arguments.of("not", HEAD + "permit a when " + repeat("not ", n) + "true"),
        Arguments.of("minus", HEAD + "permit a when " + repeat("-", n) + "1 == 1"),
        Arguments.of("has", HEAD + "permit a when " + repeat("has ", n) + "principal.anonymous"),
        Arguments.of("unclosed parens", HEAD + "permit a when " + repeat("(", n)),
        Arguments.of("role braces", HEAD + "role r " + repeat("{", n)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("deepNesting")
  void deepNestingIsADiagnostic(String name, String policy) {
    CompileResult r = rejects(policy);
    assertThat(r.errors()).extracting(Diagnostic::code).contains("parse.too_deep");
  }

  /** `//` alone on a line is an empty comment, not a path: the comment rule wins the tie. */
  @Test
  void anEmptyCommentLineIsAComment() {
    CompileResult r = compile("""
        package p
        //
        // a paragraph
        //
        api "A" { route list GET /items }
        permit list
        """);
    assertThat(r.ok()).as(r.render()).isTrue();
  }

  @Test
  void aLongOrChainIsADiagnostic() {
    StringBuilder b = new StringBuilder(HEAD + "permit a when true");
    for (int i = 0; i < 100_000; i++) {
      b.append(" or false");
    }
    CompileResult r = rejects(b.toString());
    assertThat(r.errors()).extracting(Diagnostic::code).containsAnyOf("parse.too_deep", "parse.too_many_tokens");
  }

  @Test
  void aChainJustLongerThanTheExpressionDepthIsADiagnostic() {
    StringBuilder b = new StringBuilder(HEAD + "permit a when true");
    for (int i = 0; i < 1_000; i++) {
      b.append(" and true");
    }
    CompileResult r = rejects(b.toString());
    assertThat(r.errors()).extracting(Diagnostic::code).containsExactly("parse.too_deep");
  }

  @Test
  void aTenMegabyteFileIsADiagnostic() {
    String big = HEAD + "// " + "x".repeat(10 * 1024 * 1024) + "\n";
    CompileResult r = rejects(big);
    assertThat(r.errors()).extracting(Diagnostic::code).containsExactly("parse.too_large");
  }

  @Test
  void manyTokensAreADiagnostic() {
    CompileResult r = rejects(HEAD + "permit a when " + "1 ".repeat(300_000));
    assertThat(r.errors()).extracting(Diagnostic::code).contains("parse.too_many_tokens");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("oddText")
  void oddTextIsADiagnostic(String name, String policy) {
    rejects(policy);
  }

  static Stream<Arguments> oddText() {
    return Stream.of(
        Arguments.of("only a quote", "\""),
        Arguments.of("many quotes", "\"".repeat(10_001)),
        Arguments.of("unterminated string", HEAD + "forbid a because \"never closed"),
        Arguments.of("unterminated strings on many lines", HEAD + "forbid a because \"x\n".repeat(1_000)),
        Arguments.of("lone surrogates", HEAD + "permit a when \"\uD800\" == \"\uDC00\" \uD800"),
        Arguments.of("control characters", "\u0000\u0001\u0002package p\u001b[31m"),
        Arguments.of("bad characters", "@#$%^&|`~\\".repeat(1_000)),
        Arguments.of("only a brace", "}"),
        Arguments.of("path of slashes", HEAD + "role r { allow " + "/".repeat(50_000) + " }"),
        Arguments.of("huge number", HEAD + "permit a when 1" + "0".repeat(5_000) + " > 1"),
        Arguments.of("huge duration", HEAD + "permit a when request.time + 9".repeat(1) + "9".repeat(40) + "d > request.time"),
        Arguments.of("escapes", HEAD + "forbid a because \"\\u12\""));
  }

  @Test
  void randomBytesNeverCrash() {
    Random random = new Random(20261115L);
    for (int i = 0; i < 300; i++) {
      char[] chars = new char[random.nextInt(400)];
      for (int j = 0; j < chars.length; j++) {
        chars[j] = random.nextInt(4) == 0 ? (char) random.nextInt(0x10000) : (char) (32 + random.nextInt(95));
      }
      String text = new String(chars);
      CompileResult r = assertTimeoutPreemptively(GUARD, () -> compile(text));
      assertThat(r.render()).as("input %d renders", i).isNotNull();
      assertThat(r.diagnostics()).as("input %d gets diagnostics: %s", i, text).isNotEmpty();
    }
  }

  @Test
  void randomTokenSoupNeverCrashes() {
    String[] words = {"package", "p", "api", "\"A\"", "{", "}", "route", "a", "GET", "/a/{id}", "role", "r", "allow",
        "permit", "forbid", "when", "unless", "and", "or", "not", "(", ")", "[", "]", ",", ".", ":", "==", "=",
        "1", "2026-01-01", "5m", "principal", "data", "request", "test", "expect", "deny", "has", "any", "in",
        "?", "-", "+", "is", "matches", "\"x\"", "schema", "on", "extends", "#", "*", "**"};
    Random random = new Random(7L);
    for (int i = 0; i < 500; i++) {
      StringBuilder b = new StringBuilder();
      int n = random.nextInt(60);
      for (int j = 0; j < n; j++) {
        b.append(words[random.nextInt(words.length)]).append(random.nextInt(5) == 0 ? "\n" : " ");
      }
      String text = b.toString();
      CompileResult r = assertTimeoutPreemptively(GUARD, () -> compile(text));
      assertThat(r.render()).as("token soup %d: %s", i, text).isNotNull();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"data/deep.json", "data/deep.yaml"})
  void deeplyNestedDataIsADiagnostic(String path) {
    int n = 100_000;
    CompileResult r = rejects(HEAD + "role r { allow a }\n", path, "[".repeat(n) + "]".repeat(n));
    assertThat(r.errors()).extracting(Diagnostic::code).contains("data.parse_error");
  }

  @Test
  void moderatelyNestedJsonDataIsAccepted() {
    int n = 900;
    String json = "{\"a\":".repeat(n) + "1" + "}".repeat(n);
    CompileResult r = assertTimeoutPreemptively(GUARD, () -> compile(HEAD + "role r { allow a }\n", "data/deep.json", json));
    assertThat(r.ok()).as(r.render()).isTrue();
  }

  @Test
  void theNumberOfDiagnosticsIsCapped() {
    CompileResult r = rejects(HEAD + "permit a when nope\n".repeat(500));
    assertThat(r.diagnostics()).hasSizeLessThanOrEqualTo(50);
    assertThat(r.render()).contains("… and ");
  }
}
