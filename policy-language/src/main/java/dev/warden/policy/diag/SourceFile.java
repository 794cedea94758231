package dev.warden.policy.diag;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The text of one policy file and its name as shown in diagnostics (a bundle-relative path). */
public final class SourceFile {
  private final String name;
  private final String text;
  private final int[] lineStarts;

  public SourceFile(String name, String text) {
    this.name = Objects.requireNonNull(name, "name");
    this.text = Objects.requireNonNull(text, "text");
    List<Integer> starts = new ArrayList<>();
    starts.add(0);
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        starts.add(i + 1);
      }
    }
    this.lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
  }

  public String name() {
    return name;
  }

  public String text() {
    return text;
  }

  public int lineCount() {
    return lineStarts.length;
  }

  /** The text of a 1-based line, without its line break. */
  public String line(int line) {
    if (line < 1 || line > lineStarts.length) {
      return "";
    }
    int start = lineStarts[line - 1];
    int end = line < lineStarts.length ? lineStarts[line] - 1 : text.length();
    if (end > start && text.charAt(end - 1) == '\r') {
      end--;
    }
    return text.substring(start, Math.max(start, end));
  }

  /** The 1-based line holding a 0-based character offset. */
  public int lineOf(int offset) {
    int lo = 0;
    int hi = lineStarts.length - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (lineStarts[mid] <= offset) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo + 1;
  }

  /** A span from a 0-based offset and length. */
  public Span span(int offset, int length) {
    int line = lineOf(offset);
    return new Span(name, line, offset - lineStarts[line - 1] + 1, Math.max(1, length));
  }
}
