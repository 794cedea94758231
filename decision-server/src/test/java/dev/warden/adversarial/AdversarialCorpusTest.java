package dev.warden.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The corpus itself, without a server: that it covers what it is for, and that no case is
 * malformed in a way that would make it check less than it says (a name used twice, a typo'd
 * caller, an expectation with nothing to compare).
 */
class AdversarialCorpusTest {
  private static final List<Corpus.Case> CASES = Corpus.load();
  /** `\u002e` as text: a YAML string in single quotes or plain, where an escape was meant. */
  private static final Pattern UNDECODED_ESCAPE = Pattern.compile("\\\\u[0-9a-fA-F]{4}");

  @Test
  void coversEveryInputClassAndTheFindings() {
    assertThat(CASES).hasSizeGreaterThanOrEqualTo(120);
    assertThat(CASES.stream().map(Corpus.Case::kind).collect(Collectors.toSet()))
        .containsExactlyInAnyOrderElementsOf(Corpus.CLASSES);
    assertThat(CASES.stream().map(Corpus.Case::finding).filter(Objects::nonNull).collect(Collectors.toSet()))
        .contains(1, 2, 3, 4, 5, 6, 7, 10);
  }

  @Test
  void everyCaseNameIsUnique() {
    Set<String> seen = new HashSet<>();
    List<String> repeated = CASES.stream().map(Corpus.Case::name).filter(n -> !seen.add(n)).toList();
    assertThat(repeated).isEmpty();
  }

  @Test
  void everyCaseIsWellFormed() {
    for (Corpus.Case c : CASES) {
      String at = "case `" + c.name() + "`";
      assertThat(c.name()).as("a case without a name").isNotBlank();
      assertThat(Corpus.CLASSES).as("%s: class", at).contains(c.kind());
      if (c.finding() != null) {
        assertThat(c.finding()).as("%s: finding", at).isBetween(1, 10);
      }
      assertThat(c.expect()).as("%s: expect", at).isNotNull();
      assertThat(c.isDecide()).as("%s: a decide case has `decide`, any other `request`, never both", at)
          .isEqualTo(c.kind().equals("decide")).isEqualTo(c.request() == null);
      if (c.isDecide()) {
        assertThat(c.expect().status() != null || c.expect().invalidArgument() != null)
            .as("%s: expects a status or invalid_argument", at).isTrue();
        assertThat(c.decide().route() != null || c.decide().path() != null || c.decide().method() != null
            || c.expect().invalidArgument() != null).as("%s: a route or an http target", at).isTrue();
        assertThat(Callers.isKnown(c.decide().as())).as("%s: caller `%s`", at, c.decide().as()).isTrue();
      } else {
        assertThat(c.expect().status() != null || c.expect().allowed() != null)
            .as("%s: expects a status (or, for a denial whose status is not the point, allowed: false)", at).isTrue();
        assertThat(c.expect().invalidArgument()).as("%s: invalid_argument is for decide cases", at).isNull();
        assertThat(Callers.isKnown(c.request().as())).as("%s: caller `%s`", at, c.request().as()).isTrue();
        if (c.request().forgedToken() != null) {
          assertThat(ForgedTokens.KINDS).as("%s: forged_token", at).contains(c.request().forgedToken());
        }
        assertThat(c.request().path()).as("%s: path", at).isNotNull();
        assertThat(UNDECODED_ESCAPE.matcher(c.request().path()).find())
            .as("%s: path `%s` holds an escape as text; write it in double quotes", at, c.request().path()).isFalse();
      }
      if (c.knownFailing() != null) {
        assertThat(c.knownFailing()).as("%s: known_failing says why", at).isNotBlank();
      }
    }
  }

  /** YAML double-quoted escapes reach the request as the characters they stand for. */
  @Test
  void escapesInTheCorpusAreDecoded() {
    assertThat(path("static-nul-raw")).contains("\u0000");
    assertThat(path("static-crlf-raw")).contains("\r\n");
    assertThat(path("static-non-bmp-then-escape")).isEqualTo("/static/\uD83D\uDE00%C3%A9");
  }

  private static String path(String name) {
    return CASES.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow().request().path();
  }
}
