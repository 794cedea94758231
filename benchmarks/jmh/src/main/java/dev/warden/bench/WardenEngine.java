package dev.warden.bench;

import dev.warden.policy.api.PolicyEngine;
import dev.warden.policy.api.Verdict;

/** Warden deciding with the compiled bundle of the scenario, through the front door an embedder uses. */
public final class WardenEngine implements Engine {
  private final PolicyEngine engine;

  public WardenEngine(Scenario scenario) {
    this.engine = WardenBundle.compile(scenario);
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
  public Verdict decide(Input input) {
    return engine.decide(input.request());
  }
}
