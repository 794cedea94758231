package dev.warden.policy.check;

import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Diagnostics;
import dev.warden.policy.diag.Span;
import dev.warden.policy.schema.RouteSchema;
import dev.warden.policy.schema.jsonschema.JsonSchemaBody;
import dev.warden.policy.source.Bundle;

/**
 * The JSON Schema files of a bundle, for `body json "schemas/x.json"`: compiled by
 * {@link JsonSchemaBody} from the bundle's own bytes (no file or network access), each error
 * reported at the line that names the file.
 */
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
    JsonSchemaBody.Result r = JsonSchemaBody.compile(path, bundle, additional);
    if (r.body() == null) {
      for (String error : r.errors()) {
        diagnostics.add(Diagnostic.error("check.schema_file", where, error));
      }
      return null;
    }
    return r.body();
  }
}
