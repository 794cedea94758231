package dev.warden.policy.check;

import dev.warden.policy.ast.Decl;
import dev.warden.policy.ast.PolicyFile;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Diagnostics;
import dev.warden.policy.diag.EditDistance;
import dev.warden.policy.diag.Span;
import dev.warden.policy.runtime.HttpTokens;
import dev.warden.policy.runtime.LogRedaction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Checks `redact log { … }` blocks and merges them, across blocks and files, into the bundle's
 * list of log redactions: each entry a header (`request.headers.NAME`), a query parameter
 * (`request.query.NAME`) or a claim (`principal.claims.NAME`) and one of the four actions.
 *
 * <p>Names compare as the sidecar matches them ({@link LogRedaction}): a header or query
 * parameter named twice in any case is one entry. The same entry twice with the same action is
 * a warning (harmless, but one is stale); with two different actions an error, since either
 * reading of the policy would be a guess.
 */
final class RedactionChecker {
  private static final String WHAT_IS_REDACTED =
      "`redact log` takes `request.headers.NAME`, `request.query.NAME` and `principal.claims.NAME`";
  private static final String ACTIONS = "the actions are `mask` (the default), `remove`, `hash` and `last4`";

  private final Diagnostics diagnostics;

  RedactionChecker(Diagnostics diagnostics) {
    this.diagnostics = diagnostics;
  }

  /** The redactions of every block, in the order written; entries with errors are left out. */
  List<LogRedaction> check(List<PolicyFile> files) {
    List<LogRedaction> out = new ArrayList<>();
    Map<String, Written> seen = new HashMap<>();
    for (PolicyFile f : files) {
      for (Decl.RedactLog block : f.declsOf(Decl.RedactLog.class)) {
        for (Decl.RedactEntry e : block.entries()) {
          LogRedaction r = entry(e);
          if (r == null) {
            continue;
          }
          String key = r.field() + " " + r.name();
          Written first = seen.putIfAbsent(key, new Written(r, e.span()));
          if (first == null) {
            out.add(r);
          } else if (first.redaction().action() == r.action()) {
            diagnostics.add(Diagnostic.warning("check.duplicate_redaction", e.span(),
                    "`" + r.path() + "` is redacted twice")
                .withHelp("the first is at " + first.span().fileLine() + "; remove one"));
          } else {
            diagnostics.add(Diagnostic.error("check.bad_redaction", e.span(),
                    "`" + r.path() + "` is redacted twice, with `" + first.redaction().action().keyword() + "` and `"
                        + r.action().keyword() + "`")
                .withHelp("the first is at " + first.span().fileLine() + "; keep one action"));
          }
        }
      }
    }
    return List.copyOf(out);
  }

  private record Written(LogRedaction redaction, Span span) {}

