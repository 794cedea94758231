package dev.warden.cli;

import dev.warden.bundle.BundleReadException;
import dev.warden.bundle.BundleReader;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.source.Bundle;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine;

/** The bundle argument shared by every offline command, and how it is compiled. */
final class BundleOption {
  @CommandLine.Parameters(index = "0", paramLabel = "DIR", description = "The bundle: a directory or a .tar.gz archive.")
  Path dir;

  /** The bundle compiled by every stage, or null after printing why there is none (exit code in holder). */
  CompileResult compile(CommandLine.Model.CommandSpec spec, int[] exit) {
    return compile(BundleCompiler.standard(), spec, exit);
  }

  /**
   * The bundle run through {@code pipeline}, or null after printing why it failed (exit code in
   * holder): a bundle that cannot be read at all is a usage error, 2; any diagnostic of an error,
   * a file that is not UTF-8 included, is a policy error, 3.
   */
  CompileResult compile(BundleCompiler pipeline, CommandLine.Model.CommandSpec spec, int[] exit) {
    PrintWriter err = spec.commandLine().getErr();
    Bundle bundle;
    try {
      bundle = BundleReader.read(dir);
    } catch (BundleReadException e) {
      err.println("error: " + e.getMessage());
      exit[0] = WardenCli.USAGE;
      return null;
    }
    return compile(bundle, dir.toString(), pipeline, spec, exit);
  }

  /** A bundle already read, run through {@code pipeline}: as above, 3 when it has errors. */
  static CompileResult compile(Bundle bundle, String dir, BundleCompiler pipeline, CommandLine.Model.CommandSpec spec,
      int[] exit) {
    PrintWriter err = spec.commandLine().getErr();
    CompileResult result = pipeline.compile(bundle, System::nanoTime);
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
