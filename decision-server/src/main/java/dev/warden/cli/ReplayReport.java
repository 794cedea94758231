package dev.warden.cli;

import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.RuleRef;
import dev.warden.proto.v1.DecisionLog;
import dev.warden.proto.v1.LoggedRule;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What `warden replay` found, in bounded memory: counts, the first bad lines, and per group of
 * changes (the rule that changed them) a count and the first few examples. Groups are as many as
 * the bundles' rules, whatever the log's length. Rendered as text or as one JSON document.
 */
final class ReplayReport {
  /** Bad lines listed; every one is counted. */
  static final int BAD_LINES_SHOWN = 20;

  /** A decision as it was recorded or replayed: the answer and the rules behind it. */
  record Answer(boolean allowed, String outcome, int status, List<String> rules) {
    static Answer of(DecisionLog r) {
      return new Answer(r.getAllowed(), r.getOutcome(), r.getStatus(),
          r.getRulesList().stream().map(LoggedRule::getId).toList());
    }

    static Answer of(Decision d) {
      return new Answer(d.allowed(), d.outcome().label(), d.status(), d.rules().stream().map(RuleRef::id).toList());
    }

    /** Whether the client would get another answer: allowed, status or outcome differ. */
    boolean answersOtherwise(Answer o) {
      return allowed != o.allowed || status != o.status || !outcome.equals(o.outcome);
    }

    Map<String, Object> json() {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("allowed", allowed);
      out.put("outcome", outcome);
      out.put("status", status);
      out.put("rules", rules);
      return out;
    }

    @Override
    public String toString() {
      return outcome + " " + status + (rules.isEmpty() ? "" : " (" + String.join(", ", rules) + ")");
    }
  }

  /** One changed decision, as an example of its group. */
  record Example(String decisionId, String method, String path, String principal, Answer before, Answer after,
      List<String> maskedInputs) {
    Map<String, Object> json() {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("decisionId", decisionId);
      out.put("method", method);
      out.put("path", path);
      out.put("principal", principal);
      out.put("before", before.json());
      out.put("after", after.json());
      out.put("maskedInputs", maskedInputs);
      return out;
    }
  }

  /** The changes one rule made: how many, and the first examples. */
  static final class Group {
    final String rule;
    final String location;
    long count;
    final List<Example> examples = new ArrayList<>();

    Group(String rule, String location) {
      this.rule = rule;
      this.location = location;
    }

    Map<String, Object> json() {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("rule", rule);
      out.put("location", location);
      out.put("count", count);
      out.put("examples", examples.stream().map(Example::json).toList());
      return out;
    }
  }

  /** A line that is not a record Warden can replay. */
  record BadLine(String source, long line, String error) {}

  private final int examplesPerGroup;
  long records;
  long replayed;
  long changed;
  long rulesChanged;
  long maskedInputs;
  long badLines;
  final Map<String, Long> skipped = new TreeMap<>();
  final List<BadLine> badShown = new ArrayList<>();
  final List<String> unreadable = new ArrayList<>();
  private final Map<String, Group> changes = new TreeMap<>();
  private final Map<String, Group> ruleChanges = new TreeMap<>();

  ReplayReport(int examplesPerGroup) {
    this.examplesPerGroup = examplesPerGroup;
  }

  void skip(String cause) {
    skipped.merge(cause, 1L, Long::sum);
  }

  void bad(String source, long line, String error) {
    badLines++;
    if (badShown.size() < BAD_LINES_SHOWN) {
      badShown.add(new BadLine(source, line, error));
    }
  }

