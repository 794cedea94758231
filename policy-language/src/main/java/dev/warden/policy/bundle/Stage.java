package dev.warden.policy.bundle;

import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * One named step of the bundle pipeline ({@link BundleCompiler}). A stage reads what the stages
 * before it left in the {@link CompileState}, reports what it finds as diagnostics and, for the
 * built-in stages, leaves its own result there. Stages are stateless and reusable: everything
 * one run knows is in its state.
 */
public interface Stage {
  /** A short, stable name, such as `check`: what tools ask for ("up to `lint`") and timings show. */
  String name();

  /**
   * Whether this run has what the stage needs. The pipeline stops at the first stage that has
   * not: checking after a file failed to parse would report names the broken file declares.
   */
  boolean canRun(CompileState state);

  void run(CompileState state);

  /** A stage from a name, a precondition and an action, for tools that add their own. */
  static Stage of(String name, Predicate<CompileState> canRun, Consumer<CompileState> run) {
    return new Stage() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public boolean canRun(CompileState state) {
        return canRun.test(state);
      }

      @Override
      public void run(CompileState state) {
        run.accept(state);
      }

      @Override
      public String toString() {
        return name;
      }
    };
  }
}
