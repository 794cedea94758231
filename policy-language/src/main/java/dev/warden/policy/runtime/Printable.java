package dev.warden.policy.runtime;

/**
 * Client text as it may appear in an explanation or a log line: control characters, invisible
 * formatting characters, line separators and unpaired surrogates escaped as `\\uXXXX`, and at most
 * {@value #MAX} characters, so that a request cannot forge log lines or hide what it sent.
 */
public final class Printable {
  /** The most characters shown; longer text ends with `…`. */
  public static final int MAX = 120;

  private Printable() {}

  public static String of(String s) {
    StringBuilder b = new StringBuilder();
    int i = 0;
    while (i < s.length() && b.length() < MAX) {
      int cp = s.codePointAt(i);
      int type = Character.getType(cp);
      if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || type == Character.FORMAT || type == Character.SURROGATE
          || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR) {
        b.append("\\u").append(PercentDecoding.hex4(cp));
      } else {
        b.appendCodePoint(cp);
      }
      i += Character.charCount(cp);
    }
    return i < s.length() ? b + "…" : b.toString();
  }
}
