package dev.warden.policy.bundle;

import dev.warden.policy.ast.PolicyFile;
import dev.warden.policy.check.CheckedBundle;
import dev.warden.policy.compile.Program;
import dev.warden.policy.diag.Diagnostics;
import dev.warden.policy.load.LoadedBundle;
import dev.warden.policy.source.Bundle;
import java.util.List;
import java.util.Optional;

/**
 * What one run of the pipeline knows so far: the input bundle, the diagnostics every stage
 * reported, and the result of each built-in stage that ran. A stage a tool adds reads it and
 * reports into {@link #diagnostics()}. Not thread-safe: one state serves one run, on one thread.
 */
public final class CompileState {
  private final Bundle bundle;
  private final Diagnostics diagnostics = new Diagnostics();
  private LoadedBundle loaded;
  private List<PolicyFile> parsed;
  private boolean allParsed;
  private CheckedBundle checked;
  private Program program;

  CompileState(Bundle bundle) {
    this.bundle = bundle;
  }

  public Bundle bundle() {
    return bundle;
  }

  public Diagnostics diagnostics() {
    return diagnostics;
  }

  /** The load stage's result: manifest, policy texts, data documents. */
  public Optional<LoadedBundle> loaded() {
    return Optional.ofNullable(loaded);
  }

  /** The ASTs of the policy files that parsed, once the parse stage ran. */
  public Optional<List<PolicyFile>> parsed() {
    return Optional.ofNullable(parsed);
  }

  /** Whether every policy file of the bundle was read and parsed without error. */
  public boolean allParsed() {
    return parsed != null && allParsed;
  }

  /**
   * The check stage's result. Incomplete when the check reported errors: it then holds only
   * what checked, which the lint stage still reads, and is not to be compiled.
   */
  public Optional<CheckedBundle> checked() {
    return Optional.ofNullable(checked);
  }

  /** The compiled program, once the compile stage ran. */
  public Optional<Program> program() {
    return Optional.ofNullable(program);
  }

  void loaded(LoadedBundle value) {
    loaded = value;
  }

  void parsed(List<PolicyFile> value, boolean all) {
    parsed = List.copyOf(value);
    allParsed = all;
  }

  void checked(CheckedBundle value) {
    checked = value;
  }

  void program(Program value) {
    program = value;
  }
}
