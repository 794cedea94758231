package dev.warden.policy.diag;

import java.util.List;
import java.util.Map;

/**
 * Prints diagnostics the way a person reads them: the location, the message, the source line
 * with a caret under the problem, and the help.
 *
 * <pre>
 * error[check.unknown_name]: unknown field `principal.tenat`
 *   --&gt; orders.warden:12:30
 *    |
 * 12 |   unless principal.tenat == "acme"
 *    |                    ^^^^^
 *    = help: did you mean `tenant`?
 * </pre>
 */
public final class DiagnosticRenderer {
  private final Map<String, SourceFile> sources;

  public DiagnosticRenderer(Map<String, SourceFile> sources) {
    this.sources = Map.copyOf(sources);
  }

  public String render(List<Diagnostic> diagnostics) {
    StringBuilder out = new StringBuilder();
    for (Diagnostic d : diagnostics) {
      render(d, out);
      out.append('\n');
    }
    return out.toString();
  }

  public String render(Diagnostic d) {
    StringBuilder out = new StringBuilder();
    render(d, out);
    return out.toString();
  }

  private void render(Diagnostic d, StringBuilder out) {
    out.append(d.severity().label()).append('[').append(d.code()).append("]: ")
        .append(d.message()).append('\n');
    Span span = d.span();
    SourceFile source = sources.get(span.file());
    if (!span.hasPosition() || source == null) {
      out.append("  --> ").append(span.file()).append('\n');
    } else {
      String lineNo = Integer.toString(span.line());
      String pad = " ".repeat(lineNo.length());
      String text = printable(source.line(span.line()));
      out.append(pad).append("--> ").append(span).append('\n');
      out.append(pad).append(" |\n");
      out.append(lineNo).append(" | ").append(text).append('\n');
      int col = Math.min(Math.max(span.column(), 1), text.length() + 1);
      int len = Math.max(1, Math.min(span.length(), text.length() - col + 1));
      out.append(pad).append(" | ").append(" ".repeat(col - 1)).append("^".repeat(len)).append('\n');
    }
    d.helpText().ifPresent(h -> out.append("  = help: ").append(h).append('\n'));
  }

  /** Long or binary lines would flood a terminal: cut them and show control bytes as `?`. */
  private static String printable(String line) {
    String cut = line.length() > 200 ? line.substring(0, 200) : line;
    StringBuilder b = new StringBuilder(cut.length());
    for (int i = 0; i < cut.length(); i++) {
      char c = cut.charAt(i);
      b.append(c == '\t' ? ' ' : (Character.isISOControl(c) ? '?' : c));
    }
    return b.toString();
  }
}
