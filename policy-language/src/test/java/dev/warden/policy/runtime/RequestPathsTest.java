package dev.warden.policy.runtime;

import static org.assertj.core.api.Assertions.assertThat;

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
      "/%2e%2e/admin           | /admin",
      "/orders/%2E%2E/admin    | /admin",
      "/or%64ers               | /orders",
      "/orders?x=1             | /orders",
      "/orders#frag            | /orders",
      "/Orders                 | /Orders",
      "/caf%C3%A9              | /café",
      "/a/b/..                 | /a",
  })
  void normalizes(String raw, String expected) {
    RequestPaths.Normalized n = RequestPaths.normalize(raw);
    assertThat(n.ok()).as(n.error()).isTrue();
    assertThat(n.path()).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} is rejected")
  @CsvSource(delimiter = '|', value = {
      "/orders%2f7             | percent-encoding",
      "/orders%2F7             | percent-encoding",
      "/orders%5c7             | percent-encoding",
      "/orders%00              | percent-encoding",
      "/orders%zz              | percent-encoding",
      "/orders%                | percent-encoding",
      "/orders%c3              | percent-encoding",
      "/a\\b                   | `\\`",
      "orders                  | does not start",
  })
  void rejects(String raw, String why) {
    RequestPaths.Normalized n = RequestPaths.normalize(raw);
    assertThat(n.ok()).isFalse();
    assertThat(n.error()).contains(why);
  }

  @org.junit.jupiter.api.Test
  void rejectsOverlongAndControlCharacters() {
    assertThat(RequestPaths.normalize("/" + "a".repeat(RequestPaths.MAX_LENGTH)).error()).contains("longer than");
    assertThat(RequestPaths.normalize("/a\u0001b").error()).contains("control character");
    assertThat(RequestPaths.normalize("").error()).isEqualTo("empty path");
  }

  @org.junit.jupiter.api.Test
  void fastPathAgreesWithFullNormalization() {
    for (String p : new String[] {"/orders/7", "/a/b/c", "/", "/a.b/c..d/.e"}) {
      assertThat(RequestPaths.isNormal(p)).as(p).isTrue();
      assertThat(RequestPaths.normalize(p).path()).isEqualTo(p);
    }
    for (String p : new String[] {"/a/", "/a//b", "/a/./b", "/a/../b", "/a%41"}) {
      assertThat(RequestPaths.isNormal(p)).as(p).isFalse();
    }
  }
}
