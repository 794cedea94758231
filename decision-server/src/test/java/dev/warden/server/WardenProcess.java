package dev.warden.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real `warden serve` in a child JVM, as an operator starts it: same main class, the test
 * class path, ports chosen by the OS and read from the lines it prints. A child rather than a
 * server in this JVM, so that nothing the tests set up (system properties, loaded classes, a
 * clock) can make the sidecar answer differently than it does in production. Also how tests see
 * what the process does with signals: {@link #signal}, {@link #terminate}, {@link #waitFor}.
 */
public final class WardenProcess implements AutoCloseable {
  private static final Pattern GRPC = Pattern.compile("^warden: ext_authz gRPC on (\\S+)$");
  private static final Pattern ADMIN = Pattern.compile("^warden: admin on http://(\\S+):(\\d+) .*$");
  /** Kept of the child's stderr: enough for a failed start, bounded for a long run. */
  private static final int STDERR_LIMIT = 64 * 1024;

  private final Process process;
  private final StringBuilder stderr;
  private final Thread stderrReader;
  private final Thread killer;
  private final String grpcTarget;
  private final int adminPort;

  private WardenProcess(Process process, StringBuilder stderr, Thread stderrReader, Thread killer, String grpcTarget,
      int adminPort) {
    this.process = process;
    this.stderr = stderr;
    this.stderrReader = stderrReader;
    this.killer = killer;
    this.grpcTarget = grpcTarget;
    this.adminPort = adminPort;
  }

  /**
   * Starts `warden serve --bundle BUNDLE --grpc 127.0.0.1:0 --http 127.0.0.1:0 --config CONFIG`
   * and waits, at most {@code startup}, until it says where it listens.
   */
  public static WardenProcess start(Path bundle, Path config, Duration startup) throws IOException, InterruptedException {
    return start(List.of("--bundle", bundle.toString(), "--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0",
        "--config", config.toString()), startup);
  }

  /**
   * Starts `warden serve` with {@code serveArgs}, which must make it listen on loopback ports the
   * OS picks (`--grpc 127.0.0.1:0 --http 127.0.0.1:0`), and waits, at most {@code startup},
   * until it says where.
   */
  public static WardenProcess start(List<String> serveArgs, Duration startup) throws IOException, InterruptedException {
    return start(serveArgs, java.util.Map.of(), startup);
  }

  /** {@link #start(List, Duration)} with these environment variables (`WARDEN_LOG_LEVEL`, …) set for the child. */
  public static WardenProcess start(List<String> serveArgs, java.util.Map<String, String> env, Duration startup)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-cp");
    command.add(classPath());
    command.add("dev.warden.cli.WardenCli");
    command.add("serve");
    command.addAll(serveArgs);
    ProcessBuilder builder = new ProcessBuilder(command);
    // WARDEN_* variables override the config file: none of this JVM's may reach the child.
    builder.environment().keySet().removeIf(k -> k.startsWith("WARDEN_"));
    builder.environment().putAll(env);
    Process process = builder.start();
    Thread killer = new Thread(process::destroyForcibly, "stop-warden-serve");
    Runtime.getRuntime().addShutdownHook(killer);
    StringBuilder stderr = new StringBuilder();
    Thread stderrReader = drain(process.getErrorStream(), line -> {
      synchronized (stderr) {
        if (stderr.length() < STDERR_LIMIT) {
          stderr.append(line).append('\n');
        }
      }
    }, "warden-serve-stderr");
    BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
    drain(process.getInputStream(), stdout::add, "warden-serve-stdout");
    String grpc = null;
    int admin = -1;
    long deadline = System.nanoTime() + startup.toNanos();
    try {
      while (grpc == null || admin < 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException("`warden serve` did not say where it listens within " + startup.toSeconds()
              + " s; its stderr:\n" + text(stderr));
        }
        String line = stdout.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS);
        if (line == null) {
          if (!process.isAlive() && stdout.isEmpty()) {
            throw new IllegalStateException("`warden serve` exited with " + process.exitValue()
                + " before listening; its stderr:\n" + text(stderr));
          }
          continue;
        }
        Matcher g = GRPC.matcher(line);
        Matcher a = ADMIN.matcher(line);
        if (g.matches()) {
          grpc = g.group(1);
        } else if (a.matches()) {
          admin = Integer.parseInt(a.group(2));
        }
      }
    } catch (RuntimeException | InterruptedException e) {
      stop(process, killer);
      throw e;
    }
    return new WardenProcess(process, stderr, stderrReader, killer, grpc, admin);
  }

  /** The real class path of the tests: surefire's booter jar only points at it. */
  private static String classPath() {
    String surefire = System.getProperty("surefire.test.class.path");
    return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
  }

  private static Thread drain(InputStream in, java.util.function.Consumer<String> sink, String name) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          sink.accept(line);
        }
      } catch (IOException e) {
        // The child is gone; whoever waits on it notices.
        return;
      }
    }, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static String text(StringBuilder stderr) {
    synchronized (stderr) {
      return stderr.toString();
    }
  }

  /** `HOST:PORT` of ext_authz and the decide API. */
  public String grpcTarget() {
    return grpcTarget;
  }

  public int adminPort() {
    return adminPort;
  }

  /** What the child wrote to stderr so far (its logs), up to a bound. */
  public String stderr() {
    return text(stderr);
  }

  /**
   * Waits, at most {@code timeout}, until the child's stderr holds {@code text} at least
   * {@code times} times; returns how many times it does.
   */
  public int awaitStderr(String text, int times, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int seen = count(stderr(), text);
    while (seen < times && System.nanoTime() < deadline) {
      Thread.sleep(20);
      seen = count(stderr(), text);
    }
    return seen;
  }

  private static int count(String haystack, String needle) {
    int n = 0;
    for (int at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + needle.length())) {
      n++;
    }
    return n;
  }

  /** The child's process id, the only one tests signal. */
  public long pid() {
    return process.pid();
  }

  /** Sends signal {@code name} (`HUP`, `INT`, `TERM`) to the child, by its process id, with `kill`. */
  public void signal(String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).redirectErrorStream(true).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS)) {
      kill.destroyForcibly();
      throw new IllegalStateException("`kill -" + name + "` did not finish");
    }
    if (kill.exitValue() != 0) {
      throw new IllegalStateException("`kill -" + name + " " + process.pid() + "` failed: "
          + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  /**
   * SIGTERM, without waiting: the child starts its orderly stop. With `kill`, because
   * `Process.destroy()` also closes the pipes, and what the child logs while it stops is lost.
   */
  public void terminate() throws IOException, InterruptedException {
    signal("TERM");
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * The child's exit code, once it exits within {@code timeout}; fails if it does not. Its last
   * log lines are read by then: {@link #stderr()} holds everything it wrote.
   */
  public int waitFor(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
      throw new IllegalStateException("`warden serve` still runs after " + timeout.toMillis() + " ms; its stderr:\n"
          + stderr());
    }
    stderrReader.join(TimeUnit.SECONDS.toMillis(5));
    return process.exitValue();
  }

  /** SIGTERM, so that the sidecar drains as in production; SIGKILL if it does not exit in time. */
  @Override
  public void close() {
    stop(process, killer);
  }

  private static void stop(Process process, Thread killer) {
    try {
      process.destroy();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(killer);
      } catch (IllegalStateException e) {
        // The JVM is already shutting down and the hook runs: it kills the child.
        process.destroyForcibly();
      }
    }
  }
}
