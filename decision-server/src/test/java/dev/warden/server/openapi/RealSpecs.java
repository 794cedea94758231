package dev.warden.server.openapi;

import dev.warden.bundle.BundleReader;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.diag.Diagnostic;
import java.nio.file.Path;
import java.util.List;

/** The real public OpenAPI documents of src/test/resources/openapi (see the README there), and the real compiler. */
final class RealSpecs {
  static final Path DIR = Path.of("src", "test", "resources", "openapi");
  static final Path PETSTORE = DIR.resolve("petstore.yaml");
  static final Path PETSTORE_EXPANDED = DIR.resolve("petstore-expanded.yaml");
  static final Path PETSTORE_31 = DIR.resolve("petstore-3.1.yaml");
  static final Path GITHUB = DIR.resolve("github-api.json.gz");
  static final Path PARAMETER_STYLES = DIR.resolve("parameters-style.yaml");
  static final Path SCHEMA_TYPES_31 = DIR.resolve("schema-types-3.1.yaml");
  /** Every document of the folder. */
  static final List<Path> ALL = List.of(PETSTORE, PETSTORE_EXPANDED, PETSTORE_31, PARAMETER_STYLES, SCHEMA_TYPES_31, GITHUB);

  private RealSpecs() {}

  /**
   * The errors of a compile result, less the one main does not support yet: `body json` files
   * (`check.not_supported`, "JSON Schema body files are not supported yet"), which the checker
   * reports until the JSON Schema validator is wired in. Every other error counts.
   */
  static List<Diagnostic> errorsBesidesPendingJsonSchemaFiles(CompileResult r) {
    return r.errors().stream()
        .filter(d -> !(d.code().equals("check.not_supported") && d.message().startsWith("JSON Schema body files")))
        .toList();
  }

  /** How many `body json` lines the checker reported as not supported yet. */
  static long pendingJsonSchemaFiles(CompileResult r) {
    return r.errors().size() - errorsBesidesPendingJsonSchemaFiles(r).size();
  }

  /** The bundle in {@code dir}, compiled as `warden check` does (through lint). */
  static CompileResult check(Path dir) throws Exception {
    return BundleCompiler.standard().upTo(BundleCompiler.LINT).compile(BundleReader.read(dir), System::nanoTime);
  }
}
