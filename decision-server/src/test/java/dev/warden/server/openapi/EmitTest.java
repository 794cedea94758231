package dev.warden.server.openapi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.source.Bundle;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class EmitTest {
  static CompileResult compile(String policy) {
    return BundleCompiler.standard().upTo(BundleCompiler.LINT).compile(Bundle.of(Map.of("p.warden", policy)), System::nanoTime);
  }

  static boolean wellFormed(String s) {
    return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8).equals(s);
  }

  @Test
  void quotesEscapeWhatWouldEndOrBreakTheLiteral() {
    assertThat(Emit.quote("GitHub's \"REST\" API\\v3\n")).isEqualTo("\"GitHub's \\\"REST\\\" API\\\\v3\\n\"");
    assertThat(Emit.quote("\u0001\u2028")).isEqualTo("\"\\u0001\\u2028\"");
    assertThat(Emit.comment("two\nlines\r\n")).isEqualTo("two lines");
    assertThat(Emit.field("per_page")).isEqualTo("per_page");
    assertThat(Emit.field("x-trace-id")).isEqualTo("\"x-trace-id\"");
    assertThat(Emit.field("since")).isEqualTo("\"since\"");
  }

  /** Any title and owner a spec has reach `warden routes` exactly as the spec wrote them. */
  @Property(tries = 200)
  void anyTitleRoundTripsThroughTheCompiler(@ForAll String title) {
    Assume.that(wellFormed(title));
    CompileResult r = compile("package p\napi " + Emit.quote(title) + " owner " + Emit.quote(title)
        + " {\n  route r GET /x\n}\n");
    assertThat(r.errors()).as(r.render()).isEmpty();
    assertThat(r.checked().routes().get(0).api()).isEqualTo(title);
    assertThat(r.checked().routes().get(0).owner()).isEqualTo(title);
  }

  /** Any text in a generated comment stays in the comment. */
  @Property(tries = 200)
  void anyCommentStaysOnItsLine(@ForAll String text) {
    Assume.that(wellFormed(text));
    CompileResult r = compile("package p\napi \"t\" {\n  route r GET /x  // " + Emit.comment(text) + "\n  // "
        + Emit.comment(text) + "\n}\n");
    assertThat(r.errors()).as(r.render()).isEmpty();
    assertThat(r.checked().routes()).hasSize(1);
  }
}
