package dev.warden.policy.diag;

/**
 * A place in a policy file: 1-based line and column, and how many characters it covers on that
 * line.
 */
public record Span(String file, int line, int column, int length) {
  /** A span for things that have no place in a file (a data file's root, a CLI input). */
  public static Span of(String file) {
    return new Span(file, 0, 0, 0);
  }

  public boolean hasPosition() {
    return line > 0;
  }

  /** {@code file:line:col}, or just the file when there is no position. */
  @Override
  public String toString() {
    return hasPosition() ? file + ":" + line + ":" + column : file;
  }

  /** {@code file:line}, the way decisions cite rules. */
  public String fileLine() {
    return hasPosition() ? file + ":" + line : file;
  }
}
