package dev.warden.policy.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * Properties of {@link RequestPaths#canonicalize} over hostile paths built from the pieces that
 * upstreams read differently: dots and their encodings and look-alikes, separators, escapes of
 * any byte, `;`, characters outside the BMP, combining marks, invisible characters. Whatever
 * is accepted is canonical in the documented sense, canonicalizing is idempotent, and the
 * canonical form does not depend on how the client spelled it.
 */
class CanonicalPathProperties {
  private static final List<String> PIECES = List.of(
      "a", "Z", "9", "-", "_", "~", ".", "..", "...", "!", "@", ":", "+", "=", "'", ";", "\\", "%", "?", "#", " ",
      "<", "|", "{", "%2e", "%2E", "%2e%2e", "%2f", "%2F", "%5c", "%25", "%252e", "%00", "%0a", "%3b", "%3B", "%3f",
      "%41", "%7e", "%c3%a9", "%C3", "%c0%ae", "%e0%80%ae", "%ed%a0%80", "%f0%9f%98%80", "%٢e", "%u002e", "é",
      "e\u0301", "．", "／", "＼", "‥", "∕", "⁄", "。", "😀", "𠀋", "\uD83D", "\uDE00", "\u200B", "\u202E", "\uFEFF",
      "ﬁ", "日", "ノ", "\u00A0", "\u0085", "\u0000", "\u007F", "/");

  @Provide
  Arbitrary<String> hostilePaths() {
    Arbitrary<String> piece = Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(3)),
        Tuple.of(3, Arbitraries.of(PIECES)),
        Tuple.of(1, Arbitraries.integers().between(0, 255).map(b -> String.format("%%%02X", b))),
        Tuple.of(1, Arbitraries.integers().between(0x20, 0x2FFFF).filter(Character::isValidCodePoint)
            .filter(cp -> cp < 0xD800 || cp > 0xDFFF).map(cp -> new String(Character.toChars(cp)))),
        Tuple.of(1, Arbitraries.strings().withCharRange('!', '~').ofMinLength(1).ofMaxLength(4)));
    Arbitrary<String> segment = piece.list().ofMinSize(0).ofMaxSize(4).map(l -> String.join("", l));
    return segment.list().ofMinSize(1).ofMaxSize(6).map(l -> "/" + String.join("/", l));
  }

  @Property(tries = 3000)
  void acceptedPathsAreCanonical(@ForAll("hostilePaths") String raw) {
    RequestPaths.Canonical c = RequestPaths.canonicalize(raw);
    Statistics.collect(c.ok() ? "accepted" : "refused");
    // Both outcomes must be common, or the property says little.
    Statistics.coverage(check -> {
      check.check("accepted").percentage(pct -> pct > 15);
      check.check("refused").percentage(pct -> pct > 15);
    });
    if (!c.ok()) {
      return;
    }
    String p = c.path();
    assertThat(p).startsWith("/");
    if (!p.equals("/")) {
      assertThat(p).doesNotEndWith("/");
      for (String segment : p.substring(1).split("/", -1)) {
        assertThat(segment).as("segment of %s", p).isNotEmpty().isNotEqualTo(".").isNotEqualTo("..");
        assertThat(segment.codePoints().allMatch(RequestPaths::allowed)).as("characters of `%s`", segment).isTrue();
        assertThat(Normalizer.isNormalized(segment, Normalizer.Form.NFKC)).as("NFKC of `%s`", segment).isTrue();
      }
    }
    // No escape, no separator look-alike, no path parameter survives.
    assertThat(p).doesNotContain("%").doesNotContain("\\").doesNotContain(";").doesNotContain("?").doesNotContain("#");
  }

  @Property(tries = 3000)
  void canonicalizingIsIdempotent(@ForAll("hostilePaths") String raw) {
    RequestPaths.Canonical c = RequestPaths.canonicalize(raw);
    if (c.ok()) {
      assertThat(RequestPaths.canonicalize(c.path())).isEqualTo(c);
      assertThat(RequestPaths.isCanonical(c.path()) || c.path().codePoints().anyMatch(cp -> cp >= 0x80)).isTrue();
    }
  }

  /**
   * Escaping the characters outside ASCII of a canonical path spells the same path; escaping an
   * ASCII one gets it refused, as raw-path and decoding routers would read different segments.
   */
  @Property(tries = 3000)
  void theCanonicalFormDoesNotDependOnTheSpelling(@ForAll("hostilePaths") String raw) {
    RequestPaths.Canonical c = RequestPaths.canonicalize(raw);
    if (!c.ok() || c.path().equals("/")) {
      return;
    }
    StringBuilder encoded = new StringBuilder();
    c.path().codePoints().forEach(cp -> {
      if (cp < 0x80) {
        encoded.append((char) cp);
      } else {
        for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
          encoded.append(String.format("%%%02x", b & 0xff));
        }
      }
    });
    assertThat(RequestPaths.canonicalize(encoded.toString())).isEqualTo(c);
    int ascii = c.path().indexOf('/', 1) < 0 ? c.path().length() - 1 : c.path().indexOf('/', 1) - 1;
    if (c.path().charAt(ascii) < 0x80) {
      String escaped = c.path().substring(0, ascii) + String.format("%%%02X", (int) c.path().charAt(ascii))
          + c.path().substring(ascii + 1);
      assertThat(RequestPaths.canonicalize(escaped).ok()).as(escaped).isFalse();
    }
  }

  /** The fast path says "already canonical" exactly when canonicalizing returns the path itself. */
  @Property(tries = 3000)
  void theFastPathAgreesWithTheFullWay(@ForAll("hostilePaths") String raw) {
    if (RequestPaths.isCanonical(raw)) {
      assertThat(RequestPaths.canonicalize(raw).path()).isEqualTo(raw);
    }
  }
}
