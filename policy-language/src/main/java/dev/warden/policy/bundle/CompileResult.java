package dev.warden.policy.bundle;

import dev.warden.policy.check.CheckedBundle;
import dev.warden.policy.compile.Program;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.DiagnosticRenderer;
import dev.warden.policy.diag.Severity;
import dev.warden.policy.diag.SourceFile;
import dev.warden.policy.testing.PolicyTest;
import dev.warden.policy.testing.PolicyTests;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The outcome of running the pipeline over a bundle: every diagnostic, the stages that ran with
 * their timings, the checked bundle when checking found no error, and the program when the
 * compile stage ran. Asking for the program of a failed result throws; check {@link #ok()} first.
 *
 * @param dropped diagnostics counted beyond the cap and not kept
 * @param stages the stages that ran, in order, with how long each took
 * @param complete whether every stage of the pipeline ran
 */
public record CompileResult(
    CheckedBundle checked,
    Program program,
    List<Diagnostic> diagnostics,
    int dropped,
    Map<String, SourceFile> sources,
    List<StageTiming> stages,
    boolean complete) {
  public CompileResult {
    diagnostics = List.copyOf(diagnostics);
    sources = Map.copyOf(sources);
    stages = List.copyOf(stages);
  }

  /** No error, and every stage asked for ran. */
  public boolean ok() {
    return complete && errors().isEmpty();
  }

  /** Whether the stage of this name ran. */
  public boolean ran(String stage) {
    return stages.stream().anyMatch(t -> t.stage().equals(stage));
  }

  public Program programOrThrow() {
    if (program == null) {
      if (errors().isEmpty()) {
        throw new IllegalStateException("the bundle was not compiled: the pipeline ran "
            + String.join(", ", stages.stream().map(StageTiming::stage).toList()));
      }
      throw new IllegalStateException("bundle has " + errors().size() + " error(s); the first: "
          + errors().stream().findFirst().map(Diagnostic::toString).orElse("none"));
    }
    return program;
  }

  public Optional<CheckedBundle> checkedBundle() {
    return Optional.ofNullable(checked);
  }

  /** The bundle's `test` blocks whose name the filter accepts, in file order; none unless it compiled. */
  public List<PolicyTest> tests(Predicate<String> filter) {
    return ok() && program != null ? PolicyTests.of(checked, program, filter) : List.of();
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
