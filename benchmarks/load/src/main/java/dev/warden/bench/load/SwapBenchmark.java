package dev.warden.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * Bundle swaps under load: one Warden sidecar in its own JVM, serving a private copy of the
 * example bundle ({@link SwapBundle}) with its watch off, so that only this benchmark's
 * {@code POST /bundles/reload} calls swap it. An open-loop stream of ext_authz Checks at a fixed
 * rate ({@link OpenLoop}) runs through every phase: after a warm-up (with swaps, not counted),
 * each round is a <em>baseline</em> phase (no swaps) and then a <em>swaps</em> phase (the same
 * rate while another thread swaps the bundle between its two revisions, back to back or at a
 * fixed pace, until the round's share of the swaps is done). Each swap must answer
 * {@code "result":"ok"} with the expected revision; every Check must be answered right by one of
 * the two revisions (in a baseline phase: by the active one only). Reports each phase's latency
 * percentiles, the p99 ratio swaps/baseline per round and its median, swap latencies, and the
 * sidecar's CPU time.
 *
 * <p>{@code java -cp load.jar dev.warden.bench.load.SwapBenchmark --rate 500 --swaps 1000 --rounds 5};
 * {@code --help} lists the options.
 */
public final class SwapBenchmark {
  private static final String USAGE = String.join("\n",
      "usage: java -cp benchmarks/load/target/load.jar dev.warden.bench.load.SwapBenchmark [options]",
      "  --rate R             Checks per second, open loop, in every phase (default 500)",
      "  --swaps N            bundle swaps measured in all, shared out over the rounds (default 1000)",
      "  --rounds N           baseline + swaps phase pairs (default 5)",
      "  --baseline D         length of each baseline phase (default 3s: about a swaps phase's, back to back)",
      "  --swap-interval D    a swap starts every D (default 0: back to back)",
      "  --swap-limit D       longest a swaps phase may take; longer fails the run (default 5m)",
      "  --warmup D           warm-up at the rate before round 1, answers verified (default 40s)",
      "  --warmup-swaps N     swaps during the warm-up, not counted (default 200)",
      "  --server-jvm-args A  JVM options of the sidecar process, space separated (e.g. -Xlog:gc:file=gc.log)",
      "  --bundle DIR         the example bundle to copy (default policies/shop)",
      "  --mix N              generated requests in the sequence (default 4096)",
      "  --seed N             seed of the sequence (default 42)",
      "durations: 0, 500ms, 10s, 2m");

  /** Calls unanswered at once beyond which the server counts as stalled (20 s at 500/s). */
  static final int MAX_IN_FLIGHT = 10_000;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String INTERRUPTED = "interrupted";
  /** The closed-loop run before the warm-up: the sidecar's hot path compiled before the open loop starts. */
  private static final Duration PREWARM = Duration.ofSeconds(3);

  /** How one run is set up. */
  public record Options(double rate, int swaps, int rounds, Duration baseline, Duration swapInterval,
      Duration swapLimit, Duration warmup, int warmupSwaps, List<String> serverJvmArgs, Path bundle, int mixSize,
      long seed) {
    public static Options defaults() {
      return new Options(500, 1000, 5, Duration.ofSeconds(3), Duration.ZERO, Duration.ofMinutes(5),
          Duration.ofSeconds(40), 200, List.of(), Path.of("policies/shop"), 4096, 42);
    }
  }

  /** The swaps of one phase: how many were asked for and done, and their latencies (POST to answer, ns). */
  record Swaps(int requested, int done, Histogram latency) {
    double millis(double percentile) {
      return done == 0 ? 0 : latency.getValueAtPercentile(percentile) / 1e6;
    }
  }

  /** One measured phase: {@code swaps} null for a baseline; CPU time of the sidecar during it (-1: unknown). */
  record Phase(int round, String name, OpenLoop.Result load, Swaps swaps, long serverCpuNanos, long wallNanos,
      java.time.Instant startedAt, long clientCpuNanos, long machineCpuNanos) {
    /**
     * The CPU time of every other process on the machine during the phase, in % of one core, or
     * "n/a": the machine's busy time (/proc/stat) less the sidecar's and this JVM's. On a shared
     * machine it says how much of the 2 cores someone else was using.
     */
    String othersShare() {
      if (serverCpuNanos < 0 || clientCpuNanos < 0 || machineCpuNanos < 0 || wallNanos == 0) {
        return "n/a";
      }
      return String.format(Locale.ROOT, "%.0f%%",
          100.0 * Math.max(0, machineCpuNanos - serverCpuNanos - clientCpuNanos) / wallNanos);
    }

    String clientShare() {
      return clientCpuNanos < 0 || wallNanos == 0 ? "n/a"
          : String.format(Locale.ROOT, "%.0f%%", 100.0 * clientCpuNanos / wallNanos);
    }

    String cpuPerCheck() {
      return serverCpuNanos < 0 || load.answered() == 0 ? "n/a"
          : String.format(Locale.ROOT, "%.1f", serverCpuNanos / 1000.0 / load.answered());
    }

    String cpuShare() {
      return serverCpuNanos < 0 || wallNanos == 0 ? "n/a"
          : String.format(Locale.ROOT, "%.0f%%", 100.0 * serverCpuNanos / wallNanos);
    }
  }

  private SwapBenchmark() {}

  public static void main(String[] args) {
    LoadBenchmark.main(args, USAGE, SwapBenchmark::parse, options -> report(options, run(options, System.out), System.out));
  }

  /** The answers of either revision are right; which revision gave one comes from its metadata. */
  private static final OpenLoop.Answers ANSWERS = new OpenLoop.Answers() {
    @Override
    public String mismatch(RequestMix.Case expected, CheckResponse actual) {
      return ServerKind.WARDEN.mismatch(expected, actual);
    }

    @Override
    public int revision(CheckResponse actual) {
      return SwapBundle.revisionOf(actual);
    }
  };

  /** Runs the warm-up and every round; the sidecar process is stopped at the end, whatever happens. */
  public static List<Phase> run(Options options, PrintStream log)
      throws LoadBenchmark.BenchmarkFailure, InterruptedException {
    if (!Files.isDirectory(options.bundle())) {
      throw new LoadBenchmark.BenchmarkFailure("no bundle at " + options.bundle().toAbsolutePath()
          + " (run from the repository root, or pass --bundle)", null);
    }
    RequestMix mix = RequestMix.generate(options.mixSize(), options.seed());
    SwapBundle bundle;
    try {
      bundle = SwapBundle.copyOf(options.bundle());
    } catch (IOException e) {
      throw new LoadBenchmark.BenchmarkFailure("cannot copy the bundle: " + e.getMessage(), e);
    }
    // The sidecar's own bound: the longest the run can take, plus a margin.
    Duration life = options.warmup().plus(options.swapLimit()).plus(
        options.baseline().plus(options.swapLimit()).multipliedBy(options.rounds())).plusSeconds(120);
    ServerKind.Running server = null;
    ManagedChannel channel = null;
    try {
      try {
        // Only this benchmark's POSTs swap: the watch is off. The test gate stays as deployed (on).
        server = Placement.SEPARATE.start(ServerKind.WARDEN, bundle.dir(), defaultReadBatch(), options.serverJvmArgs(),
            life, Map.of("reload.watch", "false"));
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        throw new LoadBenchmark.BenchmarkFailure("cannot start the sidecar: " + e.getMessage(), e);
      }
      if (server.admin() == null) {
        throw new LoadBenchmark.BenchmarkFailure("the sidecar did not tell its admin address", null);
      }
      log.printf("mix: %d requests (seed %d): %s%n", mix.size(), options.seed(), mix.answers());
      log.printf("setup: %d CPUs, %s %s; sidecar in its own JVM, gRPC %s, admin %s; revisions %s and %s%n",
          Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
          System.getProperty("java.version"), server.address(), server.admin(), bundle.name(1), bundle.name(2));
      channel = NettyChannelBuilder.forTarget(server.address()).usePlaintext().directExecutor().build();
      AuthorizationGrpc.AuthorizationStub stub = AuthorizationGrpc.newStub(channel);
      Reloads reloads = new Reloads(server.admin(), bundle);
      AtomicLong sequence = new AtomicLong();

      // A cold sidecar cannot keep up with the open loop at first, and a backlog of calls then
      // waits out its deadline: a short closed loop (its answers checked too) compiles the hot
      // path first, as the load benchmark's warm-up does.
      ClosedLoop.Result prewarm = ClosedLoop.run(stub, mix, ServerKind.WARDEN, 4, PREWARM, 10_000_000);
      if (!prewarm.clean() || prewarm.calls() == 0) {
        throw new LoadBenchmark.BenchmarkFailure(String.format("closed-loop pre-warm: %d wrong answer(s) and %d"
            + " failed call(s) in %d; first: %s", prewarm.mismatches(), prewarm.errors(), prewarm.calls(),
            prewarm.firstProblem()), null);
      }
      log.printf("pre-warm: %,d Checks closed-loop (4 in flight) in %s, every answer as expected%n", prewarm.calls(),
          text(PREWARM));
      log.printf("warm-up: %s at %.0f Checks/s with %d swaps…%n", text(options.warmup()), options.rate(),
          options.warmupSwaps());
      Phase warm = phase(0, "warm-up", stub, mix, sequence, options, server, reloads, options.warmupSwaps(),
          options.warmup(), options.warmup().plus(options.swapLimit()));
      requireClean(warm);
      log.printf("  %s%n", line(warm));
      List<Phase> out = new ArrayList<>();
      for (int round = 1; round <= options.rounds(); round++) {
        int share = options.swaps() / options.rounds() + (round <= options.swaps() % options.rounds() ? 1 : 0);
        Phase base = phase(round, "baseline", stub, mix, sequence, options, server, null, 0, options.baseline(),
            options.baseline());
        requireClean(base);
        // With no swap running, only the active revision may answer.
        long other = base.load().revisions()[3 - bundle.active()];
        if (other != 0) {
          throw new LoadBenchmark.BenchmarkFailure(String.format("round %d baseline: %d answer(s) of revision %s while"
              + " %s was active and nothing swapped", round, other, bundle.name(3 - bundle.active()),
              bundle.name(bundle.active())), null);
        }
        log.printf("round %d %s%n", round, line(base));
        out.add(base);
        Phase swaps = phase(round, "swaps", stub, mix, sequence, options, server, reloads, share, Duration.ZERO,
            options.swapLimit());
        requireClean(swaps);
        log.printf("round %d %s%n", round, line(swaps));
        out.add(swaps);
      }
      return out;
    } catch (IllegalStateException e) {
      throw new LoadBenchmark.BenchmarkFailure(e.getMessage(), e);
    } finally {
      if (channel != null) {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
      }
      if (server != null) {
        server.stop().run();
      }
      bundle.close();
    }
  }

  /** The read batch of the sidecar: its default, as deployed. */
  private static int defaultReadBatch() {
    return dev.warden.server.ReadBatching.DEFAULT_BYTES;
  }

  /**
   * One phase at the options' rate, while another thread does {@code swapCount} swaps through
   * {@code reloads} (none when null) at the options' pace: it lasts at least {@code minLength} and
   * until the swaps are done, but no longer than {@code limit}, when unfinished swaps fail the run.
   */
  private static Phase phase(int round, String name, AuthorizationGrpc.AuthorizationStub stub, RequestMix mix,
      AtomicLong sequence, Options options, ServerKind.Running server, Reloads reloads, int swapCount,
      Duration minLength, Duration limit) throws LoadBenchmark.BenchmarkFailure, InterruptedException {
    Histogram swapLatency = new Histogram(TimeUnit.MINUTES.toNanos(5), 3);
    AtomicLong done = new AtomicLong();
    AtomicReference<String> swapProblem = new AtomicReference<>();
    java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean(reloads == null);
    Thread swapper = null;
    long cpu0 = server.cpuNanos().getAsLong();
    long client0 = clientCpuNanos();
    long machine0 = machineCpuNanos();
    java.time.Instant startedAt = java.time.Instant.now();
    long t0 = System.nanoTime();
    if (reloads != null) {
      swapper = new Thread(() -> {
        try {
          long start = System.nanoTime();
          long interval = options.swapInterval().toNanos();
          for (int i = 0; i < swapCount && !Thread.currentThread().isInterrupted(); i++) {
            for (long wait = start + i * interval - System.nanoTime(); wait > 0;
                wait = start + i * interval - System.nanoTime()) {
              TimeUnit.NANOSECONDS.sleep(wait);
            }
            swapLatency.recordValue(Math.min(reloads.swap(), swapLatency.getHighestTrackableValue()));
            done.incrementAndGet();
          }
        } catch (InterruptedException e) {
          swapProblem.compareAndSet(null, INTERRUPTED);
        } catch (Exception e) {
          swapProblem.compareAndSet(null, e.getMessage() == null ? e.toString() : e.getMessage());
        } finally {
          finished.set(true);
        }
      }, "swapper");
      swapper.setDaemon(true);
      swapper.start();
    }
    OpenLoop.Result load;
    try {
      long minEnd = t0 + minLength.toNanos();
      load = OpenLoop.run(stub, mix, sequence, options.rate(), limit,
          () -> finished.get() && System.nanoTime() - minEnd >= 0, MAX_IN_FLIGHT, ANSWERS);
    } finally {
      if (swapper != null) {
        swapper.interrupt();
        swapper.join(TimeUnit.SECONDS.toMillis(40));
      }
    }
    long wall = System.nanoTime() - t0;
    long cpu1 = server.cpuNanos().getAsLong();
    long cpu = cpu0 < 0 || cpu1 < 0 ? -1 : cpu1 - cpu0;
    long client1 = clientCpuNanos();
    long machine1 = machineCpuNanos();
    Swaps swaps = reloads == null ? null : new Swaps(swapCount, (int) done.get(), swapLatency);
    Phase p = new Phase(round, name, load, swaps, cpu, wall, startedAt,
        client0 < 0 || client1 < 0 ? -1 : client1 - client0, machine0 < 0 || machine1 < 0 ? -1 : machine1 - machine0);
    String where = round > 0 ? "round " + round + " " + name : name;
    if (swapProblem.get() != null && !swapProblem.get().equals(INTERRUPTED)) {
      throw new LoadBenchmark.BenchmarkFailure(String.format("%s: swap %d of %d failed: %s", where, done.get() + 1,
          swapCount, swapProblem.get()), null);
    }
    if (swaps != null && swaps.done() != swapCount) {
      throw new LoadBenchmark.BenchmarkFailure(String.format("%s: only %d of %d swaps within %s", where, swaps.done(),
          swapCount, text(limit)), null);
    }
    return p;
  }

  /** The CPU time this JVM (the client) has used so far, or -1. */
  private static long clientCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
  }

  /**
   * The busy CPU time of the whole machine so far (all CPUs: user, nice, system, irq, softirq,
   * steal), from the first line of /proc/stat, or -1 where there is none. Its unit is the kernel's
   * clock tick, taken as the usual 100 Hz.
   */
  static long machineCpuNanos() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      if (!f[0].equals("cpu") || f.length < 9) {
        return -1;
      }
      long ticks = 0;
      for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
        ticks += Long.parseLong(f[i]);
      }
      return ticks * 10_000_000L;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * Swaps through the admin listener: flip the files, `POST /bundles/reload`, require ok with the
   * new revision. The POST is plain HTTP/1.1 on a fresh loopback connection (`Connection:
   * close`): the client's share of the 2 cores should be the load's, not an HTTP stack's.
   */
  static final class Reloads {
    private static final int TIMEOUT_MILLIS = 30_000;
    private final String host;
    private final int port;
    private final byte[] request;
    private final SwapBundle bundle;

    Reloads(String admin, SwapBundle bundle) {
      int colon = admin.lastIndexOf(':');
      this.host = admin.substring(0, colon);
      this.port = Integer.parseInt(admin.substring(colon + 1));
      this.request = ("POST /bundles/reload HTTP/1.1\r\nHost: " + admin + "\r\nContent-Length: 0\r\n"
          + "Connection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      this.bundle = bundle;
    }

    /** One swap; returns its latency (the POST's round trip: read, compile, test gate, activate) in nanoseconds. */
    long swap() throws IOException, InterruptedException {
      int next = bundle.flip();
      long t0 = System.nanoTime();
      String response;
      try (java.net.Socket socket = new java.net.Socket()) {
        socket.connect(new java.net.InetSocketAddress(host, port), 5_000);
        socket.setSoTimeout(TIMEOUT_MILLIS);
        socket.getOutputStream().write(request);
        socket.getOutputStream().flush();
        // A bounded read: the answer is a few hundred bytes.
        response = new String(socket.getInputStream().readNBytes(64 * 1024), java.nio.charset.StandardCharsets.UTF_8);
      }
      long nanos = System.nanoTime() - t0;
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
      int split = response.indexOf("\r\n\r\n");
      if (!response.startsWith("HTTP/1.1 200 ") || split < 0) {
        throw new IOException("POST /bundles/reload answered: " + response.strip());
      }
      String body = response.substring(split + 4);
      JsonNode j = JSON.readTree(body);
      // The revision shown is the label, `@`, and the content digest's first 12 hex digits.
      if (!"ok".equals(j.path("result").asText())
          || !j.path("revision").asText().matches(java.util.regex.Pattern.quote(bundle.name(next)) + "@sha256:[0-9a-f]{12}")) {
        throw new IOException("expected result ok with revision " + bundle.name(next) + ", got " + body.strip());
      }
      return nanos;
    }
  }

  private static void requireClean(Phase p) throws LoadBenchmark.BenchmarkFailure {
    OpenLoop.Result r = p.load();
    String where = (p.round() > 0 ? "round " + p.round() + " " : "") + p.name();
    if (!r.clean()) {
      throw new LoadBenchmark.BenchmarkFailure(String.format("%s: %d sent, %d answered, %d failed, %d wrong; first: %s",
          where, r.sent(), r.answered(), r.failed(), r.mismatches(), r.firstProblem()), null);
    }
    if (r.answered() == 0) {
      throw new LoadBenchmark.BenchmarkFailure(where + ": no Check answered", null);
    }
  }

  private static String line(Phase p) {
    OpenLoop.Result r = p.load();
    String swaps = p.swaps() == null ? "" : String.format(Locale.ROOT, "; %d swaps ok, swap p50 %.1f ms, p99 %.1f ms",
        p.swaps().done(), p.swaps().millis(50), p.swaps().millis(99));
    return String.format(Locale.ROOT, "%s: %,d sent, %,d answered (rev1 %d, rev2 %d), 0 failed, %.0f Checks/s;"
        + " p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%s; sidecar CPU %s µs/Check (%s of a core)", p.name(),
        r.sent(), r.answered(), r.revisions()[1], r.revisions()[2], r.checksPerSecond(), r.millis(50), r.millis(90),
        r.millis(99), r.latency().getMaxValue() / 1e6, swaps, p.cpuPerCheck(), p.cpuShare())
        + String.format(Locale.ROOT, "; client CPU %s, other processes %s of a core", p.clientShare(), p.othersShare())
        // Wall-clock bounds, to line the phase up with the sidecar's own logs (a GC log with `time`).
        + String.format(Locale.ROOT, "; %s to %s", p.startedAt(), p.startedAt().plusNanos(p.wallNanos()));
  }

  /** The phases as a Markdown table, then the p99 ratio swaps/baseline per round and its median. */
  static void report(Options options, List<Phase> phases, PrintStream out) {
    out.println();
    out.printf(Locale.ROOT, "open loop at %.0f Checks/s, baseline %s per round, %d swaps in %d rounds (%s)%n",
        options.rate(), text(options.baseline()), options.swaps(), options.rounds(),
        options.swapInterval().isZero() ? "back to back" : "one every " + text(options.swapInterval()));
    out.println("| round | phase | Checks/s | answered | failed | p50 ms | p90 ms | p99 ms | max ms | swaps "
        + "| swap p50 ms | swap p99 ms | sidecar CPU µs/Check | sidecar CPU | client CPU | others' CPU |");
    out.println("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (Phase p : phases) {
      OpenLoop.Result r = p.load();
      out.printf(Locale.ROOT, "| %d | %s | %.0f | %,d | %d | %.2f | %.2f | %.2f | %.2f | %s | %s | %s | %s | %s | %s | %s |%n",
          p.round(), p.name(), r.checksPerSecond(), r.answered(), r.failed(), r.millis(50), r.millis(90), r.millis(99),
          r.latency().getMaxValue() / 1e6, p.swaps() == null ? "–" : Integer.toString(p.swaps().done()),
          p.swaps() == null ? "–" : String.format(Locale.ROOT, "%.1f", p.swaps().millis(50)),
          p.swaps() == null ? "–" : String.format(Locale.ROOT, "%.1f", p.swaps().millis(99)), p.cpuPerCheck(),
          p.cpuShare(), p.clientShare(), p.othersShare());
    }
    List<Double> ratios = ratios(phases);
    StringBuilder each = new StringBuilder();
    for (double r : ratios) {
      each.append(each.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f×", r));
    }
    if (!ratios.isEmpty()) {
      double median = LoadBenchmark.median(ratios);
      out.printf(Locale.ROOT, "p99 swaps/baseline by round = %s; median %.2f× (target ≤ 2×: %s)%n", each, median,
          median <= 2 ? "met" : "missed");
    }
  }

  /** Each round's p99 during swaps over its baseline p99. */
  static List<Double> ratios(List<Phase> phases) {
    List<Double> out = new ArrayList<>();
    for (Phase base : phases) {
      if (!base.name().equals("baseline")) {
        continue;
      }
      for (Phase swaps : phases) {
        if (swaps.round() == base.round() && swaps.name().equals("swaps")) {
          out.add(swaps.load().millis(99) / base.load().millis(99));
        }
      }
    }
    return out;
  }

  private static final java.util.Set<String> OPTIONS = java.util.Set.of("--rate", "--swaps", "--rounds", "--baseline",
      "--swap-interval", "--swap-limit", "--warmup", "--warmup-swaps", "--server-jvm-args", "--bundle", "--mix",
      "--seed");

  /** The options from command-line arguments, or null when help was asked for. */
  static Options parse(String[] args) {
    Options o = Options.defaults();
    double rate = o.rate();
    int swaps = o.swaps();
    int rounds = o.rounds();
    Duration baseline = o.baseline();
    Duration interval = o.swapInterval();
    Duration limit = o.swapLimit();
    Duration warmup = o.warmup();
    int warmupSwaps = o.warmupSwaps();
    List<String> jvmArgs = o.serverJvmArgs();
    Path bundle = o.bundle();
    int mix = o.mixSize();
    long seed = o.seed();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--help") || arg.equals("-h")) {
        return null;
      }
      String name = arg;
      String value;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      } else {
        if (!OPTIONS.contains(name)) {
          throw new IllegalArgumentException("unknown option `" + arg + "`");
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("`" + name + "` needs a value");
        }
        value = args[++i];
      }
      if (!OPTIONS.contains(name)) {
        throw new IllegalArgumentException("unknown option `" + name + "`");
      }
      switch (name) {
        case "--rate" -> {
          try {
            rate = Double.parseDouble(value.trim());
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("`--rate` must be a number, found `" + value + "`");
          }
          if (!(rate >= 1 && rate <= 100_000)) {
            throw new IllegalArgumentException("`--rate` must be from 1 to 100000 Checks/s, found `" + value + "`");
          }
        }
        case "--swaps" -> swaps = count(value, name, 1);
        case "--rounds" -> rounds = count(value, name, 1);
        case "--baseline" -> baseline = LoadBenchmark.duration(value, name);
        case "--swap-interval" -> interval = value.trim().equals("0") ? Duration.ZERO : LoadBenchmark.duration(value, name);
        case "--swap-limit" -> limit = LoadBenchmark.duration(value, name);
        case "--warmup" -> warmup = LoadBenchmark.duration(value, name);
        case "--warmup-swaps" -> warmupSwaps = count(value, name, 0);
        case "--server-jvm-args" -> jvmArgs = value.isBlank() ? List.of() : List.of(value.trim().split("\\s+"));
        case "--bundle" -> bundle = Path.of(value);
        case "--mix" -> mix = count(value, name, 1);
        case "--seed" -> {
          try {
            seed = Long.parseLong(value.trim());
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("`--seed` must be a whole number, found `" + value + "`");
          }
        }
        default -> throw new IllegalStateException(name);
      }
    }
    if (swaps < rounds) {
      throw new IllegalArgumentException("`--swaps` must be at least `--rounds`: every round swaps");
    }
    return new Options(rate, swaps, rounds, baseline, interval, limit, warmup, warmupSwaps, jvmArgs, bundle, mix, seed);
  }

  private static int count(String value, String name, int min) {
    long n;
    try {
      n = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("`" + name + "` must be a whole number, found `" + value + "`");
    }
    if (n < min || n > 10_000_000) {
      throw new IllegalArgumentException("`" + name + "` must be from " + min + " to 10000000, found `" + value + "`");
    }
    return (int) n;
  }

  private static String text(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }
}
