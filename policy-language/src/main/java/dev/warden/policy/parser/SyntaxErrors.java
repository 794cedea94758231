package dev.warden.policy.parser;

import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.SourceFile;
import dev.warden.policy.diag.Span;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.TokenStream;
import org.antlr.v4.runtime.misc.IntervalSet;

/**
 * Turns ANTLR's syntax errors into diagnostics in the project's style. ANTLR's own messages
 * ("mismatched input … expecting {…}") never reach a user: the expected tokens are mapped to a
 * few friendly names, and common slips get their own message. Only the first error on a line is
 * kept, since the rest of the line is usually fallout from it.
 */
final class SyntaxErrors extends BaseErrorListener {
  /** Thrown to stop parsing once a file has produced too many errors. */
  static final class TooMany extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooMany() {
      super(null, null, false, false);
    }
  }

  private final SourceFile source;
  private final int max;
  private final List<Diagnostic> diagnostics = new ArrayList<>();
  private int lastLine = -1;

  SyntaxErrors(SourceFile source, int max) {
    this.source = source;
    this.max = max;
  }

  List<Diagnostic> diagnostics() {
    return diagnostics;
  }

  boolean full() {
    return diagnostics.size() >= max;
  }

  void add(Diagnostic d) {
    if (!full()) {
      diagnostics.add(d);
    }
  }

  @Override
  public void syntaxError(
      Recognizer<?, ?> recognizer,
      Object offendingSymbol,
      int line,
      int charPositionInLine,
      String antlrMessage,
      RecognitionException e) {
    if (line == lastLine) {
      return;
    }
    lastLine = line;
    Token token = offendingSymbol instanceof Token t ? t : null;
    IntervalSet expected = null;
    if (recognizer instanceof Parser parser) {
      try {
        expected = e != null ? e.getExpectedTokens() : parser.getExpectedTokens();
      } catch (RuntimeException ignored) {
        expected = null;
      }
    }
    add(describe(token, expected, previousToken(recognizer, token)));
    if (full()) {
      throw new TooMany();
    }
  }

  /** The last token on the default channel before {@code token}, or null. */
  private static Token previousToken(Recognizer<?, ?> recognizer, Token token) {
    if (token == null || !(recognizer instanceof Parser parser)) {
      return null;
    }
    TokenStream stream = parser.getInputStream();
    for (int i = token.getTokenIndex() - 1; i >= 0; i--) {
      Token t = stream.get(i);
      if (t.getChannel() == Token.DEFAULT_CHANNEL) {
        return t;
      }
    }
    return null;
  }

  private Diagnostic describe(Token token, IntervalSet expected, Token previous) {
    Span span = token == null ? source.span(0, 1) : spanOf(source, token);
    String found = token == null ? "input" : tokenName(token);
    int type = token == null ? Token.INVALID_TYPE : token.getType();
    if (type == WardenLexer.ASSIGN && expected != null && expected.contains(WardenLexer.EQ)) {
      return Diagnostic.error("parse.assign_in_expression", span, "`=` is not a comparison")
          .withHelp("write `==` to compare two values");
    }
    int before = previous == null ? Token.INVALID_TYPE : previous.getType();
    if (before == WardenLexer.EXPECT && type != WardenLexer.ALLOW && type != WardenLexer.DENY) {
      // ANTLR blames the step as a whole here; the user needs to hear what follows `expect`.
      Diagnostic d = Diagnostic.error("parse.unexpected_token", span, "unexpected " + found + ", expected `allow` or `deny`");
      return d.withHelp(type == WardenLexer.PERMIT ? "did you mean `allow`?"
          : type == WardenLexer.FORBID ? "did you mean `deny`?"
          : "write `expect allow`, or `expect deny 403 by <rule> reason \"…\"` with the parts you need");
    }
    String wanted = expected == null ? "" : friendlyExpected(expected);
    String message = "unexpected " + found + (wanted.isEmpty() ? "" : ", expected " + wanted);
    Diagnostic d = Diagnostic.error("parse.unexpected_token", span, message);
    if (type == Token.EOF) {
      return d.withHelp("the file ends early: is a `}` or an expression missing?");
    }
    if (type == WardenLexer.IDENT && expected != null && expected.contains(WardenLexer.STRING)
        && !expected.contains(WardenLexer.IDENT)) {
      return d.withHelp("put text in double quotes: `\"" + token.getText() + "\"`");
    }
    if (expected != null && expected.contains(WardenLexer.IDENT) && !expected.contains(WardenLexer.INT)
        && isKeyword(type)) {
      return d.withHelp("`" + token.getText() + "` is a keyword and cannot name something here; pick another name");
    }
    if (type == WardenLexer.IDENT && (before == WardenLexer.IDENT || before == WardenLexer.STAR
        || before == WardenLexer.PATH) && previous.getLine() == token.getLine()) {
      return d.withHelp("is a `,` missing before `" + token.getText() + "`?");
    }
    return d;
  }

  private static boolean isKeyword(int type) {
    String literal = WardenLexer.VOCABULARY.getLiteralName(type);
    return literal != null && Character.isLetter(literal.charAt(1));
  }

  /** A short human description of the tokens the parser could have accepted, at most four. */
  private static String friendlyExpected(IntervalSet expected) {
    Set<String> names = new LinkedHashSet<>();
    if (expected.contains(WardenLexer.PERMIT) && expected.contains(WardenLexer.ROLE)) {
      names.add("a declaration (`api`, `role`, `permit`, `forbid`, `test`, …)");
    }
    if (expected.contains(WardenLexer.INT) && expected.contains(WardenLexer.STRING)
        && expected.contains(WardenLexer.IDENT)) {
      names.add("an expression");
    }
    if (expected.contains(WardenLexer.GET) && expected.contains(WardenLexer.POST)) {
      names.add("an HTTP method");
    }
    for (int type : expected.toArray()) {
      if (names.size() >= 4) {
        break;
      }
      String n = friendlyTokenType(type);
      if (n != null && !covered(type, names)) {
        names.add(n);
      }
    }
    List<String> list = new ArrayList<>(names);
    if (list.isEmpty()) {
      return "";
    }
    if (list.size() == 1) {
      return list.get(0);
    }
    return String.join(", ", list.subList(0, list.size() - 1)) + " or " + list.get(list.size() - 1);
  }

  private static boolean covered(int type, Set<String> names) {
    boolean anExpression = names.contains("an expression");
    boolean aMethod = names.contains("an HTTP method");
    boolean aDecl = names.stream().anyMatch(n -> n.startsWith("a declaration"));
    return switch (type) {
      case WardenLexer.INT, WardenLexer.STRING, WardenLexer.IDENT, WardenLexer.DECIMAL,
          WardenLexer.DURATION, WardenLexer.DATE, WardenLexer.TRUE, WardenLexer.FALSE,
          WardenLexer.LPAREN, WardenLexer.LBRACK, WardenLexer.MINUS, WardenLexer.NOT,
          WardenLexer.HAS, WardenLexer.ANY, WardenLexer.ALL, WardenLexer.PRINCIPAL,
          WardenLexer.REQUEST, WardenLexer.DATA -> anExpression;
      case WardenLexer.GET, WardenLexer.POST, WardenLexer.PUT, WardenLexer.PATCH,
          WardenLexer.DELETE, WardenLexer.HEAD, WardenLexer.OPTIONS -> aMethod;
      case WardenLexer.API, WardenLexer.ROLE, WardenLexer.PERMIT, WardenLexer.FORBID, WardenLexer.SHADOW,
          WardenLexer.TEST, WardenLexer.SCHEMA, WardenLexer.QUOTA, WardenLexer.REDACT,
          WardenLexer.LOOKUP, WardenLexer.ON, WardenLexer.PACKAGE -> aDecl;
      default -> false;
    };
  }

  /** Friendly names for token types; null for those not worth naming. */
  static String friendlyTokenType(int type) {
    return switch (type) {
      case Token.EOF -> "the end of the file";
      case WardenLexer.IDENT -> "a name";
      case WardenLexer.STRING -> "a string";
      case WardenLexer.INT -> "a number";
      case WardenLexer.DATE -> "a date such as `2026-06-30`";
      case WardenLexer.PATH -> "a path such as `/orders/{id}`";
      case WardenLexer.DURATION -> "a duration such as `5m`";
      default -> {
        String literal = WardenLexer.VOCABULARY.getLiteralName(type);
        yield literal == null ? null : "`" + literal.substring(1, literal.length() - 1) + "`";
      }
    };
  }

  /** How a token that was found is described: its text in backticks, or its kind. */
  static String tokenName(Token token) {
    if (token.getType() == Token.EOF) {
      return "end of file";
    }
    String text = printable(token.getText());
    if (text.length() > 40) {
      text = text.substring(0, 40) + "…";
    }
    return "`" + text + "`";
  }

  static Span spanOf(SourceFile source, Token token) {
    if (token.getType() == Token.EOF || token.getStartIndex() < 0) {
      int end = source.text().length();
      return source.span(Math.max(0, end - 1), 1);
    }
    int length = token.getStopIndex() - token.getStartIndex() + 1;
    return source.span(token.getStartIndex(), Math.max(1, length));
  }

  static String printable(String text) {
    StringBuilder b = new StringBuilder();
    text.codePoints()
        .forEach(c -> {
          if (Character.isISOControl(c) || !Character.isDefined(c)) {
            b.append(String.format("\\u{%x}", c));
          } else {
            b.appendCodePoint(c);
          }
        });
    return b.toString();
  }
}
