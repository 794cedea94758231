package dev.warden.bench.load;

import dev.warden.server.ReadBatching;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The sidecar load benchmark: a closed-loop gRPC client against a no-op ext_authz server and
 * against Warden serving the example bundle, one server after the other, with the same request
 * sequence, the same client and the same process arrangement. For each in-flight count and each
 * server: start the server, warm up (every answer checked; a wrong answer fails the run), measure
 * (answers still checked), stop the server. Prints Checks/s and latency percentiles.
 *
 * <p>{@code java -jar load.jar --in-flight 64 --warmup 10s --measure 20s}; {@code --help} lists
 * the options.
 */
public final class LoadBenchmark {
  private static final String USAGE = String.join("\n",
      "usage: java -jar benchmarks/load/target/load.jar [options]",
      "  --in-flight N[,N…]   calls kept in flight by the client (default 64)",
      "  --warmup D           warm-up per server, answers verified (default 10s)",
      "  --measure D          measurement per server (default 20s)",
      "  --max-calls N        call bound of each phase, besides its time (default 100000000)",
      "  --servers S[,S…]     noop, warden (default noop,warden)",
      "  --rounds N           run the servers in turn N times; report each round's ratio and the median (default 1)",
      "  --process P          separate: each server in its own JVM (default); same: in this JVM",
      "  --server-jvm-args A  JVM options of server processes, space separated (e.g. for JFR)",
      "  --read-batch B       bytes each server reads from the connection per wake-up (grpc.read_batch_bytes),",
      "                       the same for both; 0: Netty's adaptive reads (default " + ReadBatching.DEFAULT_BYTES + ")",
      "  --bundle DIR         Warden's bundle (default policies/shop)",
      "  --mix N              generated requests in the sequence (default 4096)",
      "  --seed N             seed of the sequence (default 42)",
      "  --identity I         metadata: claims in Envoy jwt_authn's metadata (default); token: an RS256 bearer",
      "                       token per caller, sent on every request, which Warden verifies itself",
      "durations: 500ms, 10s, 2m");

  /** How one benchmark run is set up. */
  public record Options(List<Integer> inFlight, Duration warmup, Duration measure, long maxCalls,
      List<ServerKind> servers, int rounds, Placement placement, List<String> serverJvmArgs, int readBatchBytes,
      Path bundle, int mixSize, long seed, boolean bearerTokens) {

    public static Options defaults() {
      return new Options(List.of(64), Duration.ofSeconds(10), Duration.ofSeconds(20), 100_000_000L,
          List.of(ServerKind.NOOP, ServerKind.WARDEN), 1, Placement.SEPARATE, List.of(), ReadBatching.DEFAULT_BYTES,
          Path.of("policies/shop"), 4096, 42, false);
    }
  }

  /**
   * The measured phase of one server at one in-flight count, with its warm-up's call count and
   * the CPU time the server's and the client's processes used during the phase (-1 when not
   * known: a server in the client's process, or an OS that does not tell).
   */
  public record Measurement(ServerKind server, int inFlight, int round, long warmupCalls, ClosedLoop.Result result,
      long serverCpuNanos, long clientCpuNanos) {
    double micros(double percentile) {
      return result.latency().getValueAtPercentile(percentile) / 1000.0;
    }

    /** CPU microseconds per Check, as text: "n/a" when unknown. */
    String cpuPerCheck(long cpuNanos) {
      return cpuNanos < 0 || result.calls() == 0 ? "n/a" : String.format("%.1f", cpuNanos / 1000.0 / result.calls());
    }
  }

  /** A run that must not be reported: a server gave a wrong answer, a call failed, or a server would not start. */
  public static final class BenchmarkFailure extends Exception {
    private static final long serialVersionUID = 1L;

    BenchmarkFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private LoadBenchmark() {}

  public static void main(String[] args) {
    main(args, USAGE, LoadBenchmark::parse, options -> report(options, run(options, System.out), System.out));
  }

  /** What a benchmark's main runs once its options are read. */
  interface Body<O> {
    void run(O options) throws BenchmarkFailure, InterruptedException;
  }

