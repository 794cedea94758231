package dev.warden.policy.bundle;

import dev.warden.policy.ast.PolicyFile;
import dev.warden.policy.check.BundleChecker;
import dev.warden.policy.compile.Compiler;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.SourceFile;
import dev.warden.policy.lint.Lints;
import dev.warden.policy.load.LoadedBundle;
import dev.warden.policy.load.Loader;
import dev.warden.policy.parser.ParseResult;
import dev.warden.policy.parser.PolicyParser;
import dev.warden.policy.source.Bundle;
import dev.warden.policy.testing.PolicyTest;
import dev.warden.policy.testing.PolicyTests;
import dev.warden.policy.testing.TestOutcome;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The bundle pipeline: an ordered list of named stages, `load → parse → check → lint → compile`,
 * run over one {@link CompileState}. Each stage reports all it finds; the run stops at the first
 * stage that cannot use what the stages before it left (see {@link Stage#canRun}): a file that
 * failed to decode or parse stops it before `check`, and an error anywhere stops it before
 * `compile`, while `lint`, which only warns, still runs after check errors. The CLI, the server
 * and embedders all compile through here, so offline tests run the very program the sidecar runs.
 *
 * <p>Immutable: {@link #upTo} and {@link #withStageAfter} return new pipelines. A tool runs part
 * of it (`warden check` stops after `lint`) or adds a stage (a signature check after `load`, a
 * test gate after `compile`).
 */
public final class BundleCompiler {
  public static final String LOAD = "load";
  public static final String PARSE = "parse";
  public static final String CHECK = "check";
  public static final String LINT = "lint";
  public static final String COMPILE = "compile";
  /** The activation gate's name: the bundle's own `test` blocks ({@link #testGate}). */
  public static final String TEST_GATE = "test_gate";

  private static final List<Stage> STANDARD = List.of(
      Stage.of(LOAD, s -> true, BundleCompiler::load),
      Stage.of(PARSE, s -> s.loaded().isPresent(), BundleCompiler::parse),
      Stage.of(CHECK, CompileState::allParsed, BundleCompiler::check),
      Stage.of(LINT, s -> s.checked().isPresent(), s -> new Lints(s.diagnostics()).run(s.checked().get())),
      Stage.of(COMPILE, s -> s.checked().isPresent() && !s.diagnostics().hasErrors(),
          s -> s.program(Compiler.compile(s.checked().get()))));

  private final List<Stage> stages;

  /** The standard pipeline, every stage. */
  public BundleCompiler() {
    this(STANDARD);
  }

  private BundleCompiler(List<Stage> stages) {
    this.stages = List.copyOf(stages);
  }

  public static BundleCompiler standard() {
    return new BundleCompiler();
  }

  public List<Stage> stages() {
    return stages;
  }

  /** The stages' names, in order. */
  public List<String> stageNames() {
    return stages.stream().map(Stage::name).toList();
  }

  /** This pipeline up to and including the stage {@code name}. */
  public BundleCompiler upTo(String name) {
    return new BundleCompiler(stages.subList(0, indexOf(name) + 1));
  }

  /** This pipeline with {@code stage} added right after the stage {@code name}. */
  public BundleCompiler withStageAfter(String name, Stage stage) {
    if (stageNames().contains(stage.name())) {
      throw new IllegalArgumentException("the pipeline already has a stage `" + stage.name() + "`");
    }
    List<Stage> more = new ArrayList<>(stages);
    more.add(indexOf(name) + 1, stage);
    return new BundleCompiler(more);
  }

  /**
   * The activation gate, a stage to add after {@link #COMPILE}: it runs the bundle's own `test`
   * blocks against the program just compiled, and each failing test is an error
   * (`bundle.test_failed`, pointing at the test), so that a bundle whose tests fail never
   * compiles clean. {@code now} is the time of a test without `at`: the language reads no clock.
   */
  public static Stage testGate(Supplier<Instant> now) {
    return Stage.of(TEST_GATE, s -> s.program().isPresent() && !s.diagnostics().hasErrors(), s -> {
      Instant at = now.get();
      for (PolicyTest test : PolicyTests.of(s.checked().orElseThrow(), s.program().orElseThrow(), name -> true)) {
        TestOutcome outcome = test.run(at);
        if (!outcome.passed()) {
          String why = outcome.failure() == null ? "" : outcome.failure().lines().findFirst().orElse("");
          s.diagnostics().add(Diagnostic.error("bundle.test_failed", test.span(),
              "bundle test `" + test.name() + "` failed: " + why)
              .withHelp("run `warden test` on the bundle; the last good bundle keeps serving"));
        }
      }
    });
  }

  private int indexOf(String name) {
    int i = stageNames().indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException("no stage `" + name + "`; the stages are " + String.join(", ", stageNames()));
    }
    return i;
  }

  /** Runs the pipeline; the result's timings are all 0. */
  public CompileResult compile(Bundle bundle) {
    return compile(bundle, () -> 0L);
  }

  /**
   * Runs the pipeline, timing each stage with {@code ticker}, a clock in nanoseconds that the
   * caller owns (`System::nanoTime` in the CLI and the server): the language reads no clock.
   */
  public CompileResult compile(Bundle bundle, LongSupplier ticker) {
    CompileState state = new CompileState(bundle);
    List<StageTiming> timings = new ArrayList<>();
    for (Stage stage : stages) {
      if (!stage.canRun(state)) {
        break;
      }
      long start = ticker.getAsLong();
      stage.run(state);
      timings.add(new StageTiming(stage.name(), ticker.getAsLong() - start));
    }
    Map<String, SourceFile> sources = state.loaded().map(LoadedBundle::sources).orElse(Map.of());
    boolean clean = !state.diagnostics().hasErrors();
    return new CompileResult(clean ? state.checked().orElse(null) : null, clean ? state.program().orElse(null) : null,
        state.diagnostics().sorted(), state.diagnostics().dropped(), sources, timings, timings.size() == stages.size());
  }

  private static void load(CompileState state) {
    state.loaded(new Loader(state.diagnostics()).load(state.bundle()));
  }

  private static void parse(CompileState state) {
    PolicyParser parser = new PolicyParser();
    LoadedBundle loaded = state.loaded().orElseThrow();
    List<PolicyFile> files = new ArrayList<>();
    boolean all = loaded.allPoliciesRead();
    for (SourceFile source : loaded.policies()) {
      ParseResult parsed = parser.parse(source);
      state.diagnostics().addAll(parsed.diagnostics());
      parsed.ast().ifPresent(files::add);
      all &= !parsed.hasErrors() && parsed.ast().isPresent();
    }
    state.parsed(files, all);
  }

  private static void check(CompileState state) {
    state.checked(new BundleChecker(state.diagnostics(), route -> dev.warden.policy.check.RequestModel.DEFAULT,
        state.bundle()).check(state.loaded().orElseThrow(), state.parsed().orElseThrow()));
  }
}
