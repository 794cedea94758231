package dev.warden.policy.parser;

import dev.warden.policy.ast.PolicyFile;
import dev.warden.policy.diag.Diagnostic;
import java.util.List;
import java.util.Optional;

/**
 * What parsing one file gave: the AST when the file is well-formed, and every diagnostic found.
 * A file with a syntax error has no AST; the other files of a bundle are still checked.
 */
public record ParseResult(PolicyFile file, List<Diagnostic> diagnostics) {
  public ParseResult {
    diagnostics = List.copyOf(diagnostics);
  }

  public Optional<PolicyFile> ast() {
    return Optional.ofNullable(file);
  }

  public boolean hasErrors() {
    return diagnostics.stream().anyMatch(Diagnostic::isError);
  }
}
