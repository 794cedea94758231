package dev.warden.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * `warden openapi`: an OpenAPI document as Warden routes and schemas (`import`), and the drift
 * check between a document and a bundle (`diff`). Exit codes beyond the common ones: 6 when the
 * spec and the bundle drift apart, 7 when the spec or the bundle cannot be read.
 */
@Command(name = "openapi", mixinStandardHelpOptions = true,
    description = "Import an OpenAPI 3.0/3.1 document as routes and schemas, or check a bundle against one.",
    subcommands = {OpenApiImportCommand.class, OpenApiDiffCommand.class})
final class OpenApiCommand implements Runnable {
  /** `diff`: the spec has operations the bundle lacks, or the bundle routes the spec lacks. */
  static final int DRIFT = 6;
  /** The spec (or, for `diff`, the bundle) cannot be read: no such file, not YAML or JSON, not OpenAPI 3. */
  static final int UNREADABLE = 7;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** The spec, its parse warnings printed; or null after printing why it cannot be read. */
  static dev.warden.server.openapi.OpenApiSpec read(java.nio.file.Path file, java.io.PrintWriter err) {
    try {
      dev.warden.server.openapi.OpenApiSpec api = dev.warden.server.openapi.OpenApiSpec.read(file);
      OpenApiDiffCommand.warn(api, err);
      return api;
    } catch (dev.warden.server.openapi.OpenApiException e) {
      err.println("error: " + e.getMessage());
      err.flush();
      return null;
    }
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
