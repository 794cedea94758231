package dev.warden.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The `warden` command. Exit codes: 0 ok, 2 usage error, 3 policy errors, 4 failing tests; `replay`: 6 decisions changed, 7 no log readable.
 */
@Command(
    name = "warden",
    mixinStandardHelpOptions = true,
    versionProvider = WardenCli.Version.class,
    description = "Policy-as-code decision sidecar for Envoy: check, test and evaluate policy bundles.",
    subcommands = {ServeCommand.class, RequestCommand.class, CheckCommand.class, TestCommand.class, EvalCommand.class, ReplayCommand.class, RoutesCommand.class, BundleCommand.class, OpenApiCommand.class})
public final class WardenCli implements Runnable {
  public static final int OK = 0;
  public static final int USAGE = 2;
  public static final int POLICY_ERRORS = 3;
  public static final int TESTS_FAILED = 4;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code (tests call this directly). */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new WardenCli());
    cli.setParameterExceptionHandler((e, argv) -> {
      CommandLine cmd = e.getCommandLine();
      cmd.getErr().println("error: " + e.getMessage());
      cmd.getErr().println("run `" + cmd.getCommandSpec().qualifiedName() + " --help` for usage");
      return USAGE;
    });
    // Every subcommand answers --version too (mixinStandardHelpOptions gives each the option,
    // but only a command with a version provider prints anything).
    giveVersion(cli);
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      // Never a Java stack trace for users: say what failed in one line.
      cmd.getErr().println("error: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
      return 1;
    });
    return cli.execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  private static void giveVersion(CommandLine cli) {
    cli.getCommandSpec().versionProvider(new Version());
    cli.getSubcommands().values().forEach(WardenCli::giveVersion);
  }

  /**
   * The Maven project version, from `version.properties`, which the build fills in (resource
   * filtering). A resource rather than the jar manifest's `Implementation-Version`, so that the
   * same answer comes from the shaded jar, the container image and the test class path.
   */
  static final class Version implements CommandLine.IVersionProvider {
    static final String RESOURCE = "version.properties";

    @Override
    public String[] getVersion() {
      return new String[] {"warden " + version()};
    }

    /** The version, or `unknown` when the classes were built without Maven's resource filtering. */
    static String version() {
      return dev.warden.server.WardenServer.wardenVersion();
    }
  }
}
