package dev.warden.cli;

import static dev.warden.cli.CliTest.EXAMPLE;
import static dev.warden.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.cli.CliTest.Run;
import dev.warden.server.ServerConfig;
import dev.warden.server.WardenServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `warden bundle rollback` against a sidecar on loopback: rolled back, undone, nothing to roll back to, unreachable. */
class BundleRollbackCliTest {
  @TempDir Path dir;
  private WardenServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private Path copyOfExample() throws Exception {
    Path copy = dir.resolve("shop");
    try (Stream<Path> files = Files.walk(EXAMPLE)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path to = copy.resolve(EXAMPLE.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    return copy;
  }

  private void start(Path bundle) throws Exception {
    server = new WardenServer(ServerConfig.load(null, Map.of(), Map.of("bundle", bundle.toString(),
        "grpc.listen", "127.0.0.1:0", "http.listen", "127.0.0.1:0", "reload.watch", "false", "shutdown.grace", "1s")),
        Clock.systemUTC());
    server.start();
  }

  private String admin() {
    return "http://127.0.0.1:" + server.adminAddress().getPort();
  }

  @Test
  void rollsBackToThePreviousRevisionAndASecondRollbackUndoesIt() throws Exception {
    Path bundle = copyOfExample();
    start(bundle);
    String first = server.bundle().snapshot().revision();
    Files.writeString(bundle.resolve("bundle.yaml"), "revision: shop-next\n");
    assertThat(server.reload("test").get()).containsEntry("result", "ok");
    String second = server.bundle().snapshot().revision();
    assertThat(second).startsWith("shop-next@sha256:");

    Run back = run("bundle", "rollback", "--admin", admin());
    assertThat(back.exit()).as(back.err()).isZero();
    assertThat(back.out()).isEqualTo("rolled back: revision " + first + " is active, pinned until the source changes\n");
    assertThat(server.bundle().snapshot().revision()).isEqualTo(first);
    // The source still holds shop-next: a check keeps the pin.
    assertThat(server.reload("test").get()).containsEntry("result", "unchanged").containsEntry("stage", "pinned");
    assertThat(server.bundle().snapshot().revision()).isEqualTo(first);

    Run undo = run("bundle", "rollback", "--admin", admin() + "/");
    assertThat(undo.exit()).as(undo.err()).isZero();
    assertThat(server.bundle().snapshot().revision()).isEqualTo(second);
    assertThat(server.reload("test").get()).containsEntry("result", "unchanged").containsEntry("stage", "digest");
  }

  /** With several bundles, `--bundle NAME` says which; without it the sidecar names them. */
  @Test
  void withSeveralBundlesTheBundleIsNamed() throws Exception {
    Path shop = copyOfExample();
    Path extra = dir.resolve("extra");
    Files.createDirectories(extra);
    Files.writeString(extra.resolve("extra.warden"), """
        package extra

        principal {
          id: string = jwt.sub
        }

        api "Extra" {
          route ping GET /extra/ping
        }

        permit ping when principal.id == "ann"
        """);
    server = new WardenServer(ServerConfig.load(null, Map.of(), Map.of("bundle", shop + ",extra=" + extra,
        "grpc.listen", "127.0.0.1:0", "http.listen", "127.0.0.1:0", "reload.watch", "false", "shutdown.grace", "1s")),
        Clock.systemUTC());
    server.start();
    String first = server.bundles().members().get(1).bundle().snapshot().revision();
    Files.writeString(extra.resolve("bundle.yaml"), "revision: extra-2\n");
    server.reload("test").get();
    assertThat(server.bundles().members().get(1).bundle().snapshot().revision()).startsWith("extra-2@");

    Run unnamed = run("bundle", "rollback", "--admin", admin());
    assertThat(unnamed.exit()).isEqualTo(2);
    assertThat(unnamed.err()).contains("Warden serves several bundles: name the one to roll back (shop, extra)");
    Run unknown = run("bundle", "rollback", "--admin", admin(), "--bundle", "nobody");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err()).contains("no bundle is called `nobody`");
    Run named = run("bundle", "rollback", "--admin", admin(), "--bundle", "extra");
    assertThat(named.exit()).as(named.err()).isZero();
    assertThat(server.bundles().members().get(1).bundle().snapshot().revision()).isEqualTo(first);
    assertThat(run("bundle", "rollback", "--admin", admin(), "--bundle", "Bad Name").exit()).isEqualTo(2);
  }

  @Test
  void withOneRevisionOnlyThereIsNothingToRollBackTo() throws Exception {
    start(copyOfExample());
    Run r = run("bundle", "rollback", "--admin", admin());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("error: nothing to roll back to: no previous revision to roll back to");
  }

  @Test
  void anUnreachableOrMalformedAdminAddressIsAUsageError() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    Run unreachable = run("bundle", "rollback", "--admin", "http://127.0.0.1:" + closed);
    assertThat(unreachable.exit()).isEqualTo(2);
    assertThat(unreachable.err()).startsWith("error: cannot reach Warden's admin listener at http://127.0.0.1:" + closed);
    Run https = run("bundle", "rollback", "--admin", "https://127.0.0.1:9192");
    assertThat(https.exit()).isEqualTo(2);
    assertThat(https.err()).contains("--admin must be http://HOST:PORT");
  }
}
