package dev.warden.policy.testing;

import dev.warden.policy.check.CheckedBundle;
import dev.warden.policy.compile.Program;
import java.util.List;
import java.util.function.Predicate;

/** The `test` blocks of a compiled bundle, in file order (`CompileResult.tests` asks here). */
public final class PolicyTests {
  private PolicyTests() {}

  /** The tests whose name the filter accepts, to run against {@code program}, compiled from {@code checked}. */
  public static List<PolicyTest> of(CheckedBundle checked, Program program, Predicate<String> filter) {
    List<String> fieldIds = checked.fieldIds().names();
    return checked.tests().stream()
        .filter(t -> filter.test(t.name()))
        .map(t -> new PolicyTest(t, program, fieldIds))
        .toList();
  }
}
