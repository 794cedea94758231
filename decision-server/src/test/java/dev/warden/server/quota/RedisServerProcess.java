package dev.warden.server.quota;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real Redis for tests: {@code redis-server} from the PATH, started as our own process on
 * 127.0.0.1 at a port chosen at run time, without persistence ({@code --save "" --appendonly no}),
 * never the package's system service. {@link #stop} and {@link #restart} (on the same port) let a
 * test take Redis away and bring it back; {@link #pause} and {@link #resume} freeze it. Without the binary the tests are skipped, unless
 * {@code WARDEN_REQUIRE_REAL_SERVERS=1}, where they fail.
 */
final class RedisServerProcess implements AutoCloseable {
  private final Path binary;
  private final Path dir;
  private final List<String> extra;
  final int port;
  private Process process;
  private int starts;
  private boolean paused;

  private RedisServerProcess(Path binary, Path dir, int port, List<String> extra) {
    this.binary = binary;
    this.dir = dir;
    this.port = port;
    this.extra = extra;
  }

  /**
   * Starts a Redis under {@code dir} (its log and working folder) for a {@code @BeforeAll}; null
   * without the binary, so that each test's {@link #assumeRunning} reports the skip, or fails
   * when {@code WARDEN_REQUIRE_REAL_SERVERS=1}.
   */
  static RedisServerProcess start(Path dir, String... extraArgs) throws Exception {
    Path binary = onPath("redis-server");
    if (binary == null) {
      if ("1".equals(System.getenv("WARDEN_REQUIRE_REAL_SERVERS"))) {
        fail(missing() + ", and WARDEN_REQUIRE_REAL_SERVERS=1");
      }
      return null;
    }
    IOException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      RedisServerProcess r = new RedisServerProcess(binary, Files.createDirectories(dir), freePort(), List.of(extraArgs));
      try {
        r.launch();
        return r;
      } catch (IOException e) {
        r.stop();
        last = e; // most likely the port was taken between choosing and binding it: choose another
      }
    }
    throw last;
  }

  /** For each test's {@code @BeforeEach}: skips it, saying why, when {@link #start} found no binary. */
  static void assumeRunning(RedisServerProcess redis) {
    Assumptions.assumeTrue(redis != null, () -> missing() + "; skipped (set WARDEN_REQUIRE_REAL_SERVERS=1 to fail)");
  }

  private static String missing() {
    return "redis-server is not on the PATH (apt-get install redis-server); the Redis quota tests need it";
  }

  String url() {
    return "redis://127.0.0.1:" + port;
  }

  /** Freezes the server (SIGSTOP to its own pid): connections stay open, nothing is answered. */
  void pause() throws Exception {
    signal("STOP");
    paused = true;
  }

  /** Lets a {@link #pause paused} server go on (SIGCONT). */
  void resume() throws Exception {
    signal("CONT");
    paused = false;
  }

  private void signal(String name) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + name + " " + process.pid() + " failed");
    }
  }

  /** Stops the server (SIGTERM to its own pid, then SIGKILL) and waits for it to exit. */
  void stop() throws InterruptedException {
    Process p = process;
    if (p == null) {
      return;
    }
    if (paused) {
      try {
        resume(); // a stopped process would not act on SIGTERM
      } catch (Exception e) {
        p.destroyForcibly();
      }
    }
    p.destroy();
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    process = null;
  }

  /** Starts the server again on the same port, empty (it keeps nothing on disk). */
  void restart() throws Exception {
    stop();
    IOException last = null;
    for (int attempt = 0; attempt < 20; attempt++) {
      try {
        launch();
        return;
      } catch (IOException e) {
        last = e; // the port may still be held for a moment by the server that just left
        stop();
        Thread.sleep(100);
      }
    }
    throw last;
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  private void launch() throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(binary.toString(), "--port", Integer.toString(port),
        "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString()));
    command.addAll(extra);
    Path log = dir.resolve("redis-" + port + "-" + starts++ + ".log");
    process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline && process.isAlive()) {
      if (pong() && process.isAlive()) {
        return;
      }
      Thread.sleep(20);
    }
    throw new IOException("redis-server did not answer PING on 127.0.0.1:" + port + ": "
        + Files.readString(log, StandardCharsets.UTF_8));
  }

  private boolean pong() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      s.setSoTimeout(1000);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[7];
      int n = in.readNBytes(buf, 0, 7);
      String answer = new String(buf, 0, n, StandardCharsets.US_ASCII);
      return answer.equals("+PONG\r\n") || answer.equals("-NOAUTH"); // up, with --requirepass
    } catch (IOException e) {
      return false;
    }
  }

  private static Path onPath(String name) {
    String path = System.getenv("PATH");
    for (String d : (path == null ? "" : path).split(File.pathSeparator)) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
        return Path.of(d, name);
      }
    }
    return null;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
