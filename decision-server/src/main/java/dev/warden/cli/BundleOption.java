package dev.warden.cli;

import dev.warden.bundle.BundleDirectory;
import dev.warden.policy.source.Bundle;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine;

/** The bundle directory argument shared by every offline command, and how it is compiled. */
final class BundleOption {
  @CommandLine.Parameters(index = "0", paramLabel = "DIR", description = "The bundle directory.")
  Path dir;

  /** The compiled bundle, or null after printing why there is none (exit code in holder). */
  CompileResult compile(CommandLine.Model.CommandSpec spec, int[] exit) {
    PrintWriter err = spec.commandLine().getErr();
    Bundle bundle;
    try {
      bundle = BundleDirectory.read(dir);
    } catch (BundleDirectory.BundleReadException e) {
      err.println("error: " + e.getMessage());
      exit[0] = WardenCli.USAGE;
      return null;
    }
    CompileResult result = new BundleCompiler().compile(bundle);
    if (!result.diagnostics().isEmpty()) {
      err.print(result.render());
    }
    if (!result.ok()) {
      err.println("error: " + dir + " has " + result.errors().size() + " error(s)");
      exit[0] = WardenCli.POLICY_ERRORS;
      err.flush();
      return null;
    }
    err.flush();
    return result;
  }
}