  /**
   * A benchmark's main: reads the options ({@code parse} returns null for `--help`), runs
   * {@code body} and exits 0; 2 on bad options (with the usage), 1 when the benchmark fails.
   */
  static <O> void main(String[] args, String usage, java.util.function.Function<String[], O> parse, Body<O> body) {
    O options;
    try {
      options = parse.apply(args);
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.err.println(usage);
      System.exit(2);
      return;
    }
    if (options == null) {
      System.out.println(usage);
      return;
    }
    try {
      body.run(options);
      System.exit(0);
    } catch (BenchmarkFailure e) {
      System.err.println("FAILED: " + e.getMessage());
      if (e.getCause() != null) {
        e.getCause().printStackTrace();
      }
      System.exit(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      System.exit(1);
    }
  }

  /** Runs every in-flight count against every server, in that order, logging progress to {@code log}. */
  public static List<Measurement> run(Options options, PrintStream log) throws BenchmarkFailure, InterruptedException {
    if (!Files.isDirectory(options.bundle())) {
      throw new BenchmarkFailure("no bundle at " + options.bundle().toAbsolutePath()
          + " (run from the repository root, or pass --bundle)", null);
    }
    BearerTokens tokens = options.bearerTokens() ? BearerTokens.create() : null;
    RequestMix mix = RequestMix.generate(options.mixSize(), options.seed(), tokens);
    Map<String, String> serverConfig = tokens == null ? Map.of() : tokens.serverConfig();
    log.printf("mix: %d requests (seed %d), claims %s: %s%n", mix.size(), options.seed(),
        tokens == null ? "in jwt_authn metadata" : "in RS256 bearer tokens Warden verifies", mix.answers());
    log.printf("setup: %d CPUs, %s %s, servers %s, client in this JVM%n", Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.vm.name"), System.getProperty("java.version"),
        options.placement() == Placement.SEPARATE ? "each in its own JVM" : "in the client's JVM");
    // A server process outlives nothing by much: its own limit is the run's expected length plus a margin.
    Duration serverLife = options.warmup().plus(options.measure()).multipliedBy(2).plusSeconds(120);
    List<Measurement> out = new ArrayList<>();
    // Rounds alternate the servers, so that a slow spell of a noisy machine hits both alike.
    for (int inFlight : options.inFlight()) {
      for (int round = 1; round <= options.rounds(); round++) {
        for (ServerKind kind : options.servers()) {
          out.add(measure(options, mix, serverConfig, kind, inFlight, round, serverLife, log));
        }
      }
    }
    return out;
  }

  private static Measurement measure(Options options, RequestMix mix, Map<String, String> serverConfig, ServerKind kind,
      int inFlight, int round, Duration serverLife, PrintStream log) throws BenchmarkFailure, InterruptedException {
    ServerKind.Running server;
    try {
      server = options.placement().start(kind, options.bundle(), options.readBatchBytes(), options.serverJvmArgs(),
          serverLife, serverConfig);
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new BenchmarkFailure("cannot start the " + kind.label() + " server: " + e.getMessage(), e);
    }
    ManagedChannel channel = null;
    try {
      channel = NettyChannelBuilder.forTarget(server.address()).usePlaintext().directExecutor().build();
      AuthorizationGrpc.AuthorizationStub stub = AuthorizationGrpc.newStub(channel);
      log.printf("%s%s at %s, %d in flight: warm-up %s…%n", options.rounds() > 1 ? "round " + round + ": " : "",
          kind.label(), server.address(), inFlight, text(options.warmup()));
      ClosedLoop.Result warmup = ClosedLoop.run(stub, mix, kind, inFlight, options.warmup(), options.maxCalls());
      requireClean(kind, "warm-up", warmup);
      log.printf("  warm-up: %,d calls, every answer as expected; measuring %s…%n", warmup.calls(),
          text(options.measure()));
      long serverCpu = server.cpuNanos().getAsLong();
      long clientCpu = clientCpuNanos();
      ClosedLoop.Result measured = ClosedLoop.run(stub, mix, kind, inFlight, options.measure(), options.maxCalls());
      serverCpu = elapsed(serverCpu, server.cpuNanos().getAsLong());
      clientCpu = elapsed(clientCpu, clientCpuNanos());
      requireClean(kind, "measurement", measured);
      Measurement m = new Measurement(kind, inFlight, round, warmup.calls(), measured, serverCpu, clientCpu);
      log.printf("  %,.0f Checks/s, p50 %.0f µs, p99 %.0f µs, p99.9 %.0f µs; CPU per Check: server %s µs, client %s µs%s%n",
          measured.checksPerSecond(), m.micros(50), m.micros(99), m.micros(99.9), m.cpuPerCheck(serverCpu),
          m.cpuPerCheck(clientCpu), measured.stoppedByCount() ? " (stopped by --max-calls)" : "");
      return m;
    } catch (IllegalStateException e) {
      throw new BenchmarkFailure(e.getMessage(), null);
    } finally {
      if (channel != null) {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
      }
      server.stop().run();
    }
  }

  /** The CPU time this JVM (the client, and a server placed beside it) has used so far, or -1. */
  private static long clientCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
  }

