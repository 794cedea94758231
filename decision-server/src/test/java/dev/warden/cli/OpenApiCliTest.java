package dev.warden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.cli.CliTest.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `warden openapi import` and `warden openapi diff`: exit codes and output, on real public specs. */
class OpenApiCliTest {
  static final Path SPECS = Path.of("src", "test", "resources", "openapi");
  static final Path EXPANDED = SPECS.resolve("petstore-expanded.yaml");

  static Run run(String... args) {
    return CliTest.run(args);
  }

  /** Imports {@code spec} into {@code dir}, and insists that the bundle it writes passes `warden check`. */
  static Path imported(Path spec, Path dir, String... options) throws IOException {
    String[] args = new String[4 + options.length];
    args[0] = "openapi";
    args[1] = "import";
    args[2] = spec.toString();
    args[3] = "-o=" + dir;
    System.arraycopy(options, 0, args, 4, options.length);
    Run r = run(args);
    assertThat(r.exit()).as(r.err()).isZero();
    Run check = run("check", dir.toString());
    assertThat(check.exit()).as(check.err()).isZero();
    return dir;
  }

  @Test
  void importWritesTheBundleAndSaysWhatItWrote(@TempDir Path dir) throws IOException {
    Run r = run("openapi", "import", EXPANDED.toString(), "-o", dir.toString(), "--package", "pets", "--owner", "team-pets");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("ok: wrote " + dir.resolve("openapi.warden"))
        .contains("4 route(s) for 4 operation(s), 2 schema block(s), 1 body schema file(s)");
    assertThat(Files.readString(dir.resolve("openapi.warden"))).contains("package pets\n")
        .contains("api \"Swagger Petstore\" owner \"team-pets\" {");
    assertThat(dir.resolve("schemas/openapi/addPet.json")).exists();
    assertThat(dir.resolve("bundle.yaml")).exists();
  }

  @Test
  void aSpecThatCannotBeReadExitsSevenAndSaysWhereItIsWrong(@TempDir Path dir) throws IOException {
    Run missing = run("openapi", "import", dir.resolve("nope.yaml").toString(), "-o", dir.resolve("out").toString());
    assertThat(missing.exit()).isEqualTo(OpenApiCommand.UNREADABLE);
    assertThat(missing.err()).startsWith("error: ").contains("nope.yaml").contains("cannot read");

    Path broken = dir.resolve("broken.yaml");
    Files.writeString(broken, "openapi: 3.0.3\ninfo:\n  title: x\n  version: [1\npaths: {}\n");
    Run yaml = run("openapi", "import", broken.toString(), "-o", dir.resolve("out").toString());
    assertThat(yaml.exit()).isEqualTo(OpenApiCommand.UNREADABLE);
    assertThat(yaml.err()).containsPattern("broken.yaml at line \\d+, column \\d+: not valid YAML");

    Path swagger2 = dir.resolve("swagger.json");
    Files.writeString(swagger2, "{\"swagger\": \"2.0\", \"info\": {\"title\": \"x\", \"version\": \"1\"}, \"paths\": {}}");
    Run old = run("openapi", "diff", swagger2.toString(), dir.toString());
    assertThat(old.exit()).isEqualTo(OpenApiCommand.UNREADABLE);
    assertThat(old.err()).contains("Swagger 2.0 document").contains("OpenAPI 3.0 and 3.1");
    assertThat(dir.resolve("out")).doesNotExist();
  }

