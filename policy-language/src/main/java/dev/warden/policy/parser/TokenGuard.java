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
    // Inside a block of a later wave (`redact read response …`), any character is let through: the checker
    // says the block is not supported, which is more useful than complaining about its `$`.
    boolean reserved = false;
    Token previous = null;
    Token badRun = null;
    int badRunEnd = -1;
    while (true) {
      Token t = lexer.nextToken();
      if (t.getType() == WardenLexer.PIPE && (previous == null || previous.getType() != WardenLexer.STRING
          || badRun != null) && t instanceof org.antlr.v4.runtime.WritableToken w) {
        // `|` only separates the strings of an enum shape (`"a" | "b"`); anywhere else it is the
        // bad character it always was (`a || b`, `/a|b`), with the hints that go with it.
        w.setType(WardenLexer.BAD_CHAR);
      }
      tokens.add(t);
      boolean adjacentBad = t.getType() == WardenLexer.BAD_CHAR && badRun != null && t.getStartIndex() == badRunEnd + 1;
      if (badRun != null && !adjacentBad) {
        errors.add(badCharacters(source, badRun, badRunEnd, previous));
        badRun = null;
      }
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
      if (depth == 0) {
        reserved = startsReserved(t.getType()) || (reserved && !startsDeclaration(t.getType()));
        if (previous != null && previous.getType() == WardenLexer.REDACT && t.getType() == WardenLexer.IDENT
            && t.getText().equals("log")) {
          // `redact log { … }` is a construct of this release, checked like any other.
          reserved = false;
        }
      }
      if (t.getType() == WardenLexer.BAD_CHAR && !reserved) {
        if (adjacentBad) {
          badRunEnd = t.getStopIndex();
        } else {
          badRun = t;
          badRunEnd = t.getStopIndex();
        }
      } else if (t.getType() == WardenLexer.UNTERMINATED_STRING) {
        errors.add(
            Diagnostic.error(
                    "parse.unterminated_string",
                    SyntaxErrors.spanOf(source, t),
                    "string is not closed before the end of the line")
                .withHelp("add a closing `\"`"));
      }
      if (badRun == null) {
        previous = t;
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

  private static boolean startsReserved(int type) {
    return type == WardenLexer.QUOTA || type == WardenLexer.REDACT
        || type == WardenLexer.LOOKUP || type == WardenLexer.ON;
  }

  private static boolean startsDeclaration(int type) {
    return type == WardenLexer.PACKAGE || type == WardenLexer.PRINCIPAL || type == WardenLexer.API
        || type == WardenLexer.ROLE || type == WardenLexer.PERMIT || type == WardenLexer.FORBID
        || type == WardenLexer.SHADOW || type == WardenLexer.DATA || type == WardenLexer.TEST;
  }

  /** One diagnostic for a run of bad characters such as `&&`, with a hint for common slips. */
  private static Diagnostic badCharacters(SourceFile source, Token first, int end, Token previous) {
    String text = source.text().substring(first.getStartIndex(), end + 1);
    String shown = SyntaxErrors.printable(text.length() > 20 ? text.substring(0, 20) : text);
    Diagnostic d = Diagnostic.error(
        "parse.bad_character",
        source.span(first.getStartIndex(), end - first.getStartIndex() + 1),
        "unexpected " + (text.length() == 1 ? "character" : "characters") + " `" + shown + "`");
    boolean inPath = previous != null && previous.getType() == WardenLexer.PATH
        && previous.getStopIndex() + 1 == first.getStartIndex();
    char c = text.charAt(0);
    String help;
    if (inPath) {
      help = "a path is letters, digits, `-._~`, `/` and parameters such as `{id}`";
    } else if (c == '&') {
      help = "write `and` to require both conditions";
    } else if (c == '|') {
      help = "write `or` to accept either condition";
    } else if (c == '!') {
      help = "write `not` to negate a condition, or `!=` to compare";
    } else if (c == ';') {
      help = "declarations and conditions need no `;`";
    } else if (c == '\'' || c == '`') {
      help = "strings are written in double quotes: `\"text\"`";
    } else if (Character.isISOControl(c) || Character.isSurrogate(c) || !Character.isDefined(c)) {
      help = "remove the invisible character; the file may be binary or in the wrong encoding";
    } else {
      help = "policy text uses letters, digits, quotes, brackets and operators";
    }
    return d.withHelp(help);
  }
}
