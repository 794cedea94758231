package dev.warden.server.openapi;

/** Warden source text: string literals and comments that are always valid and stay on one line. */
final class Emit {
  private Emit() {}

  /**
   * A Warden string literal of {@code s}: `"` and `\` escaped, control characters and line
   * breaks as escapes, so the literal always ends on its line (docs/language.md, "Strings").
   */
  static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        default -> {
          if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029' || c == '\u0085') {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  /** Text for a `//` comment: line breaks and control characters become spaces. */
  static String comment(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029' || c == '\u0085' ? ' ' : c);
    }
    return b.toString().strip();
  }

  /** A field name of a `schema` block: as it is when it is a Warden name, else quoted. */
  static String field(String name) {
    return WardenNames.isName(name) ? name : quote(name);
  }
}
