package dev.warden.policy.check;

import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Diagnostics;
import dev.warden.policy.diag.Span;
import dev.warden.policy.schema.RouteSchema;
import dev.warden.policy.source.Bundle;

/** The JSON Schema files of a bundle, for `body json "schemas/x.json"`. */
final class JsonSchemaFiles implements SchemaChecker.Files {
  private final Bundle bundle;

  private JsonSchemaFiles(Bundle bundle) {
    this.bundle = bundle;
  }

  static SchemaChecker.Files of(Bundle bundle) {
    return new JsonSchemaFiles(bundle);
  }

  @Override
  public RouteSchema.Validator compile(String path, boolean additional, Span where, Diagnostics diagnostics) {
    if (bundle == null || !bundle.has(path)) {
      diagnostics.add(Diagnostic.error("check.schema_file", where, "the bundle has no file `" + path + "`")
          .withHelp("paths are relative to the bundle's folder, such as \"schemas/new-order.json\""));
      return null;
    }
    diagnostics.add(Diagnostic.error("check.not_supported", where, "JSON Schema body files are not supported yet")
        .withHelp("declare the body inline for now: `body { name: type, … }`"));
    return null;
  }
}
