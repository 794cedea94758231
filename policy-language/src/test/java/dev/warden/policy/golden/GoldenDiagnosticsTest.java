package dev.warden.policy.golden;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.source.Bundle;
import dev.warden.policy.bundle.BundleCompiler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Compiles every `golden/NAME.warden` case (with the files under `golden/NAME/`, if any) and
 * compares the rendered diagnostics with `golden/NAME.expected`. Run with
 * `-Dgolden.update=true` to rewrite the expected files, then review the diff as a user would.
 */
class GoldenDiagnosticsTest {
  static final Path DIR = Path.of("src/test/resources/golden");
  private static final boolean UPDATE = Boolean.getBoolean("golden.update");

  static Stream<String> cases() throws IOException {
    try (Stream<Path> files = Files.list(DIR)) {
      return files.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".warden"))
          .map(n -> n.substring(0, n.length() - ".warden".length()))
          .sorted()
          .toList()
          .stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void rendersAsExpected(String name) throws IOException {
    String actual = new BundleCompiler().compile(bundleOf(name)).render();
    Path expectedFile = DIR.resolve(name + ".expected");
    if (UPDATE) {
      Files.writeString(expectedFile, actual, StandardCharsets.UTF_8);
    }
    assertThat(expectedFile).as("missing %s; run with -Dgolden.update=true", expectedFile).exists();
    assertThat(actual).isEqualTo(Files.readString(expectedFile, StandardCharsets.UTF_8));
  }

  @Test
  void everyCaseHasDiagnostics() throws IOException {
    for (String name : cases().toList()) {
      assertThat(Files.readString(DIR.resolve(name + ".expected")))
          .as("case %s exists to show a diagnostic", name)
          .isNotBlank();
    }
  }

  /**
   * The case's policy as `NAME.warden`, plus every file under `NAME/` at its relative path, as
   * bytes: a case may hold a file that is not UTF-8.
   */
  static Bundle bundleOf(String name) throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    files.put(name + ".warden", Files.readAllBytes(DIR.resolve(name + ".warden")));
    Path extra = DIR.resolve(name);
    if (Files.isDirectory(extra)) {
      try (Stream<Path> walk = Files.walk(extra)) {
        walk.filter(Files::isRegularFile).forEach(p -> {
          try {
            files.put(extra.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
      }
    }
    return Bundle.ofBytes(files);
  }
}
