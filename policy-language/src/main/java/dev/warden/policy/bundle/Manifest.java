package dev.warden.policy.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Span;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;

/**
 * The optional `bundle.yaml` of a bundle.
 *
 * @param revision the bundle's revision as shown in decisions; defaults to a content digest
 * @param undeclaredStatus the status for a request to an undeclared route: 404 (default) or 403
 * @param stepBudget the most evaluation steps one decision may take
 */
public record Manifest(String revision, int undeclaredStatus, int stepBudget) {
  public static final int DEFAULT_STEP_BUDGET = 10_000;
  private static final List<String> KEYS = List.of("revision", "undeclared_status", "step_budget");

  public static Manifest parse(String text, String digest, Consumer<Diagnostic> report) {
    String fallback = "sha256:" + digest.substring(0, 12);
    Manifest defaults = new Manifest(fallback, 404, DEFAULT_STEP_BUDGET);
    if (text == null) {
      return defaults;
    }
    Span at = Span.of(Bundle.MANIFEST);
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(text);
    } catch (Exception e) {
      report.accept(Diagnostic.error("bundle.bad_manifest", at, "`bundle.yaml` is not valid YAML"));
      return defaults;
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return defaults;
    }
    if (!root.isObject()) {
      report.accept(Diagnostic.error("bundle.bad_manifest", at, "`bundle.yaml` must be a mapping of settings"));
      return defaults;
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!KEYS.contains(key)) {
        report.accept(
            Diagnostic.error("bundle.bad_manifest", at, "unknown setting `" + key + "`")
                .withHelp("settings are: " + String.join(", ", KEYS)));
      }
    }
    String revision = root.path("revision").isValueNode() ? root.path("revision").asText() : fallback;
    int status = root.path("undeclared_status").asInt(404);
    if (status != 403 && status != 404) {
      report.accept(
          Diagnostic.error("bundle.bad_manifest", at, "`undeclared_status` must be 403 or 404, found `"
              + root.path("undeclared_status").asText() + "`"));
      status = 404;
    }
    int budget = root.path("step_budget").asInt(DEFAULT_STEP_BUDGET);
    if (budget < 100 || budget > 10_000_000) {
      report.accept(
          Diagnostic.error("bundle.bad_manifest", at, "`step_budget` must be between 100 and 10000000"));
      budget = DEFAULT_STEP_BUDGET;
    }
    return new Manifest(revision, status, budget);
  }
}