  /**
   * Counts one replayed record. A change is put under the candidate's deciding rule, or the
   * recorded one when the candidate decided without a rule (a default deny, no route), or under
   * the candidate's outcome in parentheses when neither had one.
   */
  void replayed(DecisionLog r, Decision now, List<String> masked) {
    replayed++;
    if (!masked.isEmpty()) {
      maskedInputs++;
    }
    Answer before = Answer.of(r);
    Answer after = Answer.of(now);
    Map<String, Group> into;
    if (before.answersOtherwise(after)) {
      changed++;
      into = changes;
    } else if (!before.rules().equals(after.rules())) {
      rulesChanged++;
      into = ruleChanges;
    } else {
      return;
    }
    String rule;
    String location;
    if (!now.rules().isEmpty()) {
      rule = String.join(", ", after.rules());
      location = String.join(", ", now.rules().stream().map(RuleRef::location).toList());
    } else if (r.getRulesCount() > 0) {
      rule = String.join(", ", before.rules());
      location = String.join(", ", r.getRulesList().stream().map(LoggedRule::getLocation).toList());
    } else {
      rule = "(" + after.outcome() + ")";
      location = "";
    }
    Group g = into.computeIfAbsent(rule, k -> new Group(k, location));
    g.count++;
    if (g.examples.size() < examplesPerGroup) {
      String principal = r.getPrincipal().getId().isEmpty() ? "(" + r.getPrincipal().getCredential() + ")"
          : r.getPrincipal().getId();
      g.examples.add(new Example(r.getDecisionId(), r.getRequest().getMethod(), r.getRequest().getPath(),
          principal.equals("()") ? "(anonymous)" : principal, before, after, masked));
    }
  }

  long skippedTotal() {
    return skipped.values().stream().mapToLong(Long::longValue).sum();
  }

  /** The groups by count, most first, then by rule. */
  private static List<Group> sorted(Map<String, Group> groups) {
    List<Group> out = new ArrayList<>(groups.values());
    out.sort((a, b) -> a.count != b.count ? Long.compare(b.count, a.count) : a.rule.compareTo(b.rule));
    return out;
  }

  Map<String, Object> json(String bundleDir, String revision) {
    Map<String, Object> out = new LinkedHashMap<>();
    Map<String, Object> bundle = new LinkedHashMap<>();
    bundle.put("path", bundleDir);
    bundle.put("revision", revision);
    out.put("bundle", bundle);
    out.put("records", records);
    out.put("replayed", replayed);
    out.put("changed", changed);
    out.put("rulesChanged", rulesChanged);
    out.put("skipped", skippedTotal());
    out.put("skippedByCause", skipped);
    out.put("maskedInputs", maskedInputs);
    out.put("badLines", badLines);
    out.put("badLinesShown", badShown.stream().map(b -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("source", b.source());
      m.put("line", b.line());
      m.put("error", b.error());
      return m;
    }).toList());
    out.put("unreadable", unreadable);
    out.put("changes", sorted(changes).stream().map(Group::json).toList());
    out.put("ruleChanges", sorted(ruleChanges).stream().map(Group::json).toList());
    return out;
  }

  void text(PrintWriter out, String bundleDir, String revision) {
    out.printf("replayed against %s (%s)%n", revision, bundleDir);
    out.printf("%d records, %d replayed, %d changed, %d rules changed, %d skipped%n", records, replayed, changed,
        rulesChanged, skippedTotal());
    if (!skipped.isEmpty()) {
      List<String> causes = new ArrayList<>();
      skipped.forEach((cause, n) -> causes.add(cause + " " + n));
      out.println("skipped: " + String.join(", ", causes));
    }
    if (maskedInputs > 0) {
      out.printf("%d replayed record(s) had masked inputs that the route's rules read: replay saw `[masked]`%n",
          maskedInputs);
    }
    if (badLines > 0) {
      out.printf("%d bad line(s)%s:%n", badLines, badLines > badShown.size() ? ", the first " + badShown.size() : "");
      badShown.forEach(b -> out.printf("  %s:%d: %s%n", b.source(), b.line(), b.error()));
    }
    unreadable.forEach(u -> out.println("unreadable: " + u));
    section(out, "changed decisions", changes);
    section(out, "rules changed, same answer", ruleChanges);
    out.flush();
  }

  private static void section(PrintWriter out, String title, Map<String, Group> groups) {
    if (groups.isEmpty()) {
      return;
    }
    out.println();
    out.println(title + ":");
    for (Group g : sorted(groups)) {
      out.printf("  %s%s: %d%n", g.rule, g.location.isEmpty() ? "" : " at " + g.location, g.count);
      for (Example e : g.examples) {
        out.printf("    %s %s %s %s: %s → %s%s%n", e.decisionId(), e.method(), e.path(), e.principal(), e.before(),
            e.after(), e.maskedInputs().isEmpty() ? "" : " (masked inputs: " + String.join(", ", e.maskedInputs())
                + ")");
      }
    }
  }
}
