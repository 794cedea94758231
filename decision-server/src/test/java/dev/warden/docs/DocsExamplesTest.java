package dev.warden.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.cli.WardenCli;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Keeps the documentation true: every complete policy in docs/language.md compiles and passes its
 * tests, and every example in docs/errors.md prints exactly the output the page shows.
 */
class DocsExamplesTest {
  static final Path DOCS = Path.of("..", "docs");
  private static final Pattern WARDEN_BLOCK =
      Pattern.compile("((?:<!--[^\\n]*-->\\n)*)```warden\\n(.*?)```", Pattern.DOTALL);
  private static final Pattern FILE_COMMENT = Pattern.compile("<!-- file (\\S+): (.*?) -->");
  private static final Pattern ERROR_SECTION = Pattern.compile("(?m)^### `([a-z_.]+)`$");
  private static final Pattern SHOWN_FILE = Pattern.compile("(?m)^`([^`]+)`:\\n\\n```[a-z]+\\n(.*?)```", Pattern.DOTALL);
  private static final Pattern OUTPUT = Pattern.compile("```text\\n\\$ warden check \\.\\n(.*?)```", Pattern.DOTALL);

  @TempDir Path dir;

  static Stream<Arguments> languageExamples() throws IOException {
    String md = Files.readString(DOCS.resolve("language.md"));
    List<Arguments> out = new ArrayList<>();
    Matcher m = WARDEN_BLOCK.matcher(md);
    while (m.find()) {
      String code = m.group(2);
      if (!code.matches("(?s)\\s*(//[^\\n]*\\n\\s*)*package\\s.*")) {
        continue;
      }
      int line = md.substring(0, m.start(2)).split("\n", -1).length;
      Map<String, String> files = new LinkedHashMap<>();
      files.put("example.warden", code);
      Matcher f = FILE_COMMENT.matcher(m.group(1));
      while (f.find()) {
        files.put(f.group(1), f.group(2).replace("\\n", "\n") + "\n");
      }
      String expect = m.group(1).contains("<!-- expect: error -->") ? "error"
          : m.group(1).contains("<!-- expect: warning -->") ? "warning" : "ok";
      out.add(Arguments.of("language.md:" + line, files, expect));
    }
    assertThat(out).as("language.md has complete examples").hasSizeGreaterThan(5);
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("languageExamples")
  void languageExampleCompilesAndPasses(String where, Map<String, String> files, String expect) throws IOException {
    write(files);
    Run r = run("test", dir.toString(), "--time", "2026-01-01T00:00:00Z");
    switch (expect) {
      case "error" -> assertThat(r.exit).as(where + "\n" + r.text).isEqualTo(WardenCli.POLICY_ERRORS);
      case "warning" -> assertThat(r.text).as(where).contains("warning[");
      default -> {
        assertThat(r.exit).as(where + "\n" + r.text).isZero();
        assertThat(r.text).as(where).doesNotContain("warning[");
      }
    }
  }

  static Stream<Arguments> errorExamples() throws IOException {
    String md = Files.readString(DOCS.resolve("errors.md"));
    List<Arguments> out = new ArrayList<>();
    Matcher s = ERROR_SECTION.matcher(md);
    List<int[]> bounds = new ArrayList<>();
    List<String> codes = new ArrayList<>();
    while (s.find()) {
      bounds.add(new int[] {s.start()});
      codes.add(s.group(1));
    }
    for (int i = 0; i < bounds.size(); i++) {
      String section = md.substring(bounds.get(i)[0], i + 1 < bounds.size() ? bounds.get(i + 1)[0] : md.length());
      Matcher o = OUTPUT.matcher(section);
      int example = 0;
      int from = 0;
      while (o.find()) {
        Map<String, String> files = new LinkedHashMap<>();
        Matcher f = SHOWN_FILE.matcher(section.substring(from, o.start()));
        while (f.find()) {
          files.put(f.group(1), f.group(2));
        }
        example++;
        out.add(Arguments.of(codes.get(i) + (example == 1 ? "" : " #" + example), codes.get(i), files, o.group(1)));
        from = o.end();
      }
    }
    assertThat(out).as("errors.md has examples").hasSizeGreaterThan(40);
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("errorExamples")
  void errorExamplePrintsWhatThePageShows(String name, String code, Map<String, String> files, String shown)
      throws IOException {
    assertThat(shown).as(name).contains("[" + code + "]");
    if (files.isEmpty()) {
      // The input is generated (a 1 MiB file, 200,000 tokens) and described, not shown.
      return;
    }
    write(files);
    Run r = run("check", dir.toString());
    String actual = r.text.replace(dir.toString(), ".");
    assertThat(actual.strip()).as(name).isEqualTo(shown.strip());
  }

  private void write(Map<String, String> files) throws IOException {
    for (Map.Entry<String, String> e : files.entrySet()) {
      Path p = dir.resolve(e.getKey());
      Files.createDirectories(p.getParent());
      Files.writeString(p, e.getValue());
    }
  }

  record Run(int exit, String text) {}

  static Run run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream both = new PrintStream(buf, true, StandardCharsets.UTF_8);
    try {
      System.setOut(both);
      System.setErr(both);
      int exit = WardenCli.run(args);
      return new Run(exit, buf.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }
}
