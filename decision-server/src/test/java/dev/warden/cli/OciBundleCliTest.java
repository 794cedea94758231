package dev.warden.cli;

import static dev.warden.cli.CliTest.EXAMPLE;
import static dev.warden.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.cli.CliTest.Run;
import dev.warden.server.oci.RealRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `warden bundle push | pull` against a real registry on loopback, and their exit codes. */
class OciBundleCliTest {
  @TempDir static Path registryDir;
  static RealRegistry registry;
  @TempDir Path tmp;

  @BeforeAll
  static void start() throws Exception {
    registry = RealRegistry.start(registryDir);
  }

  @BeforeEach
  void running() {
    RealRegistry.assumeRunning(registry);
  }

  @AfterAll
  static void stop() throws Exception {
    if (registry != null) {
      registry.close();
    }
  }

  private String ref(String repoAndTag) {
    return "oci://" + registry.host() + "/" + repoAndTag;
  }

  private Path built() {
    Path archive = tmp.resolve("shop.tar.gz");
    Run r = run("bundle", "build", EXAMPLE.toString(), "-o", archive.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    return archive;
  }

  @Test
  void pushThenPullWritesTheSameArchive() throws Exception {
    Path archive = built();
    Run push = run("bundle", "push", archive.toString(), ref("cli/shop:v1"), "--plain-http");
    assertThat(push.exit()).as(push.err()).isZero();
    assertThat(push.out()).matches("pushed " + java.util.regex.Pattern.quote(archive + " to " + ref("cli/shop:v1"))
        + ": sha256:[0-9a-f]{64} \\(\\d+ bytes, unsigned\\)\\R");
    String digest = push.out().replaceAll("(?s).*(sha256:[0-9a-f]{64}).*", "$1");

    Path pulled = tmp.resolve("out").resolve("pulled.tar.gz");
    Files.createDirectories(pulled.getParent());
    Run pull = run("bundle", "pull", ref("cli/shop@" + digest), "-o", pulled.toString(), "--plain-http");
    assertThat(pull.exit()).as(pull.err()).isZero();
    assertThat(pull.out()).startsWith("pulled " + ref("cli/shop@" + digest) + ": " + digest + ", layer sha256:")
        .contains("unsigned), revision shop-2026.11.1@sha256:").contains(", written to " + pulled);
    assertThat(Files.readAllBytes(pulled)).isEqualTo(Files.readAllBytes(archive));

    Run byTag = run("bundle", "pull", ref("cli/shop:v1"), "-o", pulled.toString(), "--plain-http");
    assertThat(byTag.exit()).as(byTag.err()).isZero();
    assertThat(byTag.out()).contains(": " + digest + ", layer");
  }

  @Test
  void failuresHaveTheirExitCodes() throws Exception {
    Path archive = built();
    // a registry failure: nothing at that tag
    Path out = tmp.resolve("x.tar.gz");
    Run missing = run("bundle", "pull", ref("cli/none:v1"), "-o", out.toString(), "--plain-http");
    assertThat(missing.exit()).isEqualTo(BundleCommand.REGISTRY_FAILED);
    assertThat(missing.err()).contains("fetch the manifest: HTTP 404", "check the repository `cli/none`");
    assertThat(out).doesNotExist();

    // usage: a bad reference, a file that is not an archive, a missing credentials file
    Run bad = run("bundle", "push", archive.toString(), "oci://" + registry.host() + "/Cli/Shop", "--plain-http");
    assertThat(bad.exit()).isEqualTo(WardenCli.USAGE);
    assertThat(bad.err()).contains("is not a valid OCI reference: the repository `Cli/Shop` is not a valid name");
    Path notArchive = Files.writeString(tmp.resolve("not.tar.gz"), "plain text");
    Run unreadable = run("bundle", "push", notArchive.toString(), ref("cli/shop:v1"), "--plain-http");
    assertThat(unreadable.exit()).isEqualTo(WardenCli.USAGE);
    assertThat(unreadable.err()).contains("is not a readable `.tar.gz` archive");
    Run noToken = run("bundle", "push", archive.toString(), ref("cli/shop:v1"), "--plain-http",
        "--token-file", tmp.resolve("absent").toString());
    assertThat(noToken.exit()).isEqualTo(WardenCli.USAGE);
    assertThat(noToken.err()).contains("cannot read the credentials file");
    Run both = run("bundle", "pull", ref("cli/shop:v1"), "-o", out.toString(), "--token-file", "a", "--user-file", "b");
    assertThat(both.exit()).isEqualTo(WardenCli.USAGE);

    // HTTPS to a plain HTTP registry fails as a registry failure, and names the registry
    Run https = run("bundle", "pull", ref("cli/shop:v1"), "-o", out.toString());
    assertThat(https.exit()).isEqualTo(BundleCommand.REGISTRY_FAILED);
    assertThat(https.err()).contains("registry " + registry.host() + ": fetch the manifest:");
  }

  @Test
  void aBundleWithErrorsIsNeitherPushedNorWritten() throws Exception {
    Path broken = tmp.resolve("broken");
    Files.createDirectories(broken);
    Files.writeString(broken.resolve("bundle.yaml"), "this: is not a manifest\n");
    Path archive = tmp.resolve("broken.tar.gz");
    try (var o = Files.newOutputStream(archive)) {
      dev.warden.bundle.BundleArchive.write(dev.warden.bundle.BundleReader.read(broken), null, o);
    }
    Run push = run("bundle", "push", archive.toString(), ref("cli/broken:v1"), "--plain-http");
    assertThat(push.exit()).as(push.out() + push.err()).isEqualTo(WardenCli.POLICY_ERRORS);
    assertThat(push.err()).contains("error(s)");
    assertThat(registry.requests("POST", "/v2/cli/broken/")).isZero();

    // pushed by another tool, a broken bundle is pulled, refused and not written
    var client = new dev.warden.server.oci.OciRegistry(dev.warden.server.oci.OciReference.parse(ref("cli/broken:v1")),
        true, null);
    client.push(Files.readAllBytes(archive), "broken.tar.gz");
    Path out = tmp.resolve("pulled.tar.gz");
    Run pull = run("bundle", "pull", ref("cli/broken:v1"), "-o", out.toString(), "--plain-http");
    assertThat(pull.exit()).isEqualTo(WardenCli.POLICY_ERRORS);
    assertThat(out).doesNotExist();
  }
}
