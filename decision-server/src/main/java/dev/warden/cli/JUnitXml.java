package dev.warden.cli;

import dev.warden.policy.testing.TestOutcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Writes policy test outcomes as JUnit XML, the format CI systems read. */
final class JUnitXml {
  private JUnitXml() {}

  static void write(Path file, String suite, List<TestOutcome> outcomes, List<Long> nanos) throws IOException {
    long failures = outcomes.stream().filter(o -> !o.passed()).count();
    double total = nanos.stream().mapToLong(Long::longValue).sum() / 1e9;
    StringBuilder b = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    b.append(String.format(Locale.ROOT, "<testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" time=\"%.6f\">%n",
        escape(suite), outcomes.size(), failures, total));
    for (int i = 0; i < outcomes.size(); i++) {
      TestOutcome o = outcomes.get(i);
      b.append(String.format(Locale.ROOT, "  <testcase classname=\"%s\" name=\"%s\" time=\"%.6f\"",
          escape(o.location()), escape(o.name()), nanos.get(i) / 1e9));
      if (o.passed()) {
        b.append("/>\n");
      } else {
        b.append(">\n    <failure message=\"").append(escape(o.failure())).append("\"/>\n  </testcase>\n");
      }
    }
    b.append("</testsuite>\n");
    Files.writeString(file, b.toString(), StandardCharsets.UTF_8);
  }

  static String escape(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        default -> b.append(c < 0x20 && c != '\n' && c != '\t' ? ' ' : c);
      }
    }
    return b.toString();
  }
}
