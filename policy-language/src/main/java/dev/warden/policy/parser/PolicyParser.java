package dev.warden.policy.parser;

import dev.warden.policy.ast.PolicyFile;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.SourceFile;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.BailErrorStrategy;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.ListTokenSource;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.atn.PredictionMode;
import org.antlr.v4.runtime.misc.ParseCancellationException;

/**
 * The parse stage: policy text in, an AST or diagnostics out. Thread-safe and stateless; each
 * call builds its own lexer and parser.
 */
public final class PolicyParser {
  private final ParserLimits limits;

  public PolicyParser() {
    this(ParserLimits.DEFAULT);
  }

  public PolicyParser(ParserLimits limits) {
    this.limits = limits;
  }

  public ParseResult parse(SourceFile source) {
    List<Diagnostic> diagnostics = new ArrayList<>();
    if (source.text().length() > limits.maxFileChars()) {
      diagnostics.add(
          Diagnostic.error(
                  "parse.too_large",
                  source.span(0, 1),
                  "file is " + source.text().length() + " characters long; the limit is "
                      + limits.maxFileChars())
              .withHelp("split the policy into several files"));
      return new ParseResult(null, diagnostics);
    }
    SyntaxErrors errors = new SyntaxErrors(source, limits.maxSyntaxErrors());
    List<? extends Token> tokens = TokenGuard.lex(source, limits, errors);
    if (tokens == null) {
      return new ParseResult(null, errors.diagnostics());
    }
    try {
      WardenParser.FileContext tree = parseTokens(tokens, errors);
      if (!errors.diagnostics().isEmpty()) {
        return new ParseResult(null, errors.diagnostics());
      }
      PolicyFile file = new AstBuilder(source, diagnostics).file(tree);
      diagnostics.addAll(0, errors.diagnostics());
      boolean failed = diagnostics.stream().anyMatch(Diagnostic::isError);
      return new ParseResult(failed ? null : file, diagnostics);
    } catch (SyntaxErrors.TooMany e) {
      return new ParseResult(null, errors.diagnostics());
    } catch (StackOverflowError e) {
      // Last line of defence: TokenGuard bounds nesting, so this should not happen.
      diagnostics.add(
          Diagnostic.error("parse.too_deep", source.span(0, 1), "policy is nested too deeply")
              .withHelp("split deeply nested expressions into smaller rules"));
      return new ParseResult(null, diagnostics);
    }
  }

  /** Two-stage parsing: the fast SLL mode first, full LL only when SLL fails. */
  private WardenParser.FileContext parseTokens(List<? extends Token> tokens, SyntaxErrors errors) {
    WardenParser parser = new WardenParser(new CommonTokenStream(new ListTokenSource(tokens)));
    parser.removeErrorListeners();
    parser.getInterpreter().setPredictionMode(PredictionMode.SLL);
    parser.setErrorHandler(new BailErrorStrategy());
    try {
      return parser.file();
    } catch (ParseCancellationException e) {
      parser = new WardenParser(new CommonTokenStream(new ListTokenSource(tokens)));
      parser.removeErrorListeners();
      parser.addErrorListener(errors);
      parser.setErrorHandler(new DefaultErrorStrategy());
      parser.getInterpreter().setPredictionMode(PredictionMode.LL);
      return parser.file();
    }
  }

  /** Lexes a source into a token stream, for tools that need tokens (the formatter). */
  static WardenLexer lexer(SourceFile source) {
    return new WardenLexer(CharStreams.fromString(source.text(), source.name()));
  }
}
