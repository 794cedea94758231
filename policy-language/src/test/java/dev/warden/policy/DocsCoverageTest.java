package dev.warden.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every diagnostic code in the sources is documented in `docs/errors.md`, so that a new code
 * without documentation fails the build.
 */
class DocsCoverageTest {
  private static final Pattern CODE = Pattern.compile("\"((?:parse|check|data|test|bundle)\\.[a-z_]+)\"");
  /** `source.` also starts request fields (`source.ip`): only a diagnostic's own code counts. */
  private static final Pattern SOURCE_CODE = Pattern.compile("Diagnostic\\.(?:error|warning)\\(\"(source\\.[a-z_]+)\"");
  private static final Path SOURCES = Path.of("src/main/java");
  private static final Path ERRORS = Path.of("../docs/errors.md");

  @Test
  void everyDiagnosticCodeIsDocumented() throws IOException {
    Set<String> codes = codesIn(SOURCES);
    assertThat(codes).as("diagnostic codes found in %s", SOURCES.toAbsolutePath()).isNotEmpty();
    String docs = Files.readString(ERRORS, StandardCharsets.UTF_8);
    List<String> missing = codes.stream().filter(code -> !docs.contains("`" + code + "`")).toList();
    assertThat(missing).as("codes missing from %s", ERRORS).isEmpty();
  }

  private static Set<String> codesIn(Path root) throws IOException {
    Set<String> codes = new TreeSet<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        for (Pattern p : List.of(CODE, SOURCE_CODE)) {
          Matcher m = p.matcher(text);
          while (m.find()) {
            codes.add(m.group(1));
          }
        }
      }
    }
    return codes;
  }
}
