package dev.warden.bench.load;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The server process of a separate-process run: {@code ServerMain KIND BUNDLE READ_BATCH MAX_SECONDS}.
 * Prints {@code listening HOST:PORT} on stdout once it serves (after {@code admin HOST:PORT}, the
 * admin listener's address, when the server has one), then serves until its standard
 * input closes (the parent closes it to stop it, and the OS closes it if the parent dies) or
 * MAX_SECONDS pass, whichever comes first, so it never outlives a benchmark for long.
 */
public final class ServerMain {
  /** The line prefix the parent waits for. */
  static final String LISTENING = "listening ";
  /** The line before it that tells the admin listener's address, for a server that has one. */
  static final String ADMIN = "admin ";

  private ServerMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: ServerMain noop|warden BUNDLE READ_BATCH_BYTES MAX_SECONDS");
      System.exit(2);
    }
    ServerKind kind = ServerKind.parse(args[0]);
    int readBatch = Integer.parseInt(args[2]);
    long maxSeconds = Long.parseLong(args[3]);
    ServerKind.Running running;
    try {
      // Further settings come as WARDEN_* environment variables, read as `warden serve` reads them.
      running = kind.start(Path.of(args[1]), readBatch, java.util.Map.of());
    } catch (Exception e) {
      System.err.println("cannot start the " + kind.label() + " server: " + e);
      System.exit(1);
      return;
    }
    CountDownLatch stdinClosed = new CountDownLatch(1);
    Thread watcher = new Thread(() -> {
      drain(System.in);
      stdinClosed.countDown();
    }, "stdin-watcher");
    watcher.setDaemon(true);
    watcher.start();
    if (running.admin() != null) {
      System.out.println(ADMIN + running.admin());
    }
    System.out.println(LISTENING + running.address());
    System.out.flush();
    try {
      if (!stdinClosed.await(maxSeconds, TimeUnit.SECONDS)) {
        System.err.println(kind.label() + " server: stopping after its limit of " + maxSeconds + " s");
      }
    } finally {
      running.stop().run();
    }
    System.exit(0);
  }

  /** Reads until end of input; a read error (the parent is gone) counts as the end too. */
  private static void drain(InputStream in) {
    try {
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      System.err.println("server: stdin failed (" + e.getMessage() + "); stopping");
    }
  }
}
