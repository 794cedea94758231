package dev.warden.bench;

import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.Decision;

/** Warden deciding with the compiled bundle of the scenario. */
public final class WardenEngine implements Engine {
  private final Program program;

  public WardenEngine(Scenario scenario) {
    this.program = WardenBundle.compile(scenario);
  }

  @Override
  public String name() {
    return "warden";
  }

  @Override
  public boolean allowed(Input input) {
    return decide(input).allowed();
  }

  /** The full decision, status and explanation included: what the benchmark measures. */
  public Decision decide(Input input) {
    return program.decide(input.request());
  }
}
