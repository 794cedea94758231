package dev.warden.bench;

import dev.warden.policy.api.Compilation;
import dev.warden.policy.api.PolicyEngine;
import dev.warden.policy.source.Bundle;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * What activating a large bundle costs: the time to compile it (every stage, load to compile),
 * the bytes allocated while compiling, and the heap the compiled program keeps. The sidecar does
 * this off the request path on every reload, with the old program still serving, so both the
 * time and the extra heap matter.
 *
 * <p>{@code java -cp benchmarks/jmh/target/benchmarks.jar dev.warden.bench.ActivationCost [routes] [runs]}
 */
public final class ActivationCost {
  /** The last program compiled; a field, so that no stack slot of the compiling method keeps it. */
  private static PolicyEngine kept;

  private ActivationCost() {}

  public static void main(String[] args) {
    int routes = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    Scenario scenario = RouteScalingBenchmark.scaled(routes);
    Map<String, String> files = WardenBundle.files(scenario);
    long bytes = files.values().stream().mapToLong(String::length).sum();
    System.out.printf("bundle: %,d routes, %,d files, %,d bytes of text%n", routes, files.size(), bytes);
    compile(files, runs);
    if (kept.routes().size() != routes) {
      throw new IllegalStateException("expected " + routes + " routes, compiled " + kept.routes().size());
    }
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long with = usedAfterGc(memory);
    kept = null;
    long without = usedAfterGc(memory);
    System.out.printf("heap the compiled program keeps: %,d MB%n", (with - without) >> 20);
  }

  private static void compile(Map<String, String> files, int runs) {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    List<Long> millis = new ArrayList<>();
    List<Long> allocated = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      long a0 = threads.getThreadAllocatedBytes(thread);
      long t0 = System.nanoTime();
      Compilation c = PolicyEngine.compile(Bundle.of(files));
      PolicyEngine engine = c.engine();
      long t1 = System.nanoTime();
      long a1 = threads.getThreadAllocatedBytes(thread);
      millis.add((t1 - t0) / 1_000_000);
      allocated.add(a1 - a0);
      kept = engine;
    }
    System.out.printf("compile (load → compile), %d runs, ms: %s; median %d ms%n", runs, millis, median(millis));
    System.out.printf("allocated while compiling: median %,d MB%n", median(allocated) >> 20);
    dev.warden.policy.bundle.CompileResult last =
        new dev.warden.policy.bundle.BundleCompiler().compile(Bundle.of(files), System::nanoTime);
    StringBuilder b = new StringBuilder();
    last.stages().forEach(t -> b.append(b.length() == 0 ? "" : ", ").append(t.stage()).append(' ')
        .append(t.nanos() / 1_000_000).append(" ms"));
    System.out.println("by stage, one more run: " + b);
  }

  private static long usedAfterGc(MemoryMXBean memory) {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return memory.getHeapMemoryUsage().getUsed();
  }

  private static long median(List<Long> xs) {
    List<Long> sorted = new ArrayList<>(xs);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }
}
