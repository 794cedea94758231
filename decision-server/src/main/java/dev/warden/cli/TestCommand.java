package dev.warden.cli;

import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.testing.PolicyTest;
import dev.warden.policy.testing.TestOutcome;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** `warden test DIR`: run the bundle's own `test` blocks against the compiled program. */
@Command(name = "test", mixinStandardHelpOptions = true,
    description = "Run the bundle's tests. Prints one line per test; exit code 4 when any fails,"
        + " 2 when --run matches no test.")
final class TestCommand implements Callable<Integer> {
  @CommandLine.Mixin BundleOption bundle;

  @CommandLine.Option(names = "--run", paramLabel = "REGEX", description = "Run only tests whose name matches; matching none is an error (exit code 2).")
  String run;

  @CommandLine.Option(names = "--time", paramLabel = "INSTANT",
      description = "The request time for tests without `at` (default: now), e.g. 2026-01-01T00:00:00Z.")
  Instant time;

  @CommandLine.Option(names = "--junit", paramLabel = "FILE", description = "Also write a JUnit XML report.")
  Path junit;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    Pattern filter;
    try {
      filter = run == null ? null : Pattern.compile(run);
    } catch (PatternSyntaxException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--run: invalid regular expression: " + e.getDescription());
    }
    int[] exit = {WardenCli.OK};
    CompileResult result = bundle.compile(spec, exit);
    if (result == null) {
      return exit[0];
    }
    List<PolicyTest> tests = result.tests(name -> filter == null || filter.matcher(name).find());
    if (filter != null && tests.isEmpty()) {
      // A usage error, not a pass: in CI a mistyped or stale pattern would otherwise run nothing
      // and succeed.
      int all = result.tests(name -> true).size();
      spec.commandLine().getErr().printf("error: --run `%s` matches no test (the bundle has %d test(s))%n", run, all);
      spec.commandLine().getErr().flush();
      return WardenCli.USAGE;
    }
    Instant now = time != null ? time : Instant.now();
    PrintWriter out = spec.commandLine().getOut();
    List<TestOutcome> outcomes = new ArrayList<>();
    List<Long> nanos = new ArrayList<>();
    for (PolicyTest test : tests) {
      long start = System.nanoTime();
      TestOutcome o = test.run(now);
      long took = System.nanoTime() - start;
      outcomes.add(o);
      nanos.add(took);
      out.printf(Locale.ROOT, "%s: %s (%.1f ms)%n", o.name(), o.passed() ? "PASS" : "FAIL", took / 1e6);
      if (!o.passed()) {
        out.println("    at " + o.location());
        out.println("    " + o.failure());
      }
    }
    long failed = outcomes.stream().filter(o -> !o.passed()).count();
    out.printf("%d passed, %d failed%n", outcomes.size() - failed, failed);
    if (tests.isEmpty()) {
      out.println("warning: the bundle has no tests");
    }
    out.flush();
    if (junit != null) {
      try {
        JUnitXml.write(junit, bundle.dir.toString(), outcomes, nanos);
      } catch (IOException e) {
        spec.commandLine().getErr().println("error: cannot write " + junit + ": " + e.getMessage());
        return WardenCli.USAGE;
      }
    }
    return failed > 0 ? WardenCli.TESTS_FAILED : WardenCli.OK;
  }
}
