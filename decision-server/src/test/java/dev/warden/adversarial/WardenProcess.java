package dev.warden.adversarial;

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
 * clock) can make the sidecar answer differently than it does in production.
 */
final class WardenProcess implements AutoCloseable {
  private static final Pattern GRPC = Pattern.compile("^warden: ext_authz gRPC on (\\S+)$");
  private static final Pattern ADMIN = Pattern.compile("^warden: admin on http://(\\S+):(\\d+) .*$");
  /** Kept of the child's stderr: enough for a failed start, bounded for a long run. */
  private static final int STDERR_LIMIT = 64 * 1024;

  private final Process process;
  private final StringBuilder stderr;
  private final Thread killer;
  private final String grpcTarget;
  private final int adminPort;

  private WardenProcess(Process process, StringBuilder stderr, Thread killer, String grpcTarget, int adminPort) {
    this.process = process;
    this.stderr = stderr;
    this.killer = killer;
    this.grpcTarget = grpcTarget;
    this.adminPort = adminPort;
  }

  /**
   * Starts `warden serve --bundle BUNDLE --grpc 127.0.0.1:0 --http 127.0.0.1:0 --config CONFIG`
   * and waits, at most {@code startup}, until it says where it listens.
   */
  static WardenProcess start(Path bundle, Path config, Duration startup) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-cp");
    command.add(classPath());
    command.add("dev.warden.cli.WardenCli");
    command.addAll(List.of("serve", "--bundle", bundle.toString(), "--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0",
        "--config", config.toString()));
    ProcessBuilder builder = new ProcessBuilder(command);
    // WARDEN_* variables override the config file: none of this JVM's may reach the child.
    builder.environment().keySet().removeIf(k -> k.startsWith("WARDEN_"));
    Process process = builder.start();
    Thread killer = new Thread(process::destroyForcibly, "stop-warden-serve");
    Runtime.getRuntime().addShutdownHook(killer);
    StringBuilder stderr = new StringBuilder();
    drain(process.getErrorStream(), line -> {
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
    return new WardenProcess(process, stderr, killer, grpc, admin);
  }

  /** The real class path of the tests: surefire's booter jar only points at it. */
  private static String classPath() {
    String surefire = System.getProperty("surefire.test.class.path");
    return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
  }

  private static void drain(InputStream in, java.util.function.Consumer<String> sink, String name) {
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
  }

  private static String text(StringBuilder stderr) {
    synchronized (stderr) {
      return stderr.toString();
    }
  }

  /** `HOST:PORT` of ext_authz and the decide API. */
  String grpcTarget() {
    return grpcTarget;
  }

  int adminPort() {
    return adminPort;
  }

  /** What the child wrote to stderr so far (its logs), up to a bound. */
  String stderr() {
    return text(stderr);
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