  /** One entry, or null after a diagnostic. */
  private LogRedaction entry(Decl.RedactEntry e) {
    List<Decl.NameRef> path = e.path();
    Decl.NameRef root = path.get(0);
    String expected = switch (root.name()) {
      case "request" -> "headers";
      case "principal" -> "claims";
      default -> null;
    };
    if (expected == null && path.size() == 1 && LogRedaction.Action.of(root.name()) != null) {
      diagnostics.add(Diagnostic.error("check.bad_redaction", root.span(), "`" + root.name() + "` follows no path")
          .withHelp("an action follows the path it applies to, such as `request.headers.x-user-email "
              + root.name() + "`"));
      return null;
    }
    if (expected == null) {
      Diagnostic d = Diagnostic.error("check.unknown_name", root.span(), "unknown name `" + root.name() + "`");
      diagnostics.add(EditDistance.closest(root.name(), List.of("request", "principal"))
          .map(c -> d.withHelp("did you mean `" + c + "`?"))
          .orElse(d.withHelp(WHAT_IS_REDACTED)));
      return null;
    }
    if (path.size() == 1) {
      diagnostics.add(Diagnostic.error("check.bad_redaction", root.span(), "`" + root.name() + "` as a whole cannot be"
          + " redacted").withHelp(WHAT_IS_REDACTED));
      return null;
    }
    LogRedaction.Field field = field(root.name(), path.get(1));
    if (field == null) {
      return null;
    }
    if (path.size() == 2) {
      diagnostics.add(Diagnostic.error("check.bad_redaction", path.get(1).span(), "`" + field.path() + "` needs a name")
          .withHelp("name one " + noun(field) + ", such as `" + field.path() + "." + example(field) + "`"));
      return null;
    }
    if (path.size() > 3) {
      diagnostics.add(Diagnostic.error("check.bad_redaction", path.get(3).span(),
              "`" + field.path() + "." + path.get(2).name() + "` has no fields to redact")
          .withHelp("a redaction names one " + noun(field) + (field == LogRedaction.Field.CLAIM
              ? "; redact the whole claim `" + field.path() + "." + path.get(2).name() + "`" : "")));
      return null;
    }
    String name = name(field, path.get(2));
    if (name == null) {
      return null;
    }
    LogRedaction.Action action = LogRedaction.Action.MASK;
    if (e.action() != null) {
      action = LogRedaction.Action.of(e.action());
      if (action == null) {
        Diagnostic d = Diagnostic.error("check.bad_redaction", e.actionSpan(),
            "`" + e.action() + "` is not a redaction action");
        diagnostics.add(EditDistance.closest(e.action(), List.of("mask", "remove", "hash", "last4"))
            .map(c -> d.withHelp("did you mean `" + c + "`? " + ACTIONS))
            .orElse(d.withHelp(ACTIONS)));
        return null;
      }
    }
    return new LogRedaction(field, name, action, e.span().fileLine());
  }

  /** `request.headers`, `request.query` or `principal.claims`; null after a diagnostic. */
  private LogRedaction.Field field(String root, Decl.NameRef second) {
    String n = second.name();
    if (root.equals("request") && n.equals("headers")) {
      return LogRedaction.Field.HEADER;
    }
    if (root.equals("request") && n.equals("query")) {
      return LogRedaction.Field.QUERY;
    }
    if (root.equals("principal") && n.equals("claims")) {
      return LogRedaction.Field.CLAIM;
    }
    List<String> fields = root.equals("request") ? List.of("headers", "query") : List.of("claims");
    java.util.Optional<String> near = EditDistance.closest(n, fields);
    // Any other field of the principal (declared in its block, or `roles`) is known but not redactable.
    boolean known = root.equals("principal") || InputField.of(root, n).isPresent();
    if (known && near.isEmpty()) {
      diagnostics.add(Diagnostic.error("check.bad_redaction", second.span(), "`" + root + "." + n + "` cannot be redacted")
          .withHelp(WHAT_IS_REDACTED));
      return null;
    }
    Diagnostic d = Diagnostic.error("check.unknown_field", second.span(), "`" + root + "` has no field `" + n + "`");
    diagnostics.add(near
        .map(c -> d.withHelp("did you mean `" + root + "." + c + "`?"))
        .orElse(d.withHelp(WHAT_IS_REDACTED)));
    return null;
  }

  /** The name as the sidecar compares it, or null after a diagnostic. */
  private String name(LogRedaction.Field field, Decl.NameRef ref) {
    String n = ref.name();
    if (n.isEmpty()) {
      diagnostics.add(Diagnostic.error("check.bad_redaction", ref.span(), "the " + noun(field) + " name is empty")
          .withHelp("name one " + noun(field) + ", such as `" + field.path() + "." + example(field) + "`"));
      return null;
    }
    return switch (field) {
      case HEADER -> {
        String lower = HttpTokens.headerName(n);
        if (lower == null) {
          diagnostics.add(Diagnostic.error("check.bad_redaction", ref.span(), "`" + n + "` is not a header name")
              .withHelp("header names are ASCII letters, digits and ``!#$%&'*+-.^_`|~``"));
        }
        yield lower;
      }
      case QUERY -> n.toLowerCase(Locale.ROOT);
      case CLAIM -> n;
    };
  }

  private static String noun(LogRedaction.Field field) {
    return switch (field) {
      case HEADER -> "header";
      case QUERY -> "query parameter";
      case CLAIM -> "claim";
    };
  }

  private static String example(LogRedaction.Field field) {
    return switch (field) {
      case HEADER -> "x-user-email";
      case QUERY -> "email";
      case CLAIM -> "email";
    };
  }
}