  private static long elapsed(long before, long after) {
    return before < 0 || after < 0 ? -1 : after - before;
  }

  private static void requireClean(ServerKind kind, String phase, ClosedLoop.Result r) throws BenchmarkFailure {
    if (!r.clean()) {
      throw new BenchmarkFailure(String.format("%s server, %s: %d wrong answer(s) and %d failed call(s) in %d; first: %s",
          kind.label(), phase, r.mismatches(), r.errors(), r.calls(), r.firstProblem()), null);
    }
    if (r.calls() == 0) {
      throw new BenchmarkFailure(kind.label() + " server, " + phase + ": no call completed", null);
    }
  }

  /**
   * The results as a Markdown table, then Warden's throughput as a share of the no-op server's:
   * per round (each ratio from one no-op and one Warden phase run one after the other) and, over
   * several rounds, the median of those ratios.
   */
  static void report(Options options, List<Measurement> results, PrintStream out) {
    out.println();
    out.printf("closed loop, warm-up %s, measured %s per server, servers %s, read batch %s%s%n", text(options.warmup()),
        text(options.measure()), options.placement().name().toLowerCase(Locale.ROOT),
        options.readBatchBytes() == 0 ? "adaptive (Netty)" : options.readBatchBytes() + " bytes",
        options.rounds() > 1 ? ", " + options.rounds() + " rounds" : "");
    out.println("| in flight | round | server | Checks/s | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | calls "
        + "| server CPU µs/Check | client CPU µs/Check |");
    out.println("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (Measurement m : results) {
      Histogram h = m.result().latency();
      out.printf("| %d | %d | %s | %,.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %,d | %s | %s |%n", m.inFlight(), m.round(),
          m.server().label(), m.result().checksPerSecond(), m.micros(50), m.micros(90), m.micros(99), m.micros(99.9),
          h.getMaxValue() / 1000.0, m.result().calls(), m.cpuPerCheck(m.serverCpuNanos()),
          m.cpuPerCheck(m.clientCpuNanos()));
    }
    for (int inFlight : options.inFlight()) {
      List<Double> ratios = ratios(results, inFlight, options.rounds());
      if (ratios.isEmpty()) {
        continue;
      }
      StringBuilder each = new StringBuilder();
      for (double r : ratios) {
        each.append(each.length() == 0 ? "" : ", ").append(String.format("%.1f%%", 100 * r));
      }
      if (ratios.size() == 1) {
        out.printf("%d in flight: Warden/no-op throughput = %s%n", inFlight, each);
      } else {
        out.printf("%d in flight: Warden/no-op throughput by round = %s; median %.1f%%%n", inFlight, each,
            100 * median(ratios));
      }
    }
  }

