package dev.warden.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.cli.WardenCli;
import dev.warden.server.ServerConfig;
import dev.warden.server.WardenServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's tour holds: Warden served with the README's command (on a free port here), and
 * the README's `warden request` answers what the README shows, but for the decision id, which
 * is new on every call and must look like one.
 */
class ReadmeTourTest {
  private static final Path README = Path.of("..", "README.md");

  private static String run(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      assertThat(WardenCli.run(args)).isZero();
      return out.toString(StandardCharsets.UTF_8);
    } finally {
      System.setOut(old);
    }
  }

  @Test
  void theRequestExampleAnswersWhatTheReadmeShows() throws Exception {
    String readme = Files.readString(README);
    Matcher serve = Pattern.compile("(?m)^\\./warden serve --bundle (\\S+) --config (\\S+)").matcher(readme);
    assertThat(serve.find()).as("the README's serve command").isTrue();
    Matcher request = Pattern.compile("(?s)```sh\\n\\./warden request (\\S+) (\\S+) \\\\\\n\\s+--claims '([^']+)'\\n```"
        + "\\n\\n```text\\n(.*?)```").matcher(readme);
    assertThat(request.find()).as("the README's request example and its output").isTrue();
    Map<String, String> flags = Map.of("bundle", Path.of("..").resolve(serve.group(1)).toString(),
        "grpc.listen", "127.0.0.1:0", "http.listen", "127.0.0.1:0", "shutdown.grace", "1s");
    String config = Files.readString(Path.of("..").resolve(serve.group(2)));
    try (WardenServer server = new WardenServer(ServerConfig.load(config, Map.of(), flags), Clock.systemUTC())) {
      server.start();
      String out = run("request", request.group(1), request.group(2), "--claims", request.group(3),
          "--grpc", server.grpcAddress());
      String id = out.replaceAll("(?s).*x-warden-decision-id: (\\S+).*", "$1");
      assertThat(id).matches("[0-9a-f]{32}");
      String shown = request.group(4);
      String shownId = shown.replaceAll("(?s).*x-warden-decision-id: (\\S+).*", "$1");
      assertThat(out).isEqualTo(shown.replace(shownId, id));
      // The README's claim about the owner.
      String alice = run("request", request.group(1), request.group(2), "--claims",
          request.group(3).replace("mallory", "alice"), "--grpc", server.grpcAddress());
      assertThat(alice).startsWith("allow\n").contains("  x-user-id: alice\n").contains("  x-tenant-id: acme\n");
    }
  }
}
