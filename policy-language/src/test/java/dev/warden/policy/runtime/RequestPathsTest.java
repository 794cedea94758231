package dev.warden.policy.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RequestPathsTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "/orders                 | /orders",
      "/                       | /",
      "/orders/                | /orders",
      "//admin                 | /admin",
      "/orders//7              | /orders/7",
      "/./orders/./7           | /orders/7",
      "/admin/../orders        | /orders",
      "/../../orders           | /orders",
      "/orders?x=1             | /orders",
      "/orders#frag            | /orders",
      "/orders?x=%zz           | /orders",
      "/Orders                 | /Orders",
      "/caf%C3%A9              | /café",
      "/café                   | /café",
      "/a/b/..                 | /a",
      "/files/😀%C3%A9         | /files/😀é",
      "/files/%F0%9F%98%80     | /files/😀",
      "/files/𠀋%E2%82%AC      | /files/𠀋€",
      "/a.b/c..d/.e/~f         | /a.b/c..d/.e/~f",
      "/a:b@c!$&'()*+,=        | /a:b@c!$&'()*+,=",
      "/日本語/ノ               | /日本語/ノ",
      "/price/€5               | /price/€5",
  })
  void canonicalizes(String raw, String expected) {
    RequestPaths.Canonical c = RequestPaths.canonicalize(raw);
    assertThat(c.ok()).as(c.error()).isTrue();
    assertThat(c.path()).isEqualTo(expected);
    assertThat(RequestPaths.canonicalize(c.path()).path()).as("idempotent").isEqualTo(c.path());
  }

  @ParameterizedTest(name = "{0} is refused: {1}")
  @CsvSource(delimiter = '|', value = {
      // Finding 1: hex digits are ASCII only.
      "/admin/users/%٢e%٢e/orders       | not a percent-escape",
      "/a/%۲e                           | not a percent-escape",
      "/a/%２e                          | not a percent-escape",
      "/a/%u002e%u002e                  | not a percent-escape",
      "/orders%zz                       | not a percent-escape",
      "/orders%                         | not a percent-escape",
      "/orders%4                        | not a percent-escape",
      // Invalid UTF-8: truncated, overlong, encoded surrogate, lone continuation byte.
      "/orders%c3                       | not valid UTF-8",
      "/a/%c0%ae%c0%ae                  | not valid UTF-8",
      "/a/%e0%80%ae                     | not valid UTF-8",
      "/a/%ed%a0%80                     | not valid UTF-8",
      "/a/%80                           | not valid UTF-8",
      "/a/%ff                           | not valid UTF-8",
      // Escaped ASCII: a raw-path router (Express) and a decoding one (Go, Spring) would read
      // different segments, so escapes are for text outside ASCII only.
      "/%2e%2e/admin                    | escaped ASCII character `%2e`",
      "/orders/%2E%2E/admin             | escaped ASCII character `%2E`",
      "/or%64ers                        | escaped ASCII character `%64`",
      "/customers/%6de                  | escaped ASCII character `%6d`",
      "/%7Euser                         | escaped ASCII character `%7E`",
      // Encoded separators and escapes that a second decoding would turn into something else.
      "/orders%2f7                      | encoded `/`",
      "/orders%2F7                      | encoded `/`",
      "/orders%5c7                      | encoded `\\`",
      "/static/%252e%252e/admin/users   | encoded `%`",
      "/a/%25zz                         | encoded `%`",
      "/a/%3f                           | encoded `?`",
      "/a/%23                           | encoded `#`",
      "/a/%3b/b                         | encoded `;`",
      // Finding 2: path parameters and look-alikes.
      "/static/..;/admin/users          | contains `;`",
      "/static/a;jsessionid=1           | contains `;`",
      "/static/．．/admin/users          | read as `.`",
      "/static/%EF%BC%8E%EF%BC%8E/admin | read as `.`",
      "/static/／admin                   | read as `/`",
      "/static/＼admin                   | read as `\\`",
      "/static/‥/admin                  | read as `..`",
      "/static/﹒/admin                  | read as `.`",
      "/static/a∕b                      | look-alikes",
      "/static/a⁄b                      | look-alikes",
      "/static/a∖b                      | look-alikes",
      "/static/a⧸b                      | look-alikes",
      "/static/a。b                     | look-alikes",
      "/static/a╱b                      | look-alikes",
      "/static/%C2%A5..%C2%A5admin      | code pages 932 and 949",
      "/static/₩admin                   | code pages 932 and 949",
      "/cafe%CC%81                      | NFKC",
      "/ﬁle                             | NFKC",
      // Controls, whitespace, invisible characters, raw `\`.
      "/orders%00                       | control character",
      "/orders%0d%0aSet-Cookie:x        | control character",
      "/orders%09                       | control character",
      "/a%c2%85                         | control character",
      "/admin%20                        | whitespace",
      "/admin%C2%A0                     | whitespace",
      "/a%E2%80%8Bb                     | formatting character",
      "/a%E2%80%AEb                     | formatting character",
      "/a%EF%BB%BFb                     | formatting character",
      "/a\\b                            | `\\`",
      "/a%ef%bf%bd                      | replacement character",
      "/a%ee%80%80                      | private use",
      "/a<b>                            | `<`",
      "/a\"b                            | `\"`",
      "/a{b}                            | `{`",
      "/a[b]                            | `[`",
      "/a^b                             | `^`",
      "/a`b                             | not allowed in a path segment",
      // `..` right after an empty segment: merging slashes first or not reads it differently.
      "/admin//../static/site.css       | after an empty segment",
      "//../admin                       | after an empty segment",
      "/a/b/..//..                      | after an empty segment",
      // Not a path at all.
      "orders                           | does not start",
      "*                                | does not start",
      "http://evil.example/admin        | does not start",
  })
  void refuses(String raw, String why) {
    RequestPaths.Canonical c = RequestPaths.canonicalize(raw);
    assertThat(c.ok()).as(raw + " -> " + c.path()).isFalse();
    assertThat(c.error()).contains(why);
  }

  @Test
  void refusesUnpairedSurrogatesLongPathsAndEmptyOnes() {
    assertThat(RequestPaths.canonicalize("/a\uD83Db").error()).contains("unpaired surrogate");
    assertThat(RequestPaths.canonicalize("/a\uDE00").error()).contains("unpaired surrogate");
    assertThat(RequestPaths.canonicalize("/" + "a".repeat(RequestPaths.MAX_LENGTH)).error()).contains("longer than");
    assertThat(RequestPaths.canonicalize("/a\u0001b").error()).contains("control character");
    assertThat(RequestPaths.canonicalize("").error()).isEqualTo("empty path");
    // The limit is on the path: a long query does not count against it.
    assertThat(RequestPaths.canonicalize("/a?" + "q".repeat(RequestPaths.MAX_LENGTH)).ok()).isTrue();
  }

  @ParameterizedTest(name = "strip: {0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "/static/..;/admin/users         | /admin/users",
      "/orders;jsessionid=abc/7        | /orders/7",
      "/a;x=1/b;y                      | /a/b",
      "/;x/admin                       | /admin",
  })
  void stripsPathParametersTheWayTomcatDoes(String raw, String expected) {
    RequestPaths.Canonical c = RequestPaths.canonicalize(raw, RequestRules.PathParameters.STRIP);
    assertThat(c.ok()).as(c.error()).isTrue();
    assertThat(c.path()).isEqualTo(expected);
  }

  @Test
  void refusesAVerticalBar() {
    assertThat(RequestPaths.canonicalize("/a|b").error()).contains("`|`");
    assertThat(RequestPaths.canonicalize("/a%7Cb").error()).contains("`|`");
  }

  @Test
  void stripModeStillRefusesAnEncodedSemicolon() {
    assertThat(RequestPaths.canonicalize("/a%3Bb", RequestRules.PathParameters.STRIP).error()).contains("encoded `;`");
  }

  @Test
  void fastPathAgreesWithFullCanonicalization() {
    for (String p : new String[] {"/orders/7", "/a/b/c", "/", "/a.b/c..d/.e", "/a:b@c"}) {
      assertThat(RequestPaths.isCanonical(p)).as(p).isTrue();
      assertThat(RequestPaths.canonicalize(p).path()).isEqualTo(p);
    }
    for (String p : new String[] {"/a/", "/a//b", "/a/./b", "/a/../b", "/a%41", "/café", "/a;b", "/a b", "/a\\b"}) {
      assertThat(RequestPaths.isCanonical(p)).as(p).isFalse();
    }
  }

  @Test
  void segmentsOfTheDecideApiAreCheckedAlike() {
    assertThat(RequestPaths.segmentError("alice")).isNull();
    assertThat(RequestPaths.segmentError("café")).isNull();
    assertThat(RequestPaths.segmentError("me")).isNull();
    assertThat(RequestPaths.segmentError("")).contains("empty");
    assertThat(RequestPaths.segmentError(".")).contains("dot segment");
    assertThat(RequestPaths.segmentError("..")).contains("dot segment");
    assertThat(RequestPaths.segmentError("alice?x=1")).contains("encoded `?`");
    assertThat(RequestPaths.segmentError("alice#bob")).contains("encoded `#`");
    assertThat(RequestPaths.segmentError("%61lice")).contains("encoded `%`");
    assertThat(RequestPaths.segmentError("a/b")).contains("encoded `/`");
  }
}
