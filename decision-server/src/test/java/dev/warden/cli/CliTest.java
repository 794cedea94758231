package dev.warden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The `warden` command line: exit codes and what it prints, on the real example bundle. */
class CliTest {
  static final Path EXAMPLE = Path.of("..", "policies", "shop");

  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int exit = WardenCli.run(args);
      return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void exampleBundleTestsAllPass() {
    Run r = run("test", EXAMPLE.toString(), "--time", "2026-11-23T00:00:00Z");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("owner reads own order: PASS").doesNotContain("FAIL");
    assertThat(r.out()).containsPattern("(?m)^\\d+ passed, 0 failed$");
    int passed = Integer.parseInt(r.out().replaceAll("(?s).*?(\\d+) passed, 0 failed.*", "$1"));
    assertThat(passed).isGreaterThanOrEqualTo(25);
  }

  @Test
  void checkReportsSuccess() {
    Run r = run("check", EXAMPLE.toString());
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("compiles (14 routes, revision shop-2026.11.1");
  }

  @Test
  void policyErrorsExitThreeWithRenderedDiagnostics(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("bad.warden"), "package bad\nrole a extends b { allow * }\n");
    Run r = run("check", dir.toString());
    assertThat(r.exit()).isEqualTo(WardenCli.POLICY_ERRORS);
    assertThat(r.err())
        .contains("error[check.unknown_role]: role `a` extends unknown role `b`")
        .contains("--> bad.warden:2:16")
        .contains("2 | role a extends b { allow * }");
  }

  /**
   * A policy file saved as Latin-1 is a policy error like any other (exit 3), located at its
   * first bad byte, exactly as docs/errors.md shows it; not a usage error.
   */
  @Test
  void aPolicyFileThatIsNotUtf8IsALocatedPolicyError(@TempDir Path dir) throws IOException {
    Files.write(dir.resolve("policy.warden"), "package demo\n\n// caf\u00e9 is the owner's shop\n"
        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    Run r = run("check", dir.toString());
    assertThat(r.exit()).as(r.err()).isEqualTo(WardenCli.POLICY_ERRORS);
    String shown = Files.readString(Path.of("..", "docs", "errors.md"))
        .replaceAll("(?s).*### `source.encoding`.*?```text\n\\$ warden check \\.\n(.*?)```.*", "$1");
    assertThat(r.err().replace(dir.toString(), ".")).isEqualTo(shown);
    assertThat(run("test", dir.toString()).exit()).isEqualTo(WardenCli.POLICY_ERRORS);
  }

  /** Every offline command reads a `.tar.gz` archive as it reads a directory. */
  @Test
  void aBundleMayBeATarGzArchive(@TempDir Path dir) throws Exception {
    Path archive = dir.resolve("shop.tar.gz");
    Process tar = new ProcessBuilder("tar", "-czf", archive.toString(), "-C", EXAMPLE.toString(), ".")
        .redirectErrorStream(true).start();
    assertThat(tar.waitFor()).as(new String(tar.getInputStream().readAllBytes())).isZero();
    Run check = run("check", archive.toString(), "--timings");
    assertThat(check.exit()).as(check.err()).isZero();
    assertThat(check.out()).contains("ok: " + archive + " compiles (14 routes, revision shop-2026.11.1")
        .containsPattern("stages: load [0-9.]+ ms, parse [0-9.]+ ms, check [0-9.]+ ms, lint [0-9.]+ ms\n");
    Run test = run("test", archive.toString(), "--time", "2026-11-23T00:00:00Z");
    assertThat(test.exit()).as(test.out() + test.err()).isZero();
    assertThat(test.out()).contains("owner reads own order: PASS");
    Files.writeString(dir.resolve("not.tar.gz"), "plain text");
    Run bad = run("check", dir.resolve("not.tar.gz").toString());
    assertThat(bad.exit()).isEqualTo(WardenCli.USAGE);
    assertThat(bad.err()).contains("is not a readable `.tar.gz` archive");
  }

  @Test
  void failingTestsExitFour(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("p.warden"), """
        package p
        api "P" { route r GET /r }
        role user { allow r }
        test "should fail" {
          request GET /r as {sub: "x", roles: ["user"]}
          expect deny 403
        }
        """);
    Files.writeString(dir.resolve("id.warden"), "package id\nprincipal { id = jwt.sub\n roles = jwt.claims.roles }\n");
    Run r = run("test", dir.toString());
    assertThat(r.exit()).isEqualTo(WardenCli.TESTS_FAILED);
    assertThat(r.out()).contains("should fail: FAIL").contains("expected deny 403, got allow by role.user#1")
        .contains("0 passed, 1 failed");
  }

  @Test
  void usageErrorsExitTwo() {
    assertThat(run("frob").exit()).isEqualTo(WardenCli.USAGE);
    assertThat(run("check").exit()).isEqualTo(WardenCli.USAGE);
    Run missing = run("check", "/definitely/not/here");
    assertThat(missing.exit()).isEqualTo(WardenCli.USAGE);
    assertThat(missing.err()).contains("is not a directory");
  }

  @Test
  void evalPrintsTheDecisionWithExplanation(@TempDir Path dir) throws IOException {
    Path req = dir.resolve("req.json");
    Files.writeString(req, """
        {"method": "GET", "path": "/orders/7f0c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e01",
         "identity": {"claims": {"sub": "mallory", "roles": ["customer"], "tenant": "acme"}}}
        """);
    Run r = run("eval", EXAMPLE.toString(), "--request", req.toString(), "--explain");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("\"allowed\" : false").contains("\"status\" : 403")
        .contains("\"rules\" : [ \"orders.owner-only\" ]")
        .contains("is false");
  }

  @Test
  void evalPrintsTheObligations(@TempDir Path dir) throws IOException {
    Path req = dir.resolve("req.json");
    Files.writeString(req, """
        {"method": "GET", "path": "/orders", "time": "2026-11-20T10:00:00Z",
         "headers": {"x_user_id": "root", "x-internal-debug": "1", "accept": "*/*"},
         "identity": {"claims": {"sub": "alice", "roles": ["customer"], "tenant": "acme"}}}
        """);
    Run r = run("eval", EXAMPLE.toString(), "--request", req.toString());
    assertThat(r.exit()).isZero();
    JsonNode o = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out()).get("obligations");
    assertThat(o.get("headers").toString()).isEqualTo("[{\"action\":\"set\",\"name\":\"x-user-id\",\"value\":\"alice\"},"
        + "{\"action\":\"set\",\"name\":\"x-tenant-id\",\"value\":\"acme\"}]");
    assertThat(o.get("remove_headers").toString()).isEqualTo("[\"x-internal-*\"]");
    assertThat(o.get("stripped_headers").toString()).isEqualTo("[\"x-internal-debug\",\"x_user_id\"]");
    assertThat(o.has("response_headers")).isFalse();
  }

  @Test
  void evalSendsABodyAndPrintsTheSchemaViolations(@TempDir Path dir) throws IOException {
    Path req = dir.resolve("req.json");
    String alice = "\"identity\": {\"claims\": {\"sub\": \"alice\", \"roles\": [\"customer\"], \"tenant\": \"acme\"}}";
    Files.writeString(req, "{\"method\": \"POST\", \"path\": \"/orders\", \"time\": \"2026-11-20T10:00:00Z\", " + alice
        + ", \"body\": {\"items\": [{\"sku\": \"SHOE-1\", \"qty\": 1, \"price\": 0}], \"currency\": \"EUR\"}}");
    Run bad = run("eval", EXAMPLE.toString(), "--request", req.toString());
    assertThat(bad.exit()).isZero();
    JsonNode d = new com.fasterxml.jackson.databind.ObjectMapper().readTree(bad.out());
    assertThat(d.get("outcome").asText()).isEqualTo("schema");
    assertThat(d.get("status").asInt()).isEqualTo(400);
    assertThat(d.get("violations").toString()).isEqualTo("[{\"path\":\"body.items[0].price\",\"problem\":\"unknown\"}]");
    Files.writeString(req, "{\"method\": \"POST\", \"path\": \"/orders\", \"time\": \"2026-11-20T10:00:00Z\", " + alice
        + ", \"body\": {\"items\": [{\"sku\": \"SHOE-1\", \"qty\": 1}], \"currency\": \"EUR\"}}");
    Run ok = run("eval", EXAMPLE.toString(), "--request", req.toString());
    assertThat(ok.out()).contains("\"allowed\" : true");
  }

  @Test
  void evalRejectsAMistypedRequestFile(@TempDir Path dir) throws IOException {
    Path req = dir.resolve("req.json");
    Files.writeString(req, "{\"method\": \"GET\", \"pth\": \"/orders\"}");
    Run r = run("eval", EXAMPLE.toString(), "--request", req.toString());
    assertThat(r.exit()).isEqualTo(WardenCli.USAGE);
    assertThat(r.err()).contains("unknown key `pth`");
  }

  @Test
  void routesListsTheRegistryAsJson() {
    Run r = run("routes", EXAMPLE.toString(), "--format", "json");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("\"route\" : \"orders.legacy\"").contains("\"retired\" : \"2026-06-30\"")
        .contains("\"owner\" : \"team-orders\"");
  }

  /** A role that reaches a route is not the whole story: the forbids that restrict it are listed too. */
  @Test
  void routesShowTheForbidsThatRestrictEachRoute() {
    Run r = run("routes", EXAMPLE.toString());
    assertThat(r.exit()).isZero();
    assertThat(r.out().lines().filter(l -> l.startsWith("orders.read ")).findFirst().orElseThrow())
        .contains("customer").endsWith("orders.owner-only, orders.tenant-isolation");
    assertThat(r.out().lines().findFirst().orElseThrow()).contains("FORBIDS");
    Run json = run("routes", EXAMPLE.toString(), "--format", "json");
    assertThat(json.out()).contains("\"forbids\" : [ \"orders.owner-only\", \"orders.tenant-isolation\" ]");
  }

  @Test
  void junitReportIsWritten(@TempDir Path dir) throws IOException {
    Path xml = dir.resolve("report.xml");
    Run r = run("test", EXAMPLE.toString(), "--run", "BOLA", "--junit", xml.toString());
    assertThat(r.exit()).isZero();
    assertThat(Files.readString(xml)).contains("<testsuite").contains("tests=\"1\"").contains("failures=\"0\"")
        .contains("name=\"stranger is refused (BOLA)\"");
  }

  /** A pattern that selects nothing is a mistake (a typo, a renamed test), not a passing run. */
  @Test
  void runPatternMatchingNoTestIsAUsageError(@TempDir Path dir) {
    Path xml = dir.resolve("report.xml");
    Run r = run("test", EXAMPLE.toString(), "--run", "no such test", "--junit", xml.toString());
    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(WardenCli.USAGE);
    assertThat(r.err()).containsPattern("error: --run `no such test` matches no test \\(the bundle has \\d+ test\\(s\\)\\)");
    assertThat(r.out()).doesNotContain("passed");
    assertThat(xml).doesNotExist();
  }

  /** `warden --version` and every subcommand's print the version the pom declares. */
  @Test
  void everyCommandPrintsTheProjectVersion() throws IOException {
    String pom = Files.readString(Path.of("pom.xml"));
    java.util.regex.Matcher parent = java.util.regex.Pattern
        .compile("(?s)<parent>.*?<version>([^<]+)</version>.*?</parent>").matcher(pom);
    assertThat(parent.find()).as("decision-server/pom.xml names its parent's version").isTrue();
    String expected = "warden " + parent.group(1) + System.lineSeparator();
    List<String> commands = new java.util.ArrayList<>(List.of(""));
    new picocli.CommandLine(new WardenCli()).getSubcommands().keySet().forEach(commands::add);
    assertThat(commands).contains("serve", "test", "check", "request");
    for (String command : commands) {
      Run r = command.isEmpty() ? run("--version") : run(command, "--version");
      assertThat(r.exit()).as("`warden %s --version`", command).isZero();
      assertThat(r.out()).as("`warden %s --version`", command).isEqualTo(expected);
    }
  }

  /**
   * `warden serve --config FILE` reads the file's relative paths from the file's folder, whatever
   * the working directory, and a start error names the path as resolved.
   */
  @Test
  void serveResolvesTheConfigFilesPathsAgainstItsFolder(@TempDir Path dir) throws IOException {
    Path folder = Files.createDirectories(dir.resolve("conf"));
    Files.writeString(folder.resolve("missing-bundle.yaml"), "bundle: no-bundle-here\n");
    Run noBundle = run("serve", "--config", folder.resolve("missing-bundle.yaml").toString());
    assertThat(noBundle.exit()).as(noBundle.err()).isEqualTo(WardenCli.USAGE);
    assertThat(noBundle.err()).contains("`" + folder.toAbsolutePath().resolve("no-bundle-here") + "` is not a directory");

    Path shop = EXAMPLE.toAbsolutePath();
    Files.writeString(folder.resolve("tls.yaml"), "bundle: " + shop + "\n"
        + "grpc:\n  listen: 127.0.0.1:0\n  tls:\n    cert: tls/tls.crt\n    key: tls/tls.key\nhttp:\n  listen: 127.0.0.1:0\n");
    Run noCert = run("serve", "--config", folder.resolve("tls.yaml").toString());
    assertThat(noCert.exit()).as(noCert.err()).isEqualTo(WardenCli.USAGE);
    assertThat(noCert.err())
        .contains("cannot read `grpc.tls.cert` `" + folder.toAbsolutePath().resolve("tls/tls.crt") + "`: no such file");

    Files.writeString(folder.resolve("jwks.yaml"), "bundle: " + shop + "\n"
        + "identity:\n  jwt:\n    issuer: https://issuer.test\n    jwks_file: keys/jwks.json\n");
    Run noJwks = run("serve", "--config", folder.resolve("jwks.yaml").toString());
    assertThat(noJwks.exit()).as(noJwks.err()).isEqualTo(WardenCli.USAGE);
    assertThat(noJwks.err()).contains(
        "cannot read `identity.jwt.jwks_file` `" + folder.toAbsolutePath().resolve("keys/jwks.json") + "`: no such file");
  }

  /**
   * With trusted keys an unsigned bundle does not start (exit 3, with the diagnostics), whether
   * the keys come from `reload.trusted_keys`, relative to the config file's folder, or from
   * `--trusted-key`; a key that cannot be read is a usage error naming the resolved path.
   */
  @Test
  void serveWithTrustedKeysRefusesAnUnsignedBundle(@TempDir Path dir) throws Exception {
    Path folder = Files.createDirectories(dir.resolve("conf").resolve("keys"));
    java.security.KeyPair pair = java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Files.writeString(folder.resolve("ops.pub.pem"), dev.warden.bundle.BundleKeys.pem(pair.getPublic()));
    Path shop = EXAMPLE.toAbsolutePath();
    Path config = dir.resolve("conf").resolve("signed.yaml");
    Files.writeString(config, "bundle: " + shop + "\ngrpc:\n  listen: 127.0.0.1:0\nhttp:\n  listen: 127.0.0.1:0\n"
        + "reload:\n  trusted_keys:\n    - keys/ops.pub.pem\n");
    Run fromConfig = run("serve", "--config", config.toString());
    assertThat(fromConfig.exit()).as(fromConfig.err()).isEqualTo(WardenCli.POLICY_ERRORS);
    assertThat(fromConfig.err()).contains("bundle.signature").contains("the bundle is not signed");

    Run fromFlag = run("serve", "--bundle", shop.toString(), "--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0",
        "--trusted-key", "other=" + folder.resolve("ops.pub.pem"), "--trusted-key", folder.resolve("ops.pub.pem").toString());
    assertThat(fromFlag.exit()).as(fromFlag.err()).isEqualTo(WardenCli.POLICY_ERRORS);
    assertThat(fromFlag.err()).contains("the bundle is not signed");

    Files.writeString(config, "bundle: " + shop + "\nreload:\n  trusted_keys: [ops=keys/missing.pem]\n");
    Run missing = run("serve", "--config", config.toString());
    assertThat(missing.exit()).as(missing.err()).isEqualTo(WardenCli.USAGE);
    assertThat(missing.err()).contains("cannot read the key `" + folder.resolve("missing.pem").toAbsolutePath() + "`");
  }
}
