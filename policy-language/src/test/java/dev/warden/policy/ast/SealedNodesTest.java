package dev.warden.policy.ast;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.check.Checked;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Branching over node types cannot miss one. Expressions, as written and as checked, are
 * dispatched through visitors, which fail to compile when a node type is added and not handled;
 * this test checks that each visitor names every node type. The smaller hierarchies (declarations,
 * test steps, type references, targets) are branched over in a few places each: adding a type
 * fails here, naming the places to extend.
 */
class SealedNodesTest {
  static Set<String> permitted(Class<?> sealed) {
    return Arrays.stream(sealed.getPermittedSubclasses()).map(Class::getSimpleName).collect(Collectors.toSet());
  }

  static Set<String> visited(Class<?> visitor) {
    return Arrays.stream(visitor.getDeclaredMethods()).filter(m -> m.getName().equals("visit"))
        .map(Method::getParameterTypes).map(p -> p[0].getSimpleName()).collect(Collectors.toSet());
  }

  @Test
  void everyExpressionNodeHasAVisitorMethod() {
    assertThat(visited(Expr.Visitor.class)).isEqualTo(permitted(Expr.class));
    assertThat(visited(Checked.Visitor.class)).isEqualTo(permitted(Checked.class));
  }

  @Test
  void theSmallerHierarchiesAreTheOnesTheirBranchesKnow() {
    assertThat(permitted(Decl.class)).as("""
        a new declaration kind: handle it in check/BundleChecker (and the stage that needs it), \
        cli/RoutesCommand if it concerns routes, and the docs' language reference""")
        .isEqualTo(Set.of("Principal", "Api", "Role", "Rule", "OnBlock", "Data", "Test", "RedactLog", "Schema", "Quota",
            "Reserved"));
    assertThat(permitted(ShapeRef.class)).as("a new shape: handle it in check/SchemaChecker")
        .isEqualTo(Set.of("Named", "Enum", "Record", "Optional"));
    assertThat(permitted(TestStep.class)).as("a new test step: handle it in check/TestChecker and testing/PolicyTest")
        .isEqualTo(Set.of("Request", "Data", "ExpectAllow", "ExpectDeny", "Repeat", "Wait"));
    assertThat(permitted(TypeRef.class)).as("a new type reference: handle it in check/TypeResolver")
        .isEqualTo(Set.of("Named", "Record", "Optional"));
    assertThat(permitted(Target.class)).as("a new rule target: handle it in check/Targets")
        .isEqualTo(Set.of("All", "Named", "Path"));
    assertThat(List.of(Decl.class, TestStep.class, TypeRef.class, Target.class, ShapeRef.class))
        .allMatch(Class::isSealed);
  }
}
