package dev.warden;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The sidecar and the command line keep their arrows one way: the CLI drives the server through
 * its front classes, the server knows nothing of the CLI, and both compile bundles only through
 * the language's pipeline, so that `warden test` and the sidecar run the very same program.
 */
@AnalyzeClasses(packages = {"dev.warden.cli", "dev.warden.server"}, importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
  @ArchTest
  static final ArchRule theServerDoesNotKnowTheCli = noClasses().that().resideInAPackage("dev.warden.server..")
      .should().dependOnClassesThat().resideInAPackage("dev.warden.cli..");

  @ArchTest
  static final ArchRule theCliDrivesTheServerThroughItsFrontClasses = noClasses().that().resideInAPackage("dev.warden.cli..")
      .should().dependOnClassesThat().resideInAnyPackage("dev.warden.server.authz..", "dev.warden.server.decide..",
          "dev.warden.server.admin..", "dev.warden.server.identity..")
      .because("`warden serve` starts a WardenServer; what it runs inside is the server's business");

  @ArchTest
  static final ArchRule bundlesCompileOnlyThroughThePipeline = noClasses()
      .should().dependOnClassesThat().resideInAnyPackage("dev.warden.policy.parser..", "dev.warden.policy.lint..")
      .orShould().dependOnClassesThat().haveFullyQualifiedName("dev.warden.policy.load.Loader")
      .orShould().dependOnClassesThat().haveFullyQualifiedName("dev.warden.policy.compile.Compiler")
      .orShould().dependOnClassesThat().haveFullyQualifiedName("dev.warden.policy.check.BundleChecker")
      .because("offline decides exactly as online only while both build the program one way (BundleCompiler)");

  @ArchTest
  static final ArchRule semanticsLiveInTheEngine = noClasses().that().resideInAPackage("dev.warden.server..")
      .should().dependOnClassesThat().resideInAnyPackage("dev.warden.policy.ast..", "dev.warden.policy.check..",
          "dev.warden.policy.testing..")
      .because("the server maps Envoy to requests and decisions to responses; it decides nothing by itself");

  @ArchTest
  static final ArchRule theCliAndTheServerFormNoCycle = slices().matching("dev.warden.(*)..").should().beFreeOfCycles();
}
