package dev.warden.policy.parser;

/**
 * Bounds that keep hostile policy text from exhausting memory or the stack. A policy that hits
 * one gets a diagnostic naming the limit, never a crash.
 *
 * @param maxFileChars the largest file accepted, in characters
 * @param maxTokens the most tokens one file may hold
 * @param maxNesting the deepest nesting of brackets and prefix operators in one file
 * @param maxSyntaxErrors after this many syntax errors in one file, parsing stops
 */
public record ParserLimits(int maxFileChars, int maxTokens, int maxNesting, int maxSyntaxErrors) {
  public static final ParserLimits DEFAULT = new ParserLimits(1 << 20, 200_000, 64, 20);
}
