package dev.warden.bench.load;

import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The decision log's HTTP collector down for the whole run, at load: one Warden sidecar in its own
 * JVM with `decision_log.http.url` pointing at a loopback port nobody listens on (a stopped
 * collector), with or without the on-disk spool, takes an open-loop stream of Checks at a fixed
 * rate. Every {@code --sample} it reads the sidecar's heap after each garbage collection (its GC
 * log), the decision log's counts for the `http` sink (`/metrics`) and the spool's bytes on disk.
 * What must hold: the heap after GC stays bounded (the memory buffer is bounded, the spool is on
 * disk and bounded), every record is accounted for, and every Check is answered right.
 *
 * <p>{@code java -cp load.jar dev.warden.bench.load.CollectorOutageBenchmark --rate 1000 --duration 10m};
 * {@code --help} lists the options.
 */
public final class CollectorOutageBenchmark {
  private static final String USAGE = String.join("\n",
      "usage: java -cp benchmarks/load/target/load.jar dev.warden.bench.load.CollectorOutageBenchmark [options]",
      "  --rate R             Checks per second, open loop (default 1000)",
      "  --duration D         how long the collector is down under load (default 10m)",
      "  --sample D           how often the heap, the counts and the spool are read (default 30s)",
      "  --warmup D           load at the rate before the samples start, not sampled (default 30s)",
      "  --spool on|off       the on-disk spool (default on)",
      "  --decision-log on|off  off: no decision log at all, the same load, for comparison (default on)",
      "  --spool-max-bytes N  decision_log.spool.max_bytes (default 1073741824)",
      "  --buffer N           decision_log.buffer (default 8192)",
      "  --server-jvm-args A  JVM options of the sidecar process, space separated (e.g. -Xmx256m)",
      "  --bundle DIR         the bundle (default policies/shop)",
      "  --mix N              generated requests in the sequence (default 4096)",
      "  --seed N             seed of the sequence (default 42)",
      "durations: 500ms, 10s, 2m");

  private static final java.util.Set<String> OPTIONS = java.util.Set.of("--rate", "--duration", "--sample", "--spool", "--warmup",
      "--decision-log", "--spool-max-bytes", "--buffer", "--server-jvm-args", "--bundle", "--mix", "--seed");
  /** One unified-logging GC line's heap change: {@code 45M->12M(256M)}. */
  private static final Pattern GC = Pattern.compile("^\\[([0-9.]+)s\\].*\\s(\\d+)M->(\\d+)M\\((\\d+)M\\)");
  private static final Duration PREWARM = Duration.ofSeconds(3);

  /** How one run is set up. */
  public record Options(double rate, Duration duration, Duration sample, boolean spool, long spoolMaxBytes,
      int buffer, List<String> serverJvmArgs, Path bundle, int mixSize, long seed, boolean decisionLog,
      Duration warmup) {
    public static Options defaults() {
      return new Options(1000, Duration.ofMinutes(10), Duration.ofSeconds(30), true, 1L << 30, 8192, List.of(),
          Path.of("policies/shop"), 4096, 42, true, Duration.ofSeconds(30));
    }
  }

  /**
   * One sample, at {@code seconds} into the outage.
   *
   * @param heapAfterGcMiB the largest heap after a collection during the window (-1: no collection)
   * @param heapMaxMiB the heap's committed size at the window's last collection
   * @param gcs collections during the window
   */
  public record Sample(long seconds, OpenLoop.Result load, long heapAfterGcMiB, long heapMaxMiB, int gcs,
      Map<String, Double> http, long spoolBytes) {
    double state(String s) {
      return http.getOrDefault("warden_decision_log_records_total{sink=\"http\",state=\"" + s + "\"}", -1.0);
    }

    double buffered() {
      return http.getOrDefault("warden_decision_log_buffered{sink=\"http\"}", -1.0);
    }
  }

  private CollectorOutageBenchmark() {}

  public static void main(String[] args) {
    LoadBenchmark.main(args, USAGE, CollectorOutageBenchmark::parse,
        options -> report(options, run(options, System.out), System.out));
  }

