package dev.warden.policy.check;

import static dev.warden.policy.support.Bundles.codes;
import static dev.warden.policy.support.Bundles.compile;
import static dev.warden.policy.support.Bundles.program;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.compile.Program;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.runtime.LogRedaction;
import dev.warden.policy.runtime.LogRedaction.Action;
import dev.warden.policy.runtime.LogRedaction.Field;
import dev.warden.policy.support.Bundles;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * `redact log { … }`: what parses, what the checker refuses with which code, and the list of
 * (field, name, action) the compiled program hands the sidecar. Wording is pinned by the goldens.
 */
class RedactLogTest {
  static final String HEAD = Bundles.SHOP_PRINCIPAL + """
      api "Orders" { route list GET /orders }
      role customer { allow list }
      """;

  private static List<LogRedaction> redactions(String block) {
    return program(HEAD + block).logRedactions();
  }

  private static LogRedaction r(Field field, String name, Action action) {
    return new LogRedaction(field, name, action, null);
  }

  /** The redactions without their locations, which the tests below do not pin. */
  private static List<LogRedaction> plain(List<LogRedaction> rs) {
    return rs.stream().map(x -> r(x.field(), x.name(), x.action())).toList();
  }

  @Test
  void everyActionAndEveryFieldCompileInTheOrderWritten() {
    List<LogRedaction> rs = redactions("""
        redact log {
          request.headers.x-user-email hash
          request.headers["x-card"] last4,
          request.query.email mask, principal.claims.email remove
          request.headers.x-b3-traceid
        }
        """);
    assertThat(plain(rs)).containsExactly(
        r(Field.HEADER, "x-user-email", Action.HASH),
        r(Field.HEADER, "x-card", Action.LAST4),
        r(Field.QUERY, "email", Action.MASK),
        r(Field.CLAIM, "email", Action.REMOVE),
        r(Field.HEADER, "x-b3-traceid", Action.MASK));
    assertThat(rs.get(0).location()).isEqualTo("p.warden:12");
    assertThat(rs.get(0).path()).isEqualTo("request.headers.x-user-email");
  }

  @Test
  void namesAreKeptAsTheSidecarComparesThem() {
    List<LogRedaction> rs = redactions("""
        redact log { request.headers.X-User-Email, request.query.E_Mail hash, principal.claims.eMail,
          request.query["e mail"] }
        """);
    assertThat(plain(rs)).containsExactly(
        r(Field.HEADER, "x-user-email", Action.MASK),
        r(Field.QUERY, "e_mail", Action.HASH),
        r(Field.CLAIM, "eMail", Action.MASK),
        r(Field.QUERY, "e mail", Action.MASK));
  }

  @Test
  void severalBlocksInSeveralFilesMerge() {
    Program p = program(HEAD + "redact log { request.headers.a }\nredact log { request.headers.b hash }\n",
        "q.warden", "package other\nredact log { request.query.c remove }\n");
    assertThat(plain(p.logRedactions())).containsExactly(
        r(Field.HEADER, "a", Action.MASK), r(Field.HEADER, "b", Action.HASH), r(Field.QUERY, "c", Action.REMOVE));
    assertThatThrownBy(() -> p.logRedactions().add(r(Field.HEADER, "d", Action.MASK)))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void aBundleWithoutRedactLogHasNone() {
    assertThat(program(HEAD).logRedactions()).isEmpty();
    assertThat(redactions("redact log { }")).isEmpty();
  }

  @Test
  void theSameEntryTwiceWithOneActionIsAWarningAndKeptOnce() {
    CompileResult result = compile(HEAD + "redact log { request.headers.x-a hash }\nredact log { request.headers.X-A hash }");
    assertThat(result.ok()).isTrue();
    assertThat(codes(result)).containsExactly("check.duplicate_redaction");
    assertThat(result.diagnostics().get(0).severity()).isEqualTo(dev.warden.policy.diag.Severity.WARNING);
    assertThat(result.programOrThrow().logRedactions()).hasSize(1);
  }

  @Test
  void theSameEntryWithTwoActionsIsAnError() {
    CompileResult result = compile(HEAD + "redact log { request.query.email hash, request.query.EMAIL mask }");
    assertThat(result.ok()).isFalse();
    assertThat(codes(result)).containsExactly("check.bad_redaction");
    assertThat(result.diagnostics().get(0).message()).contains("`request.query.email` is redacted twice");
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("reqest.headers.x", "check.unknown_name", "did you mean `request`?"),
        Arguments.of("request.header.x", "check.unknown_field", "did you mean `request.headers`?"),
        Arguments.of("request.quey.x", "check.unknown_field", "did you mean `request.query`?"),
        Arguments.of("principal.claim.email", "check.unknown_field", "did you mean `principal.claims`?"),
        Arguments.of("request.method", "check.bad_redaction", "`redact log` takes"),
        Arguments.of("principal.id hash", "check.bad_redaction", "`redact log` takes"),
        Arguments.of("request", "check.bad_redaction", "`redact log` takes"),
        Arguments.of("request.headers", "check.bad_redaction", "such as `request.headers.x-user-email`"),
        Arguments.of("request.headers.a.b", "check.bad_redaction", "one header"),
        Arguments.of("principal.claims.address.street", "check.bad_redaction", "the whole claim"),
        Arguments.of("request.headers[\"x y\"]", "check.bad_redaction", "header names are ASCII"),
        Arguments.of("request.query[\"\"]", "check.bad_redaction", "such as `request.query.email`"),
        Arguments.of("request.headers.x erase", "check.bad_redaction",
            "the actions are `mask` (the default), `remove`, `hash` and `last4`"),
        Arguments.of("request.headers.x hsah", "check.bad_redaction", "did you mean `hash`?"),
        Arguments.of("request.headers.x - user", "parse.unexpected_token", "`[\"x-user\"]`"),
        Arguments.of("request.headers.x hash hash", "check.bad_redaction", "an action follows the path"),
        Arguments.of("request.headers.x $", "parse.bad_character", ""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void refusedEntriesAreLocatedWithAHint(String entry, String code, String help) {
    CompileResult result = compile(HEAD + "redact log {\n  " + entry + "\n}\n");
    assertThat(result.ok()).as(result.render()).isFalse();
    Diagnostic d = result.diagnostics().stream().filter(x -> x.code().equals(code)).findFirst().orElseThrow(
        () -> new AssertionError("no " + code + " in\n" + result.render()));
    assertThat(d.span().line()).isEqualTo(HEAD.split("\n").length + 2);
    assertThat(d.help() == null ? "" : d.help()).contains(help);
  }

  @Test
  void redactFollowedByAnythingButLogStaysReserved() {
    CompileResult result = compile(HEAD + "redact list response { $.customer.email mask }\n"
        + "redact log { request.headers.x-user-email hash }\n");
    assertThat(codes(result)).containsExactly("check.not_supported");
    assertThat(result.diagnostics().get(0).message()).isEqualTo("`redact` is not supported yet");
  }

  @Test
  void logStaysAFreeName() {
    Program p = program(HEAD.replace("route list GET /orders", "route list GET /orders\n  route log GET /log")
        .replace("allow list", "allow list, log"));
    assertThat(p.hasRoute("shop.log")).isTrue();
  }
}