  /** Warden's throughput over the no-op's, one ratio per round that ran both at {@code inFlight}. */
  static List<Double> ratios(List<Measurement> results, int inFlight, int rounds) {
    List<Double> out = new ArrayList<>();
    for (int round = 1; round <= rounds; round++) {
      Measurement noop = find(results, ServerKind.NOOP, inFlight, round);
      Measurement warden = find(results, ServerKind.WARDEN, inFlight, round);
      if (noop != null && warden != null) {
        out.add(warden.result().checksPerSecond() / noop.result().checksPerSecond());
      }
    }
    return out;
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static Measurement find(List<Measurement> results, ServerKind kind, int inFlight, int round) {
    for (Measurement m : results) {
      if (m.server() == kind && m.inFlight() == inFlight && m.round() == round) {
        return m;
      }
    }
    return null;
  }

  private static final java.util.Set<String> OPTIONS = java.util.Set.of("--in-flight", "--warmup", "--measure",
      "--max-calls", "--servers", "--rounds", "--process", "--server-jvm-args", "--read-batch", "--bundle", "--mix", "--seed",
      "--identity");

  /** The options from command-line arguments, or null when help was asked for. */
  static Options parse(String[] args) {
    Options o = Options.defaults();
    List<Integer> inFlight = o.inFlight();
    Duration warmup = o.warmup();
    Duration measure = o.measure();
    long maxCalls = o.maxCalls();
    List<ServerKind> servers = o.servers();
    int rounds = o.rounds();
    Placement placement = o.placement();
    List<String> jvmArgs = o.serverJvmArgs();
    int readBatch = o.readBatchBytes();
    Path bundle = o.bundle();
    int mix = o.mixSize();
    long seed = o.seed();
    boolean tokens = o.bearerTokens();
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
      } else if (!OPTIONS.contains(arg)) {
        throw new IllegalArgumentException("unknown option `" + arg + "`");
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new IllegalArgumentException("`" + arg + "` needs a value");
      }
      switch (name) {
        case "--in-flight" -> inFlight = positiveInts(value, name);
        case "--warmup" -> warmup = duration(value, name);
        case "--measure" -> measure = duration(value, name);
        case "--max-calls" -> maxCalls = positive(value, name);
        case "--servers" -> servers = Arrays.stream(value.split(",")).map(String::trim).map(ServerKind::parse).toList();
        case "--rounds" -> rounds = (int) Math.min(1000, positive(value, name));
        case "--process" -> placement = Placement.parse(value.trim());
        case "--server-jvm-args" -> jvmArgs = Arrays.stream(value.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
        case "--read-batch" -> readBatch = readBatch(value);
        case "--bundle" -> bundle = Path.of(value);
        case "--mix" -> mix = (int) Math.min(Integer.MAX_VALUE, positive(value, name));
        case "--seed" -> seed = Long.parseLong(value.trim());
        case "--identity" -> tokens = switch (value.trim()) {
          case "metadata" -> false;
          case "token" -> true;
          default -> throw new IllegalArgumentException("`--identity` must be metadata or token, found `" + value + "`");
        };
        default -> throw new IllegalArgumentException("unknown option `" + name + "`");
      }
    }
    return new Options(inFlight, warmup, measure, maxCalls, servers, rounds, placement, jvmArgs, readBatch, bundle,
        mix, seed, tokens);
  }

  private static int readBatch(String value) {
    int bytes;
    try {
      bytes = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      bytes = -1;
    }
    if (!ReadBatching.valid(bytes)) {
      throw new IllegalArgumentException("`--read-batch` must be " + ReadBatching.ACCEPTED + " bytes, found `" + value + "`");
    }
    return bytes;
  }

  private static List<Integer> positiveInts(String value, String name) {
    List<Integer> out = new ArrayList<>();
    for (String part : value.split(",")) {
      out.add((int) Math.min(Integer.MAX_VALUE, positive(part, name)));
    }
    return List.copyOf(out);
  }

  private static long positive(String value, String name) {
    long n;
    try {
      n = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number, found `" + value + "`");
    }
    if (n < 1) {
      throw new IllegalArgumentException(name + " must be at least 1");
    }
    return n;
  }

  private static final Map<String, TimeUnit> UNITS = Map.of("ms", TimeUnit.MILLISECONDS, "s", TimeUnit.SECONDS,
      "m", TimeUnit.MINUTES);

  static Duration duration(String value, String name) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    String unit = v.endsWith("ms") ? "ms" : v.endsWith("s") ? "s" : v.endsWith("m") ? "m" : "";
    try {
      long amount = Long.parseLong(v.substring(0, v.length() - unit.length()));
      if (unit.isEmpty() || amount < 1) {
        throw new NumberFormatException();
      }
      return Duration.ofNanos(UNITS.get(unit).toNanos(amount));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a duration such as 500ms, 10s or 2m, found `" + value + "`");
    }
  }

  private static String text(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }
}
