package dev.warden.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.warden.bundle.BundleReadException;
import dev.warden.bundle.BundleReader;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.check.CheckedBundle.RouteInfo;
import dev.warden.policy.diag.DiagnosticRenderer;
import dev.warden.policy.source.Bundle;
import dev.warden.server.openapi.OpenApiDiff;
import dev.warden.server.openapi.OpenApiSpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * `warden openapi diff SPEC DIR`: the registry drift check ({@link OpenApiDiff}). The bundle is
 * compiled as `warden check` compiles it; operations and routes are compared by method and path
 * shape. Exit 0 when they agree, 6 when they drift, 7 when the spec or the bundle cannot be read,
 * 3 when the bundle has errors.
 */
@Command(name = "diff", mixinStandardHelpOptions = true,
    description = {"Report the operations of SPEC that the bundle DIR has no route for, and the routes of DIR that"
        + " SPEC has no operation for. Compared by method and path: parameter names and types are ignored"
        + " (/pets/{petId} is /pets/{id:int})."},
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {"0:spec and bundle agree", "6:they drift: operations or routes missing on either side",
        "7:the spec or the bundle cannot be read", "3:the bundle has errors", "2:usage error"})
final class OpenApiDiffCommand implements Callable<Integer> {
  enum Format { text, json }

  /** Most swagger-parser warnings printed; the rest are counted. */
  static final int WARNINGS_SHOWN = 10;

  @CommandLine.Parameters(index = "0", paramLabel = "SPEC", description = "The OpenAPI document: .yaml, .yml or .json (optionally .gz).")
  Path specFile;

  @CommandLine.Parameters(index = "1", paramLabel = "DIR", description = "The bundle: a directory or a .tar.gz archive.")
  Path dir;

  @CommandLine.Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
  Format format;

  @CommandLine.Option(names = "--package", paramLabel = "NAME",
      description = "Compare only the routes of this package (and the packages below it), for a bundle of several APIs.")
  String packageName;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    OpenApiSpec api = OpenApiCommand.read(specFile, err);
    if (api == null) {
      return OpenApiCommand.UNREADABLE;
    }
    Bundle bundle;
    try {
      bundle = BundleReader.read(dir);
    } catch (BundleReadException e) {
      err.println("error: " + e.getMessage());
      err.flush();
      return OpenApiCommand.UNREADABLE;
    }
    // Compiled as `warden check` compiles it; only errors are shown: a drift check is no place for
    // the lint warnings of a bundle whose routes nobody may call yet.
    CompileResult result = BundleCompiler.standard().upTo(BundleCompiler.LINT).compile(bundle, System::nanoTime);
    if (!result.ok()) {
      err.print(new DiagnosticRenderer(result.sources()).render(result.errors()));
      err.println("error: " + dir + " has " + result.errors().size() + " error(s)");
      err.flush();
      return WardenCli.POLICY_ERRORS;
    }
    List<OpenApiDiff.DeclaredRoute> routes = new ArrayList<>();
    for (RouteInfo r : result.checked().routes()) {
      if (packageName != null && !r.packageName().equals(packageName) && !r.packageName().startsWith(packageName + ".")) {
        continue;
      }
      routes.add(new OpenApiDiff.DeclaredRoute(r.qualifiedName(), r.method(), r.path().text()));
    }
    OpenApiDiff.Drift drift = OpenApiDiff.compare(api, routes);
    if (format == Format.json) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("spec", specFile.toString());
      doc.put("bundle", dir.toString());
      doc.put("agree", drift.agree());
      doc.put("matched", drift.matched());
      doc.put("missingInBundle", drift.missingInBundle());
      doc.put("missingInSpec", drift.missingInSpec());
      doc.put("skipped", drift.skipped());
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
    } else if (drift.agree()) {
      out.printf("ok: %s and %s agree: %d operation(s), each with a route%n", specFile, dir, drift.matched());
    } else {
      out.printf("drift: %s and %s: %d operation(s) the bundle lacks, %d route(s) the spec lacks (%d agree)%n",
          specFile, dir, drift.missingInBundle().size(), drift.missingInSpec().size(), drift.matched());
      if (!drift.missingInBundle().isEmpty()) {
        out.println("operations of the spec with no route in the bundle:");
        for (OpenApiDiff.MissingRoute m : drift.missingInBundle()) {
          out.printf("  + %-7s %s%s%n", m.method(), m.path(), m.operationId() == null ? "" : "  (" + m.operationId() + ")");
        }
      }
      if (!drift.missingInSpec().isEmpty()) {
        out.println("routes of the bundle with no operation in the spec:");
        for (OpenApiDiff.DeclaredRoute r : drift.missingInSpec()) {
          out.printf("  - %-7s %s  (%s)%n", r.method(), r.path(), r.name());
        }
      }
      out.println("hint: `warden openapi import " + specFile + " -o DIR` regenerates the routes of openapi.warden");
    }
    if (format == Format.text && !drift.skipped().isEmpty()) {
      out.println("skipped (Warden routes have no such method): " + String.join(", ", drift.skipped()));
    }
    out.flush();
    return drift.agree() ? WardenCli.OK : OpenApiCommand.DRIFT;
  }

  /** Prints what swagger-parser reported about a document it could still read, at most {@link #WARNINGS_SHOWN}. */
  static void warn(OpenApiSpec api, PrintWriter err) {
    List<String> warnings = api.warnings();
    for (int i = 0; i < Math.min(WARNINGS_SHOWN, warnings.size()); i++) {
      err.println("warning: " + api.fileName() + ": " + warnings.get(i));
    }
    if (warnings.size() > WARNINGS_SHOWN) {
      err.println("warning: " + api.fileName() + ": … and " + (warnings.size() - WARNINGS_SHOWN) + " more");
    }
    err.flush();
  }
}
