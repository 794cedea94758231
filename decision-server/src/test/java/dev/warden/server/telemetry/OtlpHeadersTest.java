package dev.warden.server.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OTLP headers file: `Name: value` lines; every error names the key, file and line, never a value. */
class OtlpHeadersTest {
  @TempDir Path dir;

  private Path file(String text) throws Exception {
    return Files.writeString(dir.resolve("headers"), text);
  }

  @Test
  void readsNamesLowerCasedInOrderSkippingCommentsAndBlankLines() throws Exception {
    assertThat(OtlpHeaders.read("k", file("# token\nAuthorization: Bearer a:b\n\n  X-Tenant :  blue \n")))
        .containsExactly(Map.entry("authorization", "Bearer a:b"), Map.entry("x-tenant", "blue"));
    assertThat(OtlpHeaders.read("k", null)).isEmpty();
  }

  @Test
  void aWrongLineIsLocatedAndNoValueIsEchoed() throws Exception {
    assertThatThrownBy(() -> OtlpHeaders.read("tracing.headers_file", file("\nBearer s3cret\n")))
        .hasMessageContaining("`tracing.headers_file`").hasMessageContaining("line 2: expected `Name: value`")
        .hasMessageNotContaining("s3cret");
    assertThatThrownBy(() -> OtlpHeaders.read("k", file("bad name: s3cret\n")))
        .hasMessageContaining("line 1: `bad name` is not a header name").hasMessageNotContaining("s3cret");
    assertThatThrownBy(() -> OtlpHeaders.read("k", file("a: s3cret\nA: other\n")))
        .hasMessageContaining("line 2: `a` is given twice").hasMessageNotContaining("s3cret");
    assertThatThrownBy(() -> OtlpHeaders.read("k", file("a:\n")))
        .hasMessageContaining("line 1: the value of `a` is empty");
    assertThatThrownBy(() -> OtlpHeaders.read("k", file("a: x\u0001y\n")))
        .hasMessageContaining("holds control characters").hasMessageNotContaining("x\u0001y");
  }

  @Test
  void aMissingFileIsNamed() {
    Path missing = dir.resolve("nope");
    assertThatThrownBy(() -> OtlpHeaders.read("decision_log.otlp.headers_file", missing))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cannot read `decision_log.otlp.headers_file` `" + missing + "`: no such file");
  }
}
