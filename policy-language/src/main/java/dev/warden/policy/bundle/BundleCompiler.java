package dev.warden.policy.bundle;

import dev.warden.policy.ast.PolicyFile;
import dev.warden.policy.check.BundleChecker;
import dev.warden.policy.check.CheckedBundle;
import dev.warden.policy.compile.Compiler;
import dev.warden.policy.compile.Program;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Diagnostics;
import dev.warden.policy.diag.SourceFile;
import dev.warden.policy.diag.Span;
import dev.warden.policy.parser.ParseResult;
import dev.warden.policy.parser.PolicyParser;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole pipeline, as a named list of stages: parse every file, check the bundle, compile it.
 * A stage that finds errors stops the pipeline after reporting all it found; the CLI and the
 * server both go through here, so offline tests run the very program the sidecar runs.
 */
public final class BundleCompiler {
  /** The stages, in order. */
  public enum Stage {
    PARSE,
    CHECK,
    COMPILE
  }

  private final PolicyParser parser = new PolicyParser();

  public CompileResult compile(Bundle bundle) {
    Diagnostics diagnostics = new Diagnostics();
    Map<String, SourceFile> sources = new LinkedHashMap<>();
    List<PolicyFile> files = new ArrayList<>();
    for (SourceFile source : bundle.policies()) {
      sources.put(source.name(), source);
      ParseResult parsed = parser.parse(source);
      diagnostics.addAll(parsed.diagnostics());
      parsed.ast().ifPresent(files::add);
    }
    if (sources.isEmpty()) {
      diagnostics.add(Diagnostic.error("bundle.empty", Span.of("."), "bundle has no `.warden` files")
          .withHelp("a bundle is a folder of `.warden` policy files, with `data/` beside them"));
    }
    if (diagnostics.hasErrors()) {
      // Stop after the parse stage: checking the rest would report names the broken files declare.
      return new CompileResult(null, null, diagnostics.sorted(), diagnostics.dropped(), sources);
    }
    Optional<CheckedBundle> checked = new BundleChecker(diagnostics).check(bundle, files, sources);
    if (diagnostics.hasErrors() || checked.isEmpty()) {
      return new CompileResult(null, null, diagnostics.sorted(), diagnostics.dropped(), sources);
    }
    Program program = Compiler.compile(checked.get());
    return new CompileResult(checked.get(), program, diagnostics.sorted(), diagnostics.dropped(), sources);
  }
}
