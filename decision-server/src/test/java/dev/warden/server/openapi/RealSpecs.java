package dev.warden.server.openapi;

import dev.warden.bundle.BundleReader;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
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

  /** The bundle in {@code dir}, compiled as `warden check` does (through lint). */
  static CompileResult check(Path dir) throws Exception {
    return BundleCompiler.standard().upTo(BundleCompiler.LINT).compile(BundleReader.read(dir), System::nanoTime);
  }
}
