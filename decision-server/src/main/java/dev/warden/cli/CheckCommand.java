package dev.warden.cli;

import dev.warden.policy.bundle.CompileResult;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** `warden check DIR`: parse, check and compile a bundle; print every diagnostic. */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = "Check a bundle: report every error and warning with its location.")
final class CheckCommand implements Callable<Integer> {
  @CommandLine.Mixin BundleOption bundle;

  @CommandLine.Option(names = "--strict", description = "Treat warnings as errors.")
  boolean strict;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    int[] exit = {WardenCli.OK};
    CompileResult result = bundle.compile(spec, exit);
    if (result == null) {
      return exit[0];
    }
    if (strict && !result.warnings().isEmpty()) {
      spec.commandLine().getErr().println("error: " + result.warnings().size() + " warning(s) with --strict");
      return WardenCli.POLICY_ERRORS;
    }
    spec.commandLine().getOut().printf("ok: %s compiles (%d routes, revision %s, %d warning(s))%n",
        bundle.dir, result.program().routeCount(), result.program().revision(), result.warnings().size());
    return WardenCli.OK;
  }
}
