package dev.warden.policy.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestBodyTest {
  static RequestBody bytes(String s, String contentType) {
    return RequestBody.ofBytes(ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)), contentType, false);
  }

  @Test
  void parsesJsonIntoThePolicysValues() {
    RequestBody body = bytes("{\"item\":\"book\",\"qty\":2,\"price\":9.5,\"gift\":false,\"note\":null,"
        + "\"tags\":[\"a\",1],\"big\":123456789012345678901234}", "application/json; charset=utf-8");
    assertThat(body.mediaType()).isEqualTo("application/json");
    assertThat(body.isJson()).isTrue();
    RequestBody.Parsed p = body.json();
    assertThat(p.ok()).isTrue();
    @SuppressWarnings("unchecked")
    Map<String, Object> v = (Map<String, Object>) p.value();
    assertThat(v).containsEntry("item", "book").containsEntry("qty", 2L).containsEntry("gift", false)
        .containsEntry("note", null).containsEntry("tags", List.of("a", 1L));
    assertThat((BigDecimal) v.get("price")).isEqualByComparingTo("9.5");
    assertThat((BigDecimal) v.get("big")).isEqualByComparingTo("123456789012345678901234");
    assertThat(v.keySet()).containsExactly("item", "qty", "price", "gift", "note", "tags", "big");
  }

  @Test
  void parsesOnceOnFirstUseAndTextAndBytesAgree() {
    RequestBody body = RequestBody.ofText("[1,2]", "application/vnd.api+json", false);
    assertThat(body.isJson()).isTrue();
    assertThat(body.json()).isSameAs(body.json());
    assertThat(body.json().value()).isEqualTo(List.of(1L, 2L));
    assertThat(bytes("[1,2]", null).json()).isEqualTo(body.json());
    assertThat(bytes("[1,2]", null).mediaType()).isEmpty();
    assertThat(body.size()).isEqualTo(5);
  }

  @Test
  void readsFromTheMiddleOfABufferWithoutCopyingOrChangingIt() {
    ByteBuffer whole = ByteBuffer.wrap("xx{\"a\":1}yy".getBytes(StandardCharsets.UTF_8));
    whole.position(2).limit(9);
    RequestBody body = RequestBody.ofBytes(whole.slice(), "application/json", false);
    assertThat(body.json().value()).isEqualTo(Map.of("a", 1L));
    assertThat(body.size()).isEqualTo(7);
    assertThat(body.text()).isEqualTo("{\"a\":1}");
    ByteBuffer direct = ByteBuffer.allocateDirect(7).put("{\"b\":2}".getBytes(StandardCharsets.UTF_8)).flip();
    assertThat(RequestBody.ofBytes(direct, "application/json", false).json().value()).isEqualTo(Map.of("b", 2L));
  }

  @Test
  void badBodiesAreErrorsNotExceptions() {
    assertThat(bytes("{\"a\":", "application/json").json().error()).startsWith("the body is not valid JSON");
    assertThat(bytes("{\"a\":1}{}", "application/json").json().error()).contains("more after its JSON value");
    assertThat(bytes("", "application/json").json().error()).isEqualTo("the body is empty");
    // Two values for one field: which one a backend would use is anyone's guess, so neither is taken.
    assertThat(bytes("{\"role\":\"user\",\"role\":\"admin\"}", "application/json").json().error())
        .contains("Duplicate field 'role'");
    RequestBody truncated = RequestBody.ofText("{\"a\":1}", "application/json", true);
    assertThat(truncated.truncated()).isTrue();
    assertThat(truncated.json().ok()).isFalse();
    assertThat(truncated.json().error()).contains("truncated");
  }

  @Test
  void nestingIsBoundedWithoutOverflowingTheStack() {
    String ok = "[".repeat(RequestBody.MAX_DEPTH) + "]".repeat(RequestBody.MAX_DEPTH);
    assertThat(bytes(ok, "application/json").json().ok()).isTrue();
    String deep = "[".repeat(200_000) + "]".repeat(200_000);
    RequestBody.Parsed p = bytes(deep, "application/json").json();
    assertThat(p.ok()).isFalse();
    assertThat(p.error()).contains("nesting depth");
  }

  @Test
  void formBodiesAreFieldsWithTheirValuesInOrder() {
    RequestBody body = RequestBody.ofText("item=book&tag=a&tag=b+c&note=%E2%9C%93", "Application/X-WWW-Form-Urlencoded", false);
    assertThat(body.isForm()).isTrue();
    assertThat(body.isJson()).isFalse();
    assertThat(body.form().values()).containsEntry("item", List.of("book")).containsEntry("tag", List.of("a", "b c"))
        .containsEntry("note", List.of("✓"));
    assertThat(body.form()).isSameAs(body.form());
  }

  @Test
  void formBodiesAreDecodedStrictly() {
    assertThat(RequestBody.ofText("a=%zz", "application/x-www-form-urlencoded", false).form().error())
        .contains("not a percent-escape");
    assertThat(RequestBody.ofText("a=%c0%ae", "application/x-www-form-urlencoded", false).form().error())
        .contains("not valid UTF-8");
    assertThat(RequestBody.ofText("a=1&b=2", "application/x-www-form-urlencoded", true).form().error())
        .contains("truncated");
  }
}
