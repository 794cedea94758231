package dev.warden.bench;

import java.util.List;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * One decision per operation, cycling through the scenario's requests, for each engine. The
 * engines are built and checked against Warden on every request before anything is timed.
 */
@State(Scope.Thread)
public class DecisionBenchmark extends BenchmarkSettings {
  static final long SEED = 42;

  private Input[] inputs;
  private int next;
  private WardenEngine warden;
  private HandWrittenEngine handWritten;
  private CelEngine cel;
  private CasbinEngine casbin;

  @Setup
  public void setUp() {
    Scenario scenario = Scenario.generate(SEED, Scenario.Sizes.standard());
    inputs = scenario.inputs().toArray(new Input[0]);
    warden = new WardenEngine(scenario);
    handWritten = new HandWrittenEngine(scenario);
    cel = new CelEngine(scenario);
    casbin = new CasbinEngine(scenario);
    Agreement.require(scenario, warden, List.of(handWritten, cel, casbin));
  }

  private Input nextInput() {
    Input in = inputs[next];
    next = next + 1 == inputs.length ? 0 : next + 1;
    return in;
  }

  @Benchmark
  public void warden(Blackhole bh) {
    bh.consume(warden.decide(nextInput()));
  }

  @Benchmark
  public void handWritten(Blackhole bh) {
    bh.consume(handWritten.allowed(nextInput()));
  }

  @Benchmark
  public void celJava(Blackhole bh) {
    bh.consume(cel.allowed(nextInput()));
  }

  @Benchmark
  public void jcasbin(Blackhole bh) {
    bh.consume(casbin.allowed(nextInput()));
  }
}
