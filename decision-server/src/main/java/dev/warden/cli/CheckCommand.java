package dev.warden.cli;

import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.bundle.StageTiming;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * `warden check DIR`: load, parse, check and lint a bundle; print every diagnostic. It stops
 * before the compile stage, which reports nothing a checked bundle could fail.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = "Check a bundle: report every error and warning with its location.")
final class CheckCommand implements Callable<Integer> {
  @CommandLine.Mixin BundleOption bundle;

  @CommandLine.Option(names = "--strict", description = "Treat warnings as errors.")
  boolean strict;

  @CommandLine.Option(names = "--timings", description = "Also print how long each stage took.")
  boolean timings;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    int[] exit = {WardenCli.OK};
    CompileResult result = bundle.compile(BundleCompiler.standard().upTo(BundleCompiler.LINT), spec, exit);
    if (result == null) {
      return exit[0];
    }
    if (strict && !result.warnings().isEmpty()) {
      spec.commandLine().getErr().println("error: " + result.warnings().size() + " warning(s) with --strict");
      return WardenCli.POLICY_ERRORS;
    }
    spec.commandLine().getOut().printf("ok: %s compiles (%d routes, revision %s, %d warning(s))%n",
        bundle.dir, result.checked().routes().size(), result.checked().manifest().revision(), result.warnings().size());
    if (timings) {
      spec.commandLine().getOut().println("stages: " + result.stages().stream()
          .map(t -> String.format(Locale.ROOT, "%s %.1f ms", t.stage(), t.nanos() / 1e6)).collect(Collectors.joining(", ")));
    }
    return WardenCli.OK;
  }
}
