package dev.warden.policy.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Span;
import dev.warden.policy.runtime.RequestRules;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;

/**
 * The optional `bundle.yaml` of a bundle.
 *
 * @param revision the bundle's revision as shown in decisions; defaults to a content digest
 * @param undeclaredStatus the status for a request to an undeclared route: 404 (default) or 403
 * @param stepBudget the most evaluation steps one decision may take
 * @param requests how strictly requests are read where upstream servers disagree (`requests:`)
 */
public record Manifest(String revision, int undeclaredStatus, int stepBudget, RequestRules requests) {
  public static final int DEFAULT_STEP_BUDGET = 10_000;
  private static final List<String> KEYS = List.of("revision", "undeclared_status", "step_budget", "requests");
  private static final List<String> REQUEST_KEYS = List.of("path_parameters", "method_override");

  public static Manifest parse(String text, String digest, Consumer<Diagnostic> report) {
    String fallback = "sha256:" + digest.substring(0, 12);
    Manifest defaults = new Manifest(fallback, 404, DEFAULT_STEP_BUDGET, RequestRules.DEFAULT);
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
    return new Manifest(revision, status, budget, requests(root.path("requests"), at, report));
  }

  /** The `requests:` mapping: `path_parameters: reject|strip`, `method_override: strip|deny|decide`. */
  private static RequestRules requests(JsonNode node, Span at, Consumer<Diagnostic> report) {
    if (node.isMissingNode() || node.isNull()) {
      return RequestRules.DEFAULT;
    }
    if (!node.isObject()) {
      report.accept(Diagnostic.error("bundle.bad_manifest", at, "`requests` must be a mapping of settings")
          .withHelp("settings are: " + String.join(", ", REQUEST_KEYS)));
      return RequestRules.DEFAULT;
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!REQUEST_KEYS.contains(key)) {
        report.accept(Diagnostic.error("bundle.bad_manifest", at, "unknown setting `requests." + key + "`")
            .withHelp("settings are: " + String.join(", ", REQUEST_KEYS)));
      }
    }
    return new RequestRules(
        choice(node, "path_parameters", RequestRules.PathParameters.class, RequestRules.DEFAULT.pathParameters(), at, report),
        choice(node, "method_override", RequestRules.MethodOverride.class, RequestRules.DEFAULT.methodOverride(), at, report));
  }

  private static <E extends Enum<E>> E choice(JsonNode node, String key, Class<E> type, E fallback, Span at,
      Consumer<Diagnostic> report) {
    JsonNode v = node.path(key);
    if (v.isMissingNode()) {
      return fallback;
    }
    List<String> names = java.util.Arrays.stream(type.getEnumConstants())
        .map(e -> e.name().toLowerCase(java.util.Locale.ROOT)).toList();
    String given = v.isTextual() ? v.asText() : v.toString();
    int i = names.indexOf(given);
    if (i < 0) {
      report.accept(Diagnostic.error("bundle.bad_manifest", at,
          "`requests." + key + "` must be " + String.join(", ", names.subList(0, names.size() - 1)) + " or "
              + names.get(names.size() - 1) + ", found `" + given + "`"));
      return fallback;
    }
    return type.getEnumConstants()[i];
  }
}
