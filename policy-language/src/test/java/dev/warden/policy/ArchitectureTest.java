package dev.warden.policy;

import static com.tngtech.archunit.base.DescribedPredicate.describe;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.FileReader;
import java.io.FileWriter;
import java.io.RandomAccessFile;
import java.time.Clock;
import java.time.InstantSource;
import java.util.Set;
import java.util.Timer;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;

/**
 * The language module is pure, and its packages form layers whose arrows point one way (see
 * docs/architecture.md): given text and data it returns a program or diagnostics, given a
 * program and a request a decision. Threads, sockets, clocks and files belong to the callers.
 */
@AnalyzeClasses(packages = "dev.warden.policy", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
  private static final String ROOT = "dev.warden.policy";

  @ArchTest
  static final ArchRule noThreads = noClasses().that().resideInAPackage(ROOT + "..")
      .should().dependOnClassesThat(assignableTo(Thread.class).or(assignableTo(ThreadGroup.class))
          .or(assignableTo(Executor.class)).or(assignableTo(Executors.class)).or(assignableTo(ForkJoinPool.class))
          .or(assignableTo(Timer.class)))
      .because("the language is pure: whoever decides owns the threads (the sidecar, the CLI)");

  @ArchTest
  static final ArchRule noSockets = noClasses().that().resideInAPackage(ROOT + "..")
      .should().dependOnClassesThat().resideInAnyPackage("java.net..", "java.nio.channels..", "javax.net..")
      .because("the language is pure: no network, not even a name lookup");

  @ArchTest
  static final ArchRule noClocks = noClasses().that().resideInAPackage(ROOT + "..")
      .should().callMethodWhere(describe("read a clock", ArchitectureTest::readsClock))
      .orShould().dependOnClassesThat(assignableTo(Clock.class).or(assignableTo(InstantSource.class)))
      .because("time is an input (Request.time, a Deadline, the pipeline's ticker), so a decision or a"
          + " compilation is the same anywhere");

  @ArchTest
  static final ArchRule noFiles = noClasses().that().resideInAPackage(ROOT + "..")
      .should().dependOnClassesThat(assignableTo(File.class).or(assignableTo(FileDescriptor.class))
          .or(assignableTo(FileInputStream.class)).or(assignableTo(FileOutputStream.class))
          .or(assignableTo(FileReader.class)).or(assignableTo(FileWriter.class))
          .or(assignableTo(RandomAccessFile.class)).or(resideInAPackage("java.nio.file..")))
      .because("a bundle arrives as bytes (source.Bundle); readers live in the bundle-reader module");

  /** The leaves: what every other package builds on, built on nothing of the language. */
  @ArchTest
  static final ArchRule leavesImportNothingAboveThem = classes()
      .that().resideInAnyPackage(leaf("diag"), leaf("types"), leaf("runtime"), leaf("source"))
      .should(new ArchCondition<JavaClass>("depend on no other package of the language") {
        @Override
        public void check(JavaClass c, ConditionEvents events) {
          c.getDirectDependenciesFromSelf().forEach(d -> {
            String target = d.getTargetClass().getPackageName();
            if (target.startsWith(ROOT + ".") && !target.equals(c.getPackageName())) {
              events.add(SimpleConditionEvent.violated(d, d.getDescription()));
            }
          });
        }
      });

  @ArchTest
  static final ArchRule layers = layeredArchitecture().consideringOnlyDependenciesInLayers()
      .layer("api").definedBy(leaf("api"))
      .layer("pipeline").definedBy(leaf("bundle"))
      .layer("testing").definedBy(leaf("testing"))
      .layer("compile").definedBy(leaf("compile"))
      .layer("lint").definedBy(leaf("lint"))
      .layer("check").definedBy(leaf("check"))
      .layer("schema").definedBy(leaf("schema"))
      .layer("parser").definedBy(leaf("parser"))
      .layer("load").definedBy(leaf("load"))
      .layer("ast").definedBy(leaf("ast"))
      .layer("leaves").definedBy(leaf("diag"), leaf("types"), leaf("runtime"), leaf("source"))
      .whereLayer("api").mayNotBeAccessedByAnyLayer()
      .whereLayer("pipeline").mayOnlyBeAccessedByLayers("api")
      .whereLayer("testing").mayOnlyBeAccessedByLayers("pipeline", "api")
      .whereLayer("compile").mayOnlyBeAccessedByLayers("testing", "pipeline", "api")
      .whereLayer("lint").mayOnlyBeAccessedByLayers("pipeline")
      .whereLayer("check").mayOnlyBeAccessedByLayers("lint", "compile", "testing", "pipeline", "api")
      .whereLayer("schema").mayOnlyBeAccessedByLayers("check", "lint", "compile", "testing", "pipeline", "api")
      .whereLayer("parser").mayOnlyBeAccessedByLayers("pipeline")
      .whereLayer("load").mayOnlyBeAccessedByLayers("check", "lint", "compile", "testing", "pipeline", "api")
      .whereLayer("ast").mayOnlyBeAccessedByLayers("parser", "check", "lint", "compile", "testing", "pipeline", "api");

  @ArchTest
  static final ArchRule noPackageCycles = slices().matching(ROOT + ".(*)..").should().beFreeOfCycles();

  @ArchTest
  static final ArchRule antlrStaysInTheParser = noClasses().that().resideOutsideOfPackage(leaf("parser"))
      .and().resideInAPackage(ROOT + "..")
      .should().dependOnClassesThat().resideInAPackage("org.antlr..")
      .because("the AST and everything after it is free of parser-generator types");

  @ArchTest
  static final ArchRule nothingInsideTheLanguageUsesTheFrontDoor = classes().that().resideInAPackage(leaf("api"))
      .and().arePublic()
      .should().onlyBeAccessed().byClassesThat(resideOutsideOfPackage(ROOT + "..").or(resideInAPackage(leaf("api"))));

  private static String leaf(String name) {
    return ROOT + "." + name + "..";
  }

  private static final Set<String> CLOCK_TYPES = Set.of("java.time.Instant", "java.time.LocalDate",
      "java.time.LocalDateTime", "java.time.LocalTime", "java.time.OffsetDateTime", "java.time.OffsetTime",
      "java.time.ZonedDateTime", "java.time.Year", "java.time.YearMonth", "java.time.MonthDay");

  private static boolean readsClock(JavaCall<?> call) {
    String owner = call.getTargetOwner().getName();
    String name = call.getName();
    return owner.equals("java.lang.System") && (name.equals("currentTimeMillis") || name.equals("nanoTime"))
        || CLOCK_TYPES.contains(owner) && name.equals("now");
  }
}
