package dev.warden.policy.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Span;
import dev.warden.policy.runtime.RequestRules;
import dev.warden.policy.source.Bundle;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongPredicate;

/**
 * The optional `bundle.yaml` of a bundle.
 *
 * @param revision the bundle's revision as shown in decisions, status and metrics: the author's
 *     {@code label}, `@`, then `sha256:` and the first 12 hex digits of the content digest of every
 *     file ({@code shop-2026.11.1@sha256:3f2a9c1b7d0e}); without a label, the digest part alone. Two
 *     bundles with different content show different revisions, even with the same label (48 bits:
 *     no chance collisions; the full digest, which Warden compares, is in the status)
 * @param label the author's `revision:` from `bundle.yaml`, or null when it has none
 * @param undeclaredStatus the status for a request to an undeclared route: 404 (default) or 403
 * @param stepBudget the most evaluation steps one decision may take
 * @param requests how strictly requests are read where upstream servers disagree (`requests:`)
 */
public record Manifest(String revision, String label, int undeclaredStatus, int stepBudget, RequestRules requests) {
  public static final int DEFAULT_STEP_BUDGET = 10_000;
  private static final List<String> KEYS = List.of("revision", "undeclared_status", "step_budget", "requests");
  /** The longest `revision:` label: it is shown in headers, metrics and log lines. */
  public static final int MAX_LABEL = 128;
  private static final List<String> REQUEST_KEYS = List.of("path_parameters", "method_override");

  public static Manifest parse(String text, String digest, Consumer<Diagnostic> report) {
    String fallback = "sha256:" + digest.substring(0, 12);
    Manifest defaults = new Manifest(fallback, null, 404, DEFAULT_STEP_BUDGET, RequestRules.DEFAULT);
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
    String label = label(root.get("revision"), at, report);
    String revision = label == null ? fallback : label + "@" + fallback;
    int status = (int) whole(root.get("undeclared_status"), "undeclared_status", 404,
        n -> n == 403 || n == 404, "403 or 404", at, report);
    int budget = (int) whole(root.get("step_budget"), "step_budget", DEFAULT_STEP_BUDGET,
        n -> n >= 100 && n <= 10_000_000, "between 100 and 10000000", at, report);
    return new Manifest(revision, label, status, budget, requests(root.path("requests"), at, report));
  }

  /**
   * `revision:` must be text. A YAML number is refused rather than converted, because YAML has
   * already changed it: `2026.10` is read as the number 2026.1, `0012` as 10. The label is
   * visible ASCII (no spaces, no control characters) of at most {@link #MAX_LABEL} characters: it
   * goes into response metadata, metric labels and log lines as it is.
   *
   * @return the label, or null when there is none (or it is refused: the error is reported)
   */
  private static String label(JsonNode v, Span at, Consumer<Diagnostic> report) {
    if (v == null) {
      return null;
    }
    if (!v.isTextual()) {
      report.accept(Diagnostic.error("bundle.bad_manifest", at, "`revision` must be a string, found " + shown(v))
          .withHelp(v.isValueNode() && !v.isNull()
              ? "put it in quotes, such as `revision: \"2026.10\"`: unquoted, YAML reads a number or boolean as one"
                  + " and may change it (`2026.10` becomes 2026.1)"
              : "write the revision as one string, such as `revision: r1`"));
      return null;
    }
    String text = v.asText();
    if (text.isBlank()) {
      report.accept(Diagnostic.error("bundle.bad_manifest", at, "`revision` must not be empty")
          .withHelp("remove the line to use the content digest as the revision"));
      return null;
    }
    int bad = -1;
    for (int i = 0; i < text.length() && bad < 0; i++) {
      char c = text.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        bad = i;
      }
    }
    if (bad >= 0 || text.length() > MAX_LABEL) {
      String what = bad >= 0
          ? String.format("`revision` may hold visible ASCII only, found U+%04X at character %d", (int) text.charAt(bad),
              bad + 1)
          : "`revision` is " + text.length() + " characters long, more than " + MAX_LABEL;
      report.accept(Diagnostic.error("bundle.bad_manifest", at, what)
          .withHelp("use a short label of letters, digits and `.-_:+`, such as `revision: shop-2026.11.1`: it is shown"
              + " in headers, metrics and logs as written, followed by the content digest"));
      return null;
    }
    return text;
  }

  /**
   * A whole-number setting, or {@code fallback} when absent. Anything else is an error naming the
   * value, a quoted number, a fraction and a list included: `asInt` used to read `abc` and `[1]`
   * as 0 and `1.5` as 1. After an error the fallback is returned, so that one mistake is reported once.
   *
   * @param range what {@code valid} accepts, for the message
   */
  private static long whole(JsonNode v, String key, long fallback, LongPredicate valid, String range, Span at,
      Consumer<Diagnostic> report) {
    if (v == null) {
      return fallback;
    }
    if (!v.isIntegralNumber()) {
      Diagnostic d = Diagnostic.error("bundle.bad_manifest", at, "`" + key + "` must be a whole number, found " + shown(v));
      if (v.isTextual() && v.asText().trim().matches("[+-]?[0-9]+")) {
        d = d.withHelp("write the number without quotes: `" + key + ": " + v.asText().trim() + "`");
      }
      report.accept(d);
      return fallback;
    }
    if (!v.canConvertToLong() || !valid.test(v.longValue())) {
      report.accept(Diagnostic.error("bundle.bad_manifest", at, "`" + key + "` must be " + range + ", found " + shown(v)));
      return fallback;
    }
    return v.longValue();
  }

  /** A value as the message shows it: as YAML read it, in JSON form (text in quotes), in backticks. */
  private static String shown(JsonNode v) {
    return v.isNull() ? "no value" : "`" + v + "`";
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
