package dev.warden.server.openapi;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * `warden openapi diff`: the registry drift check between an OpenAPI document and a bundle's
 * routes. Operations and routes are compared by method and path shape only
 * ({@link RouteTemplates#shape}): `GET /pets/{petId}` in the spec is `GET /pets/{id:int}` in the
 * bundle. Spec paths go through the same conversion as {@code warden openapi import}, so a fresh
 * import always agrees with its spec. An operation Warden cannot route (TRACE) is never drift.
 */
public final class OpenApiDiff {
  /** A route of the bundle, as the CLI reads it from the compiled bundle. */
  public record DeclaredRoute(String name, String method, String path) {}

  /** An operation of the spec no route of the bundle matches. */
  public record MissingRoute(String method, String path, String operationId) {}

  /**
   * The comparison: operations the bundle lacks, routes the spec lacks (both in their source's
   * order), how many operations matched, and the operations skipped because Warden cannot route them.
   */
  public record Drift(List<MissingRoute> missingInBundle, List<DeclaredRoute> missingInSpec, int matched,
      List<String> skipped) {
    /** Whether spec and bundle declare the same operations. */
    public boolean agree() {
      return missingInBundle.isEmpty() && missingInSpec.isEmpty();
    }
  }

  private OpenApiDiff() {}

  /** Compares {@code spec}'s operations with {@code routes}. */
  public static Drift compare(OpenApiSpec spec, List<DeclaredRoute> routes) {
    Set<String> declared = new HashSet<>();
    for (DeclaredRoute r : routes) {
      declared.add(key(r.method(), RouteTemplates.shape(r.path())));
    }
    Set<String> specified = new HashSet<>();
    List<MissingRoute> missing = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    int matched = 0;
    for (OpenApiSpec.Operation op : spec.operations()) {
      if (!OpenApiImport.METHODS.contains(op.method())) {
        skipped.add(op.method() + " " + op.path());
        continue;
      }
      String key = key(op.method(), RouteTemplates.shape(RouteTemplates.toWarden(op.path(), Map.of()).path()));
      specified.add(key);
      if (declared.contains(key)) {
        matched++;
      } else {
        missing.add(new MissingRoute(op.method(), op.path(), op.operationId()));
      }
    }
    List<DeclaredRoute> extra = new ArrayList<>();
    for (DeclaredRoute r : routes) {
      if (!specified.contains(key(r.method(), RouteTemplates.shape(r.path())))) {
        extra.add(r);
      }
    }
    return new Drift(List.copyOf(missing), List.copyOf(extra), matched, List.copyOf(skipped));
  }

  private static String key(String method, String shape) {
    return method + " " + shape;
  }
}
