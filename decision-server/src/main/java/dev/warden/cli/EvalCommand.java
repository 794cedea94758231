package dev.warden.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.EvalError;
import dev.warden.policy.runtime.Obligations;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.runtime.RuleRef;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** `warden eval DIR --request FILE.json`: decide one request and print the decision as JSON. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Decide one request (a JSON file, `-` for standard input) and print the decision.")
final class EvalCommand implements Callable<Integer> {
  @CommandLine.Mixin BundleOption bundle;

  @CommandLine.Option(names = "--request", required = true, paramLabel = "FILE", description = "The request as JSON.")
  String requestFile;

  @CommandLine.Option(names = "--explain", description = "Include the explanation: which rule decided and why.")
  boolean explain;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    String text;
    try {
      text = requestFile.equals("-")
          ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
          : Files.readString(Path.of(requestFile));
    } catch (IOException e) {
      spec.commandLine().getErr().println("error: cannot read request file `" + requestFile + "`: " + e.getMessage());
      return WardenCli.USAGE;
    }
    Request request;
    try {
      request = RequestJson.parse(text, Instant.now());
    } catch (RequestJson.BadRequestFile e) {
      spec.commandLine().getErr().println("error: " + e.getMessage());
      return WardenCli.USAGE;
    }
    int[] exit = {WardenCli.OK};
    CompileResult result = bundle.compile(spec, exit);
    if (result == null) {
      return exit[0];
    }
    Decision d = result.program().decide(request);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("allowed", d.allowed());
    out.put("outcome", d.outcome().label());
    out.put("status", d.status());
    out.put("reason", d.reason());
    out.put("route", d.route());
    out.put("rules", d.rules().stream().map(RuleRef::id).toList());
    out.put("revision", d.revision());
    if (!d.obligations().isEmpty()) {
      out.put("obligations", obligations(d.obligations(), request.headers()));
    }
    if (!d.errors().isEmpty()) {
      out.put("errors", d.errors().stream().map(EvalCommand::error).toList());
    }
    if (!d.charges().isEmpty()) {
      // What the request costs each quota, and what a bucket that is full (as for a first request) answers.
      out.put("quotas", d.charges().stream().map(c -> {
        Map<String, Object> one = new LinkedHashMap<>();
        one.put("quota", c.quota().id());
        one.put("key", c.key());
        one.put("cost", c.cost());
        one.put("scope", c.quota().global() ? "global" : "local");
        if (c.quota().shadow()) {
          one.put("shadow", true);
        }
        one.put("admitted_when_full", c.cost() <= c.quota().burst());
        one.put("burst", c.quota().burst());
        return one;
      }).toList());
    }
    if (!d.violations().isEmpty()) {
      out.put("violations", d.violations().stream()
          .map(v -> {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("path", v.path());
            one.put("problem", v.problem());
            return one;
          }).toList());
    }
    if (explain) {
      out.put("explanation", d.explanation());
      out.put("locations", d.rules().stream().map(RuleRef::location).toList());
    }
    spec.commandLine().getOut().println(
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out));
    return WardenCli.OK;
  }

  /**
   * What the sidecar has Envoy do: headers written to the upstream request (`set`, or `append`ed
   * to the first value), client headers stripped (names and patterns, and which of the request's
   * headers they strip, `_` spellings included), query parameters stripped, and headers of the
   * client's response. Only the parts that have something.
   */
  private static Map<String, Object> obligations(Obligations o, Map<String, String> requestHeaders) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (!o.upstreamHeaders().isEmpty()) {
      out.put("headers", o.upstreamHeaders().stream().map(EvalCommand::header).toList());
    }
    List<String> removed = new ArrayList<>(o.removeUpstreamHeaders());
    removed.addAll(o.removeUpstreamPatterns());
    if (!removed.isEmpty()) {
      out.put("remove_headers", removed);
    }
    List<String> stripped = requestHeaders.keySet().stream().filter(o::strips).sorted().toList();
    if (!stripped.isEmpty()) {
      out.put("stripped_headers", stripped);
    }
    if (!o.removeQueryParameters().isEmpty()) {
      out.put("remove_query", o.removeQueryParameters());
    }
    if (!o.responseHeaders().isEmpty()) {
      out.put("response_headers", o.responseHeaders().stream().map(EvalCommand::header).toList());
    }
    return out;
  }

  private static Map<String, Object> header(Obligations.Header h) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("action", h.append() ? "append" : "set");
    out.put("name", h.name());
    out.put("value", h.value());
    return out;
  }

  private static Map<String, Object> error(EvalError e) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("kind", e.kind().label());
    out.put("rule", e.rule() == null ? null : e.rule().id());
    out.put("location", e.location());
    out.put("message", e.message());
    return out;
  }
}
