package dev.warden.policy.bundle;

import dev.warden.policy.check.CheckedBundle;
import dev.warden.policy.compile.Program;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.DiagnosticRenderer;
import dev.warden.policy.diag.Severity;
import dev.warden.policy.diag.SourceFile;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The outcome of compiling a bundle: every diagnostic, and the program when there was no error.
 * Asking for the program of a failed result throws; check {@link #ok()} first.
 *
 * @param dropped diagnostics counted beyond the cap and not kept
 */
public record CompileResult(
    CheckedBundle checked, Program program, List<Diagnostic> diagnostics, int dropped, Map<String, SourceFile> sources) {
  public CompileResult {
    diagnostics = List.copyOf(diagnostics);
    sources = Map.copyOf(sources);
  }

  public boolean ok() {
    return program != null;
  }

  public Program programOrThrow() {
    if (program == null) {
      throw new IllegalStateException("bundle has " + errors().size() + " error(s); the first: "
          + errors().stream().findFirst().map(Diagnostic::toString).orElse("none"));
    }
    return program;
  }

  public Optional<CheckedBundle> checkedBundle() {
    return Optional.ofNullable(checked);
  }

  public List<Diagnostic> errors() {
    return diagnostics.stream().filter(d -> d.severity() == Severity.ERROR).toList();
  }

  public List<Diagnostic> warnings() {
    return diagnostics.stream().filter(d -> d.severity() == Severity.WARNING).toList();
  }

  /** All diagnostics rendered with source lines and carets. */
  public String render() {
    String text = new DiagnosticRenderer(sources).render(diagnostics);
    return dropped > 0 ? text + "… and " + dropped + " more\n" : text;
  }
}