  private static final OpenLoop.Answers ANSWERS = new OpenLoop.Answers() {
    @Override
    public String mismatch(RequestMix.Case expected, CheckResponse actual) {
      return ServerKind.WARDEN.mismatch(expected, actual);
    }

    @Override
    public int revision(CheckResponse actual) {
      return 0;
    }
  };

  /** Runs the outage; the sidecar is stopped and its files removed at the end, whatever happens. */
  public static List<Sample> run(Options options, PrintStream log)
      throws LoadBenchmark.BenchmarkFailure, InterruptedException {
    if (!Files.isDirectory(options.bundle())) {
      throw new LoadBenchmark.BenchmarkFailure("no bundle at " + options.bundle().toAbsolutePath()
          + " (run from the repository root, or pass --bundle)", null);
    }
    RequestMix mix = RequestMix.generate(options.mixSize(), options.seed());
    Path work;
    int deadPort;
    try {
      work = Files.createTempDirectory("warden-outage");
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        deadPort = s.getLocalPort(); // closed again at once: the collector is "stopped"
      }
    } catch (IOException e) {
      throw new LoadBenchmark.BenchmarkFailure("cannot set up: " + e.getMessage(), e);
    }
    Path gcLog = work.resolve("gc.log");
    Path spoolDir = work.resolve("spool");
    Map<String, String> config = new HashMap<>();
    if (options.decisionLog()) {
      config.put("decision_log.http.url", "http://127.0.0.1:" + deadPort + "/logs");
    }
    config.put("decision_log.buffer", Integer.toString(options.buffer()));
    if (options.spool() && options.decisionLog()) {
      config.put("decision_log.spool.dir", spoolDir.toString());
      config.put("decision_log.spool.max_bytes", Long.toString(options.spoolMaxBytes()));
    }
    List<String> jvm = new ArrayList<>(options.serverJvmArgs());
    jvm.add("-Xlog:gc:file=" + gcLog);
    ServerKind.Running server = null;
    ManagedChannel channel = null;
    try {
      try {
        server = Placement.SEPARATE.start(ServerKind.WARDEN, options.bundle(), dev.warden.server.ReadBatching.DEFAULT_BYTES,
            jvm, options.duration().plus(options.warmup()).plus(PREWARM).plusSeconds(120), config);
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        throw new LoadBenchmark.BenchmarkFailure("cannot start the sidecar: " + e.getMessage(), e);
      }
      if (server.admin() == null) {
        throw new LoadBenchmark.BenchmarkFailure("the sidecar did not tell its admin address", null);
      }
      log.printf("setup: %d CPUs, %s %s; sidecar in its own JVM (%s), collector http://127.0.0.1:%d/logs not"
          + " listening; spool %s; buffer %d records%n", Runtime.getRuntime().availableProcessors(),
          System.getProperty("java.vm.name"), System.getProperty("java.version"), String.join(" ", jvm), deadPort,
          !options.decisionLog() ? "n/a (decision log off)" : options.spool() ? "on, at most "
          + options.spoolMaxBytes() + " bytes" : "off", options.buffer());
      channel = NettyChannelBuilder.forTarget(server.address()).usePlaintext().directExecutor().build();
      AuthorizationGrpc.AuthorizationStub stub = AuthorizationGrpc.newStub(channel);
      ClosedLoop.Result prewarm = ClosedLoop.run(stub, mix, ServerKind.WARDEN, 4, PREWARM, 10_000_000);
      if (!prewarm.clean() || prewarm.calls() == 0) {
        throw new LoadBenchmark.BenchmarkFailure("closed-loop pre-warm: " + prewarm.mismatches() + " wrong answer(s), "
            + prewarm.errors() + " failed call(s); first: " + prewarm.firstProblem(), null);
      }
      HttpClient admin = HttpClient.newHttpClient();
      URI metrics = URI.create("http://" + server.admin() + "/metrics");
      AtomicLong sequence = new AtomicLong();
      List<Sample> out = new ArrayList<>();
      long gcSeen;
      long started;
      // The sidecar compiles its hot path at the rate first; on a busy machine calls may miss their deadline meanwhile.
      OpenLoop.Result warm = OpenLoop.run(stub, mix, sequence, options.rate(), options.warmup(), () -> false, 100_000,
          ANSWERS);
      if (warm.mismatches() > 0) {
        throw new LoadBenchmark.BenchmarkFailure("warm-up: " + warm.mismatches() + " wrong answer(s); first: "
            + warm.firstProblem(), null);
      }
      log.printf(Locale.ROOT, "warm-up: %d s at %.0f Checks/s, %d of %d calls failed (deadline)%n",
          options.warmup().toSeconds(), options.rate(), warm.failed(), warm.sent());
      gcSeen = heapAfterGc(gcLog, 0)[3];
      started = System.nanoTime();
      log.printf("%8s %10s %7s %8s %14s %5s %12s %12s %10s %12s %14s%n", "t (s)", "Checks/s", "failed", "p99 ms",
          "heap after GC", "GCs", "produced", "dropped", "buffered", "spooled", "spool on disk");
      while (System.nanoTime() - started < options.duration().toNanos()) {
        Duration left = Duration.ofNanos(options.duration().toNanos() - (System.nanoTime() - started));
        Duration window = left.compareTo(options.sample()) < 0 ? left : options.sample();
        OpenLoop.Result load = OpenLoop.run(stub, mix, sequence, options.rate(), window, () -> false, 100_000, ANSWERS);
        if (load.mismatches() > 0) {
          throw new LoadBenchmark.BenchmarkFailure(String.format("%d of %d Checks were answered wrong; first: %s",
              load.mismatches(), load.sent(), load.firstProblem()), null);
        }
        long[] heap = heapAfterGc(gcLog, gcSeen);
        gcSeen = heap[3];
        Sample s = new Sample(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), load, heap[0], heap[1],
            (int) heap[2], scrape(admin, metrics), spoolBytes(spoolDir));
        out.add(s);
        log.printf(Locale.ROOT, "%8d %,10.0f %,7d %8.1f %10s MiB %5d %,12.0f %,12.0f %,10.0f %,12.0f %,10d KiB%n",
            s.seconds(), load.checksPerSecond(), load.failed(), load.latency().getValueAtPercentile(99) / 1e6,
            s.heapAfterGcMiB() < 0 ? "-" : s.heapAfterGcMiB() + "/" + s.heapMaxMiB(), s.gcs(), s.state("produced"),
            s.state("dropped"), s.buffered(), s.state("spooled"), s.spoolBytes() / 1024);
      }
      return out;
    } catch (IOException e) {
      throw new LoadBenchmark.BenchmarkFailure("cannot read the sidecar's state: " + e.getMessage(), e);
    } finally {
      if (channel != null) {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
      }
      if (server != null) {
        server.stop().run();
      }
      deleteTree(work);
    }
  }

  /** Prints the summary: heap after GC at the start and at the end of the outage, and the accounting. */
  static void report(Options options, List<Sample> samples, PrintStream out) throws LoadBenchmark.BenchmarkFailure {
    if (samples.isEmpty()) {
      throw new LoadBenchmark.BenchmarkFailure("no sample was taken", null);
    }
    int third = Math.max(1, samples.size() / 3);
    long first = samples.subList(0, third).stream().mapToLong(Sample::heapAfterGcMiB).max().orElse(-1);
    long last = samples.subList(samples.size() - third, samples.size()).stream().mapToLong(Sample::heapAfterGcMiB)
        .max().orElse(-1);
    Sample end = samples.get(samples.size() - 1);
    long failed = samples.stream().mapToLong(s -> s.load().failed()).sum();
    long sent = samples.stream().mapToLong(s -> s.load().sent()).sum();
    out.printf(Locale.ROOT, "%nChecks: %,d sent, %,d failed (missed their deadline), none answered wrong%n", sent, failed);
    double accounted = end.state("delivered") + end.state("dropped") + end.buffered() + end.state("spooled");
    out.printf(Locale.ROOT, "heap after GC, largest: first third of the outage %d MiB, last third %d MiB%n", first,
        last);
    if (!options.decisionLog()) {
      return;
    }
    out.printf(Locale.ROOT, "records (http sink): produced %,.0f = delivered %,.0f + dropped %,.0f + buffered %,.0f"
        + " + spooled %,.0f (%s)%n", end.state("produced"), end.state("delivered"), end.state("dropped"),
        end.buffered(), end.state("spooled"), Math.abs(accounted - end.state("produced")) <= 2 * options.buffer()
        ? "sums, up to records in flight at the scrape" : "DOES NOT SUM");
    out.printf(Locale.ROOT, "spool on disk at the end: %,d bytes (bound %,d)%n", end.spoolBytes(),
        options.spool() ? options.spoolMaxBytes() : 0);
    if (options.spool() && end.spoolBytes() > options.spoolMaxBytes()) {
      throw new LoadBenchmark.BenchmarkFailure("the spool passed its bound", null);
    }
  }

  /**
   * From the GC log, the collections after line {@code from}: the largest heap after one, the
   * committed heap at the last, how many, and the line count read so far.
   */
  static long[] heapAfterGc(Path gcLog, long from) throws IOException {
    long max = -1;
    long committed = -1;
    long count = 0;
    long lines = 0;
    if (!Files.exists(gcLog)) {
      return new long[] {max, committed, 0, 0};
    }
    for (String line : Files.readAllLines(gcLog)) {
      lines++;
      if (lines <= from) {
        continue;
      }
      Matcher m = GC.matcher(line);
      if (m.find()) {
        max = Math.max(max, Long.parseLong(m.group(3)));
        committed = Long.parseLong(m.group(4));
        count++;
      }
    }
    return new long[] {max, committed, count, lines};
  }

  /** The decision log's series of the `http` sink on `/metrics`. */
  private static Map<String, Double> scrape(HttpClient client, URI metrics) throws IOException, InterruptedException {
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    Map<String, Double> out = new HashMap<>();
    for (String line : r.body().split("\n")) {
      if (line.startsWith("warden_decision_log_") && line.contains("sink=\"http\"")) {
        int space = line.lastIndexOf(' ');
        out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
      }
    }
    return out;
  }

  private static long spoolBytes(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".seg")).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary folder: left behind at worst
    }
  }

  /** The options from command-line arguments, or null when help was asked for. */
  static Options parse(String[] args) {
    Options o = Options.defaults();
    double rate = o.rate();
    Duration duration = o.duration();
    Duration sample = o.sample();
    boolean spool = o.spool();
    boolean decisionLog = o.decisionLog();
    Duration warmup = o.warmup();
    long spoolMax = o.spoolMaxBytes();
    int buffer = o.buffer();
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
          rate = number(value, name);
          if (!(rate >= 1 && rate <= 100_000)) {
            throw new IllegalArgumentException("`--rate` must be from 1 to 100000 Checks/s, found `" + value + "`");
          }
        }
        case "--duration" -> duration = LoadBenchmark.duration(value, name);
        case "--sample" -> sample = LoadBenchmark.duration(value, name);
        case "--warmup" -> warmup = LoadBenchmark.duration(value, name);
        case "--spool" -> spool = switch (value.trim()) {
          case "on" -> true;
          case "off" -> false;
          default -> throw new IllegalArgumentException("`--spool` must be on or off, found `" + value + "`");
        };
        case "--decision-log" -> decisionLog = switch (value.trim()) {
          case "on" -> true;
          case "off" -> false;
          default -> throw new IllegalArgumentException("`--decision-log` must be on or off, found `" + value + "`");
        };
        case "--spool-max-bytes" -> spoolMax = (long) number(value, name);
        case "--buffer" -> buffer = (int) number(value, name);
        case "--server-jvm-args" -> jvmArgs = value.isBlank() ? List.of() : List.of(value.trim().split("\\s+"));
        case "--bundle" -> bundle = Path.of(value);
        case "--mix" -> mix = (int) number(value, name);
        case "--seed" -> seed = (long) number(value, name);
        default -> throw new IllegalStateException(name);
      }
    }
    return new Options(rate, duration, sample, spool, spoolMax, buffer, jvmArgs, bundle, mix, seed, decisionLog, warmup);
  }

  private static double number(String value, String name) {
    try {
      return Double.parseDouble(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("`" + name + "` must be a number, found `" + value + "`");
    }
  }
}
