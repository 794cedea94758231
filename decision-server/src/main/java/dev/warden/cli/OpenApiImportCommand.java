package dev.warden.cli;

import dev.warden.server.openapi.OpenApiException;
import dev.warden.server.openapi.OpenApiImport;
import dev.warden.server.openapi.OpenApiSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * `warden openapi import SPEC -o DIR`: writes the generated part of a bundle from an OpenAPI
 * document ({@link OpenApiImport}): `DIR/openapi.warden` and `DIR/schemas/openapi/`, and
 * `DIR/bundle.yaml` when there is none; nothing else in DIR. Importing the same document again
 * writes the same bytes.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
    description = {"Write an api block with one route per operation, and schema blocks for their query and header"
        + " parameters and JSON bodies, to DIR/openapi.warden and DIR/schemas/openapi/.",
        "Re-importing overwrites only those (and creates DIR/bundle.yaml when missing): keep hand-written roles"
            + " and rules in other files."},
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {"0:written", "2:usage error (a bad option, a --package that is not a Warden name, or a"
        + " DIR/openapi.warden that the import did not write)",
        "7:the spec cannot be read (not found, not YAML or JSON, not OpenAPI 3.0 or 3.1)", "1:DIR cannot be written"})
final class OpenApiImportCommand implements Callable<Integer> {
  @CommandLine.Parameters(index = "0", paramLabel = "SPEC", description = "The OpenAPI document: .yaml, .yml or .json (optionally .gz).")
  Path specFile;

  @CommandLine.Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR",
      description = "The bundle directory to write into (created when missing).")
  Path dir;

  @CommandLine.Option(names = "--package", paramLabel = "NAME",
      description = "The package of the routes (default: from the spec's title, such as swagger_petstore).")
  String packageName;

  @CommandLine.Option(names = "--owner", paramLabel = "OWNER",
      description = "The api block's owner (default: the spec's info.contact name or email).")
  String owner;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String problem = packageName == null ? null : OpenApiImport.packageProblem(packageName);
    if (problem != null) {
      err.println("error: --package: " + problem);
      err.flush();
      return WardenCli.USAGE;
    }
    OpenApiSpec api = OpenApiCommand.read(specFile, err);
    if (api == null) {
      return OpenApiCommand.UNREADABLE;
    }
    OpenApiImport.Result result;
    try {
      result = OpenApiImport.render(api, new OpenApiImport.Options(packageName, owner));
    } catch (OpenApiException e) {
      err.println("error: " + e.getMessage());
      err.flush();
      return OpenApiCommand.UNREADABLE;
    }
    try {
      OpenApiImport.write(result, dir, api.fileName());
    } catch (OpenApiException e) {
      err.println("error: " + e.getMessage());
      err.flush();
      return WardenCli.USAGE;
    }
    for (String why : result.leftOut()) {
      err.println("note: " + why);
    }
    err.flush();
    out.printf("ok: wrote %s from %s: %d route(s) for %d operation(s), %d schema block(s), %d body schema file(s)%n",
        dir.resolve(OpenApiImport.POLICY_FILE), specFile, result.routes(), result.operations(), result.schemaBlocks(),
        result.schemas().size());
    out.flush();
    return WardenCli.OK;
  }
}