  @Test
  void aHandWrittenOpenapiWardenIsNeverOverwritten(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("openapi.warden"), "package mine\n");
    Run r = run("openapi", "import", EXPANDED.toString(), "-o", dir.toString());
    assertThat(r.exit()).isEqualTo(WardenCli.USAGE);
    assertThat(r.err()).contains("openapi.warden exists and was not written by `warden openapi import`");
    assertThat(Files.readString(dir.resolve("openapi.warden"))).isEqualTo("package mine\n");
    assertThat(dir.resolve("bundle.yaml")).doesNotExist();
  }

  @Test
  void aPackageThatIsNotAWardenNameIsAUsageError(@TempDir Path dir) {
    Run r = run("openapi", "import", EXPANDED.toString(), "-o", dir.toString(), "--package", "my-pets");
    assertThat(r.exit()).isEqualTo(WardenCli.USAGE);
    assertThat(r.err()).contains("`my-pets` is not a Warden package name");
  }

  @Test
  void anUpToDateImportAgreesWithItsSpec(@TempDir Path dir) throws Exception {
    imported(EXPANDED, dir);
    Run r = run("openapi", "diff", EXPANDED.toString(), dir.toString());
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).isEqualTo("ok: " + EXPANDED + " and " + dir + " agree: 4 operation(s), each with a route\n");
    assertThat(r.err()).as("no lint warnings in a drift check").isEmpty();
    Run json = run("openapi", "diff", EXPANDED.toString(), dir.toString(), "--format", "json");
    assertThat(json.exit()).isZero();
    JsonNode doc = new ObjectMapper().readTree(json.out());
    assertThat(doc.path("agree").asBoolean()).isTrue();
    assertThat(doc.path("matched").asInt()).isEqualTo(4);
    assertThat(doc.path("missingInBundle").size()).isZero();
  }

  /** GitHub's REST API (1,223 operations) imported and diffed through the command line, gzipped. */
  @Test
  void gitHubsImportAgreesWithGitHubsSpec(@TempDir Path dir) throws Exception {
    Path spec = SPECS.resolve("github-api.json.gz");
    imported(spec, dir, "--package", "github");
    Run r = run("openapi", "diff", spec.toString(), dir.toString());
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("agree: 1223 operation(s), each with a route");
  }

  /**
   * The imported schemas hold in the real engine: `warden test` on GitHub's import with a
   * hand-written rules file beside it (which re-imports leave alone) refuses what GitHub's
   * parameters do not allow, before any rule, and lets the rest through.
   */
  @Test
  void gitHubsImportedSchemasAreEnforced(@TempDir Path dir) throws Exception {
    imported(SPECS.resolve("github-api.json.gz"), dir, "--package", "github");
    Files.writeString(dir.resolve("github_test.warden"), """
        package github

        permit *

        test "a listing with the query parameters GitHub declares" {
          request GET /orgs/octo/repos?type=public&per_page=30&direction=asc
          expect allow
        }

        test "a value outside the enum" {
          request GET /orgs/octo/repos?type=secret
          expect deny 400
        }

        test "a page size that is no integer" {
          request GET /orgs/octo/repos?per_page=ten
          expect deny 400
        }

        test "a query parameter GitHub does not declare" {
          request GET /orgs/octo/repos?color=red
          expect deny 400
        }

        test "an issue by number" {
          request GET /repos/octo/hello/issues/12
          expect allow
        }

        test "comments since a time that is no RFC 3339 time" {
          request GET /repos/octo/hello/issues/comments?since=yesterday
          expect deny 400
        }
        """);
    Run r = run("test", dir.toString());
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("6 passed, 0 failed");
  }

  @Test
  void aBundleThatDriftsIsReportedBothWaysWithItsOwnExitCode(@TempDir Path dir) throws Exception {
    // Hand-written routes: one operation of the spec missing (deletePet), one route the spec lacks,
    // and one that matches though its parameter has another name and type.
    Files.writeString(dir.resolve("shop.warden"), """
        package shop
        api "Pets" owner "team-pets" {
          route list   GET   /pets
          route create POST  /pets
          route read   GET   /pets/{petId:uuid}
          route rename PATCH /pets/{id:int}
        }
        """);
    Run r = run("openapi", "diff", EXPANDED.toString(), dir.toString());
    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(OpenApiCommand.DRIFT);
    assertThat(r.out()).contains("drift: " + EXPANDED + " and " + dir
            + ": 1 operation(s) the bundle lacks, 1 route(s) the spec lacks (3 agree)")
        .contains("operations of the spec with no route in the bundle:\n  + DELETE  /pets/{id}  (deletePet)\n")
        .contains("routes of the bundle with no operation in the spec:\n  - PATCH   /pets/{id:int}  (shop.rename)\n");

    Run json = run("openapi", "diff", EXPANDED.toString(), dir.toString(), "--format=json");
    assertThat(json.exit()).isEqualTo(OpenApiCommand.DRIFT);
    JsonNode doc = new ObjectMapper().readTree(json.out());
    assertThat(doc.path("agree").asBoolean()).isFalse();
    assertThat(doc.path("matched").asInt()).isEqualTo(3);
    assertThat(doc.at("/missingInBundle/0/method").asText()).isEqualTo("DELETE");
    assertThat(doc.at("/missingInBundle/0/path").asText()).isEqualTo("/pets/{id}");
    assertThat(doc.at("/missingInBundle/0/operationId").asText()).isEqualTo("deletePet");
    assertThat(doc.at("/missingInSpec/0/name").asText()).isEqualTo("shop.rename");
    assertThat(doc.at("/missingInSpec/0/path").asText()).isEqualTo("/pets/{id:int}");
    assertThat(doc.path("missingInBundle").size()).isEqualTo(1);
    assertThat(doc.path("missingInSpec").size()).isEqualTo(1);
  }

  @Test
  void packageLimitsTheDiffToOneApiOfTheBundle(@TempDir Path dir) throws Exception {
    imported(EXPANDED, dir, "--package", "pets");
    Files.writeString(dir.resolve("admin.warden"), "package admin\napi \"Admin\" {\n  route stats GET /admin/stats\n}\n");
    Run all = run("openapi", "diff", EXPANDED.toString(), dir.toString());
    assertThat(all.exit()).isEqualTo(OpenApiCommand.DRIFT);
    assertThat(all.out()).contains("  - GET     /admin/stats  (admin.stats)");
    Run pets = run("openapi", "diff", EXPANDED.toString(), dir.toString(), "--package", "pets");
    assertThat(pets.exit()).as(pets.out()).isZero();
  }

  @Test
  void aBundleThatCannotBeReadExitsSevenAndOneWithErrorsThree(@TempDir Path dir) throws IOException {
    Run missing = run("openapi", "diff", EXPANDED.toString(), dir.resolve("nothing").toString());
    assertThat(missing.exit()).isEqualTo(OpenApiCommand.UNREADABLE);
    assertThat(missing.err()).startsWith("error: ");
    Files.writeString(dir.resolve("bad.warden"), "package bad\nrole a extends b { allow * }\n");
    Run bad = run("openapi", "diff", EXPANDED.toString(), dir.toString());
    assertThat(bad.exit()).isEqualTo(WardenCli.POLICY_ERRORS);
    assertThat(bad.err()).contains("error[check.unknown_role]");
  }

  @Test
  void theHelpDocumentsTheExitCodes() {
    Run r = run("openapi", "diff", "--help");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("Exit codes:").containsPattern("6\\s+they drift").containsPattern("7\\s+the spec or the bundle cannot be read");
  }
}
