package dev.warden.policy.parser;

import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.SourceFile;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.Token;

/**
 * Lexes a whole file up front and enforces the token and nesting limits before the recursive
 * parser sees anything, so that `((((…` ten thousand deep is a diagnostic, not a stack overflow.
 * Bad characters and unterminated strings are reported here in plain words.
 */
final class TokenGuard {
  private TokenGuard() {}

  /** The tokens of the file, or null when a limit was hit (the diagnostic is in errors). */
  static List<? extends Token> lex(SourceFile source, ParserLimits limits, SyntaxErrors errors) {
    WardenLexer lexer = PolicyParser.lexer(source);
    lexer.removeErrorListeners();
    List<Token> tokens = new ArrayList<>();
    int depth = 0;
    int prefixRun = 0;
    while (true) {
      Token t = lexer.nextToken();
      tokens.add(t);
      if (t.getType() == Token.EOF) {
        break;
      }
      if (tokens.size() > limits.maxTokens()) {
        errors.add(
            Diagnostic.error(
                    "parse.too_many_tokens",
                    SyntaxErrors.spanOf(source, t),
                    "file has more than " + limits.maxTokens() + " tokens")
                .withHelp("split the policy into several files"));
        return null;
      }
      if (t.getChannel() != Token.DEFAULT_CHANNEL) {
        continue;
      }
      switch (t.getType()) {
        case WardenLexer.BAD_CHAR -> errors.add(
            Diagnostic.error(
                    "parse.bad_character",
                    SyntaxErrors.spanOf(source, t),
                    "unexpected character `" + SyntaxErrors.printable(t.getText()) + "`")
                .withHelp("policy text uses letters, digits, quotes, brackets and operators"));
        case WardenLexer.UNTERMINATED_STRING -> errors.add(
            Diagnostic.error(
                    "parse.unterminated_string",
                    SyntaxErrors.spanOf(source, t),
                    "string is not closed before the end of the line")
                .withHelp("add a closing `\"`"));
        default -> {}
      }
      switch (t.getType()) {
        case WardenLexer.LPAREN, WardenLexer.LBRACK, WardenLexer.LBRACE -> depth++;
        case WardenLexer.RPAREN, WardenLexer.RBRACK, WardenLexer.RBRACE -> depth = Math.max(0, depth - 1);
        default -> {}
      }
      boolean prefix =
          t.getType() == WardenLexer.NOT
              || t.getType() == WardenLexer.MINUS
              || t.getType() == WardenLexer.HAS;
      prefixRun = prefix ? prefixRun + 1 : 0;
      if (depth > limits.maxNesting() || prefixRun > limits.maxNesting()) {
        errors.add(
            Diagnostic.error(
                    "parse.too_deep",
                    SyntaxErrors.spanOf(source, t),
                    "nesting is deeper than " + limits.maxNesting() + " levels")
                .withHelp("split the expression into smaller rules or named conditions"));
        return null;
      }
      if (errors.full()) {
        return null;
      }
    }
    return errors.diagnostics().isEmpty() ? tokens : null;
  }
}
