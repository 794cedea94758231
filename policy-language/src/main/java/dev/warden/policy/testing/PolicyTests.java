package dev.warden.policy.testing;

import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.check.CheckedBundle;
import java.util.List;
import java.util.function.Predicate;

/** The `test` blocks of a compiled bundle, in file order. */
public final class PolicyTests {
  private PolicyTests() {}

  /** The tests whose name the filter accepts; empty when the bundle did not compile. */
  public static List<PolicyTest> of(CompileResult result, Predicate<String> filter) {
    if (!result.ok()) {
      return List.of();
    }
    CheckedBundle checked = result.checked();
    List<String> fieldIds = checked.fieldIds().names();
    return checked.tests().stream()
        .filter(t -> filter.test(t.name()))
        .map(t -> new PolicyTest(t, result.program(), fieldIds))
        .toList();
  }
}
