package dev.warden.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.warden.bundle.BundleReadException;
import dev.warden.bundle.BundleReader;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.Decision;
import dev.warden.proto.v1.DecisionLog;
import dev.warden.server.decisionlog.RecordEncoder;
import dev.warden.server.decisionlog.Replayer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * `warden replay LOG… --bundle DIR`: re-decides the requests of decision logs with a candidate
 * bundle and reports every decision that would change, grouped by the rule that changed it.
 *
 * <p>Each record's request goes through the sidecar's own path ({@link Replayer}: the record
 * rebuilt as Envoy's Check, mapped and decided by the server's Authorizer); only the caller comes
 * from the record, whose credential was masked. The log is streamed: memory holds counts and a
 * few examples a group.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = {"Re-decide the requests of decision logs with a candidate bundle and report what would change.",
        "LOG is a file (gzip or not), a folder of decisions.log* files, or `-` for standard input; give several in order.",
        "Exit codes: 0 done, 2 usage, 3 policy errors, 6 decisions changed (with --fail-on-change), 7 no log readable."})
final class ReplayCommand implements Callable<Integer> {
  /** Some decision changed and `--fail-on-change` was given. */
  static final int CHANGED = 6;
  /** Not one record could be read: every source unreadable, or every line bad. */
  static final int LOG_UNREADABLE = 7;

  enum Format { text, json }

  @CommandLine.Parameters(arity = "1..*", paramLabel = "LOG",
      description = "Decision logs, oldest first: files, folders of decisions.log*, or `-`.")
  List<String> logs;

  @CommandLine.Option(names = "--bundle", required = true, paramLabel = "DIR",
      description = "The candidate bundle: a directory or a .tar.gz archive.")
  Path bundle;

  @CommandLine.Option(names = "--format", defaultValue = "text", paramLabel = "text|json",
      description = "The report: text (default) or one JSON document.")
  Format format;

  @CommandLine.Option(names = "--fail-on-change", description = "Exit 6 when any decision would change.")
  boolean failOnChange;

  @CommandLine.Option(names = "--examples", defaultValue = "3", paramLabel = "N",
      description = "Example decisions shown for each rule (default 3).")
  int examples;

  @CommandLine.Option(names = "--failure-status", defaultValue = "403", paramLabel = "403|500|503",
      description = "The sidecar's `authz.failure_status`: the status of an `error` outcome (default 403).")
  int failureStatus;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    if (failureStatus != 403 && failureStatus != 500 && failureStatus != 503) {
      err.println("error: --failure-status must be 403, 500 or 503 (the sidecar's `authz.failure_status`), found "
          + failureStatus);
      return WardenCli.USAGE;
    }
    if (examples < 0 || examples > 1000) {
      err.println("error: --examples must be between 0 and 1000, found " + examples);
      return WardenCli.USAGE;
    }
    List<String> sources;
    try {
      sources = DecisionLogLines.expand(logs);
    } catch (DecisionLogLines.Unreadable e) {
      err.println("error: " + e.getMessage());
      return LOG_UNREADABLE;
    }
    CompileResult compiled;
    try {
      int[] exit = {WardenCli.OK};
      compiled = BundleOption.compile(BundleReader.read(bundle), bundle.toString(), BundleCompiler.standard(), spec,
          exit);
      if (compiled == null) {
        return exit[0];
      }
    } catch (BundleReadException e) {
      err.println("error: " + e.getMessage());
      return WardenCli.USAGE;
    }
    Program program = compiled.program();
    Replay replay = new Replay(new Replayer(program, bundle.toString(), failureStatus), new RuleInputs(compiled.checked()), new ReplayReport(examples));
    for (String source : sources) {
      try {
        DecisionLogLines.read(source, System.in, replay::line);
      } catch (DecisionLogLines.Unreadable e) {
        replay.report.unreadable.add(e.getMessage());
        err.println("warning: " + e.getMessage());
      }
    }
    ReplayReport report = replay.report;
    if (report.records == 0 && (report.badLines > 0 || !report.unreadable.isEmpty())) {
      report.badShown.forEach(b -> err.println("error: " + b.source() + ":" + b.line() + ": " + b.error()));
      err.println("error: no decision record could be read from " + String.join(", ", logs));
      return LOG_UNREADABLE;
    }
    PrintWriter out = spec.commandLine().getOut();
    if (format == Format.json) {
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(report.json(bundle.toString(), program.revision())));
      out.flush();
    } else {
      report.text(out, bundle.toString(), program.revision());
    }
    return failOnChange && report.changed > 0 ? CHANGED : WardenCli.OK;
  }

  /** Reads and replays one line at a time. */
  private static final class Replay {
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
    final Replayer replayer;
    final RuleInputs inputs;
    final ReplayReport report;

    Replay(Replayer replayer, RuleInputs inputs, ReplayReport report) {
      this.replayer = replayer;
      this.inputs = inputs;
      this.report = report;
    }

    void line(DecisionLogLines.Line line) {
      if (line.text() == null) {
        report.bad(line.source(), line.number(), "longer than " + DecisionLogLines.MAX_LINE_CHARS
            + " characters: not a decision record");
        return;
      }
      if (line.text().isBlank()) {
        return;
      }
      DecisionLog.Builder b = DecisionLog.newBuilder();
      try {
        PARSER.merge(line.text(), b);
      } catch (InvalidProtocolBufferException | RuntimeException e) {
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().split("\n")[0];
        report.bad(line.source(), line.number(), line.text().stripLeading().startsWith("{")
            ? "not a decision record: " + why : "not a JSON object");
        return;
      }
      DecisionLog r = b.build();
      if (r.getVersion() == 0 || r.getDecisionId().isEmpty()) {
        report.bad(line.source(), line.number(), "not a decision record: it has no `version` or no `decisionId`");
        return;
      }
      if (r.getVersion() > RecordEncoder.VERSION) {
        report.bad(line.source(), line.number(), "record version " + r.getVersion()
            + " is newer than this warden reads (" + RecordEncoder.VERSION + "); replay it with a newer warden");
        return;
      }
      report.records++;
      if (!r.getCause().equals("policy")) {
        report.skip(r.getCause().isEmpty() ? "unknown" : r.getCause());
      } else if (!r.hasRequest()) {
        report.skip("no_request");
      } else if (!Replayer.statesCaller(r)) {
        report.skip("no_claims");
      } else {
        Decision now = replayer.decide(r);
        String route = now.route() != null ? now.route() : r.getRoute();
        report.replayed(r, now, inputs.maskedReads(route.isEmpty() ? null : route, r.getMaskedList()));
      }
    }
  }
}
