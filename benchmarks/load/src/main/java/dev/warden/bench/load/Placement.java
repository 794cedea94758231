package dev.warden.bench.load;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/** Where the server under load runs relative to the client; applied identically to every server. */
public enum Placement {
  /**
   * A child JVM per server ({@link ServerMain}), launched with this JVM's java and class path.
   * Client and server then have their own heaps, collectors and JIT, as Envoy and a sidecar do.
   */
  SEPARATE {
    @Override
    ServerKind.Running start(ServerKind kind, Path bundle, int readBatchBytes, List<String> serverJvmArgs,
        Duration maxLife, Map<String, String> config) throws Exception {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(serverJvmArgs);
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add(ServerMain.class.getName());
      command.add(kind.label());
      command.add(bundle.toString());
      command.add(Integer.toString(readBatchBytes));
      command.add(Long.toString(Math.max(1, maxLife.toSeconds())));
      ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
      // Settings reach the child as `warden serve` reads them: WARDEN_* environment variables.
      config.forEach((key, value) -> builder.environment()
          .put("WARDEN_" + key.replace('.', '_').toUpperCase(java.util.Locale.ROOT), value));
      Process process = builder.start();
      Thread killer = new Thread(process::destroyForcibly, "stop-" + kind.label() + "-server");
      Runtime.getRuntime().addShutdownHook(killer);
      try {
        String[] addresses = awaitAddress(process, kind);
        return new ServerKind.Running(addresses[0], () -> stop(process, killer), () -> cpuNanos(process), addresses[1]);
      } catch (Exception | Error e) {
        stop(process, killer);
        throw e;
      }
    }
  },

  /** The server in this JVM, beside the client: they share a heap, a collector and the JIT. */
  SAME {
    @Override
    ServerKind.Running start(ServerKind kind, Path bundle, int readBatchBytes, List<String> serverJvmArgs,
        Duration maxLife, Map<String, String> config) throws Exception {
      return kind.start(bundle, readBatchBytes, config);
    }
  };

  private static final Duration STARTUP_LIMIT = Duration.ofSeconds(60);

  /** @param config Warden settings beyond the harness's own (for `--identity token`: `identity.jwt.*`) */
  abstract ServerKind.Running start(ServerKind kind, Path bundle, int readBatchBytes, List<String> serverJvmArgs,
      Duration maxLife, Map<String, String> config) throws Exception;

  static Placement parse(String label) {
    for (Placement p : values()) {
      if (p.name().equalsIgnoreCase(label)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown placement `" + label + "`; expected separate or same");
  }

  /**
   * Waits for the child's {@code listening} line: its gRPC address, and the admin address of an
   * earlier {@code admin} line or null. Its stdout is then drained so it can never block on a full pipe.
   */
  private static String[] awaitAddress(Process process, ServerKind kind) throws IOException, InterruptedException {
    BlockingQueue<String> lines = new ArrayBlockingQueue<>(1024);
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    Thread reader = new Thread(() -> {
      try {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
          lines.offer(line);
        }
      } catch (IOException e) {
        // The child is gone; the wait below notices.
        return;
      }
    }, kind.label() + "-server-stdout");
    reader.setDaemon(true);
    reader.start();
    long deadline = System.nanoTime() + STARTUP_LIMIT.toNanos();
    String admin = null;
    while (System.nanoTime() < deadline) {
      String line = lines.poll(100, TimeUnit.MILLISECONDS);
      if (line != null && line.startsWith(ServerMain.ADMIN)) {
        admin = line.substring(ServerMain.ADMIN.length()).trim();
      }
      if (line != null && line.startsWith(ServerMain.LISTENING)) {
        return new String[] {line.substring(ServerMain.LISTENING.length()).trim(), admin};
      }
      if (line == null && !process.isAlive()) {
        throw new IOException("the " + kind.label() + " server process exited with " + process.exitValue()
            + " before listening (its stderr is above)");
      }
    }
    throw new IOException("the " + kind.label() + " server process did not listen within " + STARTUP_LIMIT.toSeconds() + " s");
  }

  /** The CPU time (user and system) the child has used so far, or -1 where the OS does not tell. */
  private static long cpuNanos(Process process) {
    return process.info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(-1L);
  }

  /** Closes the child's stdin (its signal to stop), waits for it, and kills it if it does not exit. */
  private static void stop(Process process, Thread killer) {
    try {
      process.getOutputStream().close();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(killer);
      } catch (IllegalStateException e) {
        // The JVM is already shutting down and the hook is running: nothing to remove.
        process.destroyForcibly();
      }
    }
  }
}
