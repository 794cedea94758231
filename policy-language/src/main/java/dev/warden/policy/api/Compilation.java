package dev.warden.policy.api;

import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.diag.Diagnostic;
import java.util.List;

/**
 * What compiling a bundle gave: every diagnostic (errors and warnings, each with a stable code
 * listed in docs/errors.md) and, when there is no error, the engine. Immutable.
 */
public final class Compilation {
  private final CompileResult result;
  private final PolicyEngine engine;

  Compilation(CompileResult result) {
    this.result = result;
    this.engine = result.ok() ? new PolicyEngine(result.checked(), result.programOrThrow()) : null;
  }

  public boolean ok() {
    return engine != null;
  }

  /**
   * The engine to decide with.
   *
   * @throws IllegalStateException when the bundle has errors; the message shows them all
   */
  public PolicyEngine engine() {
    if (engine == null) {
      throw new IllegalStateException("the bundle has " + result.errors().size() + " error(s):\n" + render());
    }
    return engine;
  }

  public List<Diagnostic> diagnostics() {
    return result.diagnostics();
  }

  public List<Diagnostic> errors() {
    return result.errors();
  }

  public List<Diagnostic> warnings() {
    return result.warnings();
  }

  /** Every diagnostic as `warden check` prints it: location, source line, caret, help. */
  public String render() {
    return result.render();
  }
}
