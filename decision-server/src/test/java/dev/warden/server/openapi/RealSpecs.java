package dev.warden.server.openapi;

import dev.warden.bundle.BundleReader;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import java.nio.file.Path;

/** The real public OpenAPI documents of src/test/resources/openapi (see the README there), and the real compiler. */
final class RealSpecs {
  static final Path DIR = Path.of("src", "test", "resources", "openapi");
  static final Path PETSTORE = DIR.resolve("petstore.yaml");
  static final Path PETSTORE_EXPANDED = DIR.resolve("petstore-expanded.yaml");
  static final Path PETSTORE_31 = DIR.resolve("petstore-3.1.yaml");
  static final Path GITHUB = DIR.resolve("github-api.json.gz");

  private RealSpecs() {}

  /** Drops the `schema` blocks of openapi.warden: the checker of this branch does not take them yet. */
  static void withoutSchemasUntilTheGrammarLands(Path dir) throws java.io.IOException {
    Path f = dir.resolve(OpenApiImport.POLICY_FILE);
    java.nio.file.Files.writeString(f, java.nio.file.Files.readString(f).replaceAll("(?ms)^schema \\w+ \\{.*?^}\n", ""));
  }

  /** The bundle in {@code dir}, compiled as `warden check` does (through lint). */
  static CompileResult check(Path dir) throws Exception {
    return BundleCompiler.standard().upTo(BundleCompiler.LINT).compile(BundleReader.read(dir), System::nanoTime);
  }
}
