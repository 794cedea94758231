package dev.warden.server.oci;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * A real registry for tests: Debian's {@code docker-registry} (CNCF distribution) started as
 * our own process with a temporary config (filesystem storage in a temporary folder, no auth,
 * listening on 127.0.0.1 at a port chosen now), never its system service. Its log (the access
 * log included) goes to a file, which {@link #requests} counts. Without the binary the tests
 * are skipped, unless {@code WARDEN_REQUIRE_REAL_SERVERS=1}, where they fail.
 */
public final class RealRegistry implements AutoCloseable {
  /** The binary; the system property {@code warden.docker-registry} overrides it (to check the skip). */
  static final Path BINARY = Path.of(System.getProperty("warden.docker-registry", "/usr/bin/docker-registry"));

  private final Process process;
  private final Path log;
  final int port;

  private RealRegistry(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /**
   * Starts a registry under {@code dir} for a test class's {@code @BeforeAll}; null without the
   * binary, so that each test's {@link #assumeRunning} reports the skip (surefire does not show a
   * class-level abort), or fails when {@code WARDEN_REQUIRE_REAL_SERVERS=1}.
   */
  public static RealRegistry start(Path dir) throws Exception {
    if (!Files.isExecutable(BINARY)) {
      if ("1".equals(System.getenv("WARDEN_REQUIRE_REAL_SERVERS"))) {
        fail(missing() + ", and WARDEN_REQUIRE_REAL_SERVERS=1");
      }
      return null;
    }
    IOException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      int port = freePort();
      Path storage = Files.createDirectories(dir.resolve("storage-" + attempt));
      Path config = dir.resolve("config-" + attempt + ".yml");
      Files.writeString(config, """
          version: 0.1
          log:
            level: info
            accesslog:
              disabled: false
          storage:
            filesystem:
              rootdirectory: %s
            delete:
              enabled: true
          http:
            addr: 127.0.0.1:%d
          """.formatted(storage, port));
      Path log = dir.resolve("registry-" + attempt + ".log");
      Process p = new ProcessBuilder(BINARY.toString(), "serve", config.toString())
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      RealRegistry r = new RealRegistry(p, log, port);
      if (r.awaitReady()) {
        return r;
      }
      r.close();
      last = new IOException("docker-registry did not answer on 127.0.0.1:" + port + ": "
          + Files.readString(log, StandardCharsets.UTF_8));
    }
    throw last;
  }

  /** For each test's {@code @BeforeEach}: skips it, saying why, when {@link #start} found no binary. */
  public static void assumeRunning(RealRegistry registry) {
    Assumptions.assumeTrue(registry != null, () -> missing() + "; skipped (set WARDEN_REQUIRE_REAL_SERVERS=1 to fail)");
  }

  private static String missing() {
    return BINARY + " is not installed (apt-get install docker-registry); the real-registry tests need it";
  }

  /** How many requests with {@code method} to a path starting with {@code pathPrefix} the access log holds. */
  public long requests(String method, String pathPrefix) throws IOException {
    Pattern line = Pattern.compile("\"" + method + " " + Pattern.quote(pathPrefix) + "[^\"]* HTTP/1\\.1\"");
    return Files.readAllLines(log, StandardCharsets.UTF_8).stream().filter(l -> line.matcher(l).find()).count();
  }

  /** Waits a little for the access log to hold {@code n} matching lines (it is written as a response ends). */
  public long awaitRequests(String method, String pathPrefix, long n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    long seen;
    while ((seen = requests(method, pathPrefix)) < n && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    return seen;
  }

  public String host() {
    return "127.0.0.1:" + port;
  }

  private boolean awaitReady() throws InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline && process.isAlive()) {
      try {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://" + host() + "/v2/"))
            .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return true;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(50);
    }
    return false;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
  }
}
