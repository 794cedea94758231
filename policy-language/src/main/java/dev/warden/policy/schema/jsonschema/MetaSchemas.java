package dev.warden.policy.schema.jsonschema;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.BasicDialectRegistry;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.resource.SchemaLoader;
import java.util.List;

/**
 * The meta-schemas of the drafts Warden reads, to check that a schema file is a schema. They
 * come inside the validator's jar: the loader allows exactly the meta-schema addresses, which the
 * library maps to its own class-path copies, and has no loader that could fetch anything, so an
 * address it does not ship is an error, never a download. Built once; validating is thread-safe.
 */
final class MetaSchemas {
  private MetaSchemas() {}

  private static final class Holder {
    static final SchemaRegistry REGISTRY = SchemaRegistry.builder()
        .defaultDialectId(Dialects.getDraft202012().getId())
        .dialectRegistry(new BasicDialectRegistry(List.of(Dialects.getDraft202012(), Dialects.getDraft7())))
        .schemaLoader(new SchemaLoader(List.of(), List.of(), MetaSchemas::shipped, null))
        .build();
    static final Schema DRAFT_2020_12 = load(SchemaDocuments.Draft.DRAFT_2020_12);
    static final Schema DRAFT_7 = load(SchemaDocuments.Draft.DRAFT_7);

    private static Schema load(SchemaDocuments.Draft draft) {
      Schema schema = REGISTRY.getSchema(SchemaLocation.of(draft.id));
      schema.initializeValidators();
      return schema;
    }
  }

  private static boolean shipped(com.networknt.schema.AbsoluteIri iri) {
    String s = iri.toString();
    return s.startsWith("https://json-schema.org/draft/2020-12/") || s.startsWith("http://json-schema.org/draft-07/");
  }

  /** What is wrong with `schema` as a schema of `draft`; empty when it is one. */
  static List<com.networknt.schema.Error> validate(JsonNode schema, SchemaDocuments.Draft draft) {
    Schema meta = draft == SchemaDocuments.Draft.DRAFT_7 ? Holder.DRAFT_7 : Holder.DRAFT_2020_12;
    return meta.validate(schema);
  }
}
