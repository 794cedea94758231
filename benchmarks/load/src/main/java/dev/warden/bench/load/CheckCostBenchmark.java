package dev.warden.bench.load;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.warden.bundle.BundleReader;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.Decision;
import dev.warden.server.ActiveBundle;
import dev.warden.server.ServerConfig;
import dev.warden.server.admin.ServerMetrics;
import dev.warden.server.authz.Authorizer;
import dev.warden.server.authz.DecideRequestMapper;
import dev.warden.server.authz.DecisionIds;
import dev.warden.server.authz.DecisionRecord;
import dev.warden.server.authz.DecisionRecorder;
import dev.warden.server.authz.Deciding;
import dev.warden.server.authz.ExtAuthzService;
import dev.warden.server.authz.MappedRequest;
import dev.warden.server.authz.RequestMapper;
import dev.warden.server.authz.ResponseMapper;
import dev.warden.server.identity.IdentityResolver;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The CPU work of one Check around the transport, without the network, on the load benchmark's
 * request sequence: what a server does with the request bytes (parse, handle, serialize the
 * answer) and what the client then does with the answer's bytes (parse). The load benchmark
 * measures the whole; this splits it:
 *
 * <ul>
 *   <li>{@code noop}: the no-op server's share, parsing the request and answering a pre-built OK;
 *   <li>{@code warden}: Warden's Check, the same way (Warden's ext_authz service, built as
 *       {@code warden serve} builds it, with the default configuration);
 *   <li>{@code wardenDecide}: of that, parsing the request and deciding (mapping, identity,
 *       policy), without an answer;
 *   <li>{@code wardenRespond}: of that, the answer alone for decisions made beforehand (building
 *       it, serializing it, and the client's parse).
 * </ul>
 *
 * <p>{@code java -cp benchmarks/load/target/load.jar org.openjdk.jmh.Main CheckCost -prof gc}, with
 * {@code -p dynamicMetadata=true,false} to see what the dynamic metadata costs, and
 * {@code -p tracing=off,on} what a traced Check costs the thread that answers it, and
 * {@code -p decisionLog=off,file} what logging every decision to a rotating file costs: the
 * answering thread's share in the score, the writer thread's CPU per record printed at the end.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class CheckCostBenchmark {
  /** The example bundle, relative to the repository root (where the benchmark is run from). */
  @Param("policies/shop")
  public String bundle;

  /** Warden's `authz.dynamic_metadata`: {@code -p dynamicMetadata=true,false} measures both. */
  @Param("true")
  public String dynamicMetadata;

  /**
   * Tracing of the Check: {@code off}, or {@code on}: every Check a sampled span, exported to a
   * {@link DiscardingCollector} in this JVM ({@code -p tracing=off,on}).
   */
  @Param("off")
  public String tracing;

  /**
   * The decision log: {@code off}, or {@code file}: every decision recorded, masked and written
   * by the server's pipeline to a rotating file in a temporary folder ({@code -p decisionLog=off,file}).
   */
  @Param("off")
  public String decisionLog;

  private DiscardingCollector collector;
  private dev.warden.server.decisionlog.DecisionLogger logger;
  private dev.warden.server.decisionlog.RecordEncoder recordEncoder;
  /** The first records of the mix's Checks, with decisionLog=file: what {@link #recordLine} encodes. */
  private final java.util.List<DecisionRecord> records = new java.util.ArrayList<>();
  private int nextRecord;
  private Path logDir;
  private dev.warden.server.authz.CallTracing callTracing = dev.warden.server.authz.CallTracing.OFF;

  private byte[][] requests;
  private Decision[] decisions;
  private int next;
  private final NoopAuthzServer noop = new NoopAuthzServer();
  private ExtAuthzService warden;
  private Program program;
  private RequestMapper mapper;
  private IdentityResolver identities;
  private ResponseMapper responses;
  private DecisionIds ids;
  private final Capture answer = new Capture();

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    Map<String, String> flags = new java.util.HashMap<>(Map.of("bundle", bundle,
        "authz.dynamic_metadata", dynamicMetadata, "identity.jwt_authn_metadata_key", RequestMix.JWT_AUTHN_KEY));
    if (tracing.equals("on")) {
      collector = DiscardingCollector.start(0);
      flags.put("tracing.otlp.endpoint", collector.url());
    } else if (!tracing.equals("off")) {
      throw new IllegalArgumentException("tracing is `off` or `on`, not `" + tracing + "`");
    }
    ServerConfig config = ServerConfig.load(null, Map.of(), flags);
    callTracing = dev.warden.server.telemetry.OtlpTracing.of(config.tracing());
    CompileResult compiled = new BundleCompiler().compile(BundleReader.read(Path.of(bundle)));
    if (!compiled.ok()) {
      throw new IllegalStateException("the bundle " + bundle + " does not compile: " + compiled.errors());
    }
    program = compiled.program();
    ActiveBundle active = new ActiveBundle();
    active.activate(program, bundle, Instant.now());
    mapper = new RequestMapper(Clock.systemUTC(), config.jwtAuthnMetadataKey());
    identities = new IdentityResolver(null, config.apiKeyHeader(), config.apiKeyData());
    responses = new ResponseMapper(config.stripHeaders(), config.dynamicMetadata());
    ids = new DecisionIds();
    ServerMetrics metrics = new ServerMetrics();
    // No decision of the mix needs more than a first try, so none would leave the calling thread.
    Deciding deciding = new Deciding(Runnable::run, config.decisionDeadline().toNanos(), metrics);
    Authorizer authorizer = new Authorizer(active, mapper, new DecideRequestMapper(Clock.systemUTC()), identities,
        ids, deciding, config.failureStatus());
    java.util.List<dev.warden.server.authz.DecisionSink> sinks = java.util.List.of();
    if (decisionLog.equals("file")) {
      logDir = java.nio.file.Files.createTempDirectory("warden-checkcost");
      var file = new dev.warden.server.decisionlog.RotatingFileSink(logDir.resolve("decisions.log"), 64L << 20, 2);
      var pipeline = new dev.warden.server.decisionlog.DecisionLogPipeline(file, 8192, 512,
          java.time.Duration.ofSeconds(1));
      var known = new dev.warden.server.decisionlog.RecordEncoder.KnownBundle(
          dev.warden.proto.v1.LoggedBundle.newBuilder().setName("shop").setRevision(program.revision()).build(),
          dev.warden.server.decisionlog.PolicyRedactions.of(program.logRedactions()));
      var encoder = new dev.warden.server.decisionlog.RecordEncoder(
          dev.warden.server.decisionlog.Masking.defaults(config.apiKeyHeader(),
              dev.warden.server.decisionlog.ValueHasher.random()),
          revision -> revision.equals(program.revision()) ? known : null, Instant.now(), System.nanoTime());
      logger = new dev.warden.server.decisionlog.DecisionLogger(encoder, pipeline, 1.0);
      recordEncoder = encoder;
      sinks = java.util.List.of(logger, r -> {
        if (records.size() < 4096) {
          records.add(r);
        }
      });
    } else if (!decisionLog.equals("off")) {
      throw new IllegalArgumentException("decisionLog is `off` or `file`, not `" + decisionLog + "`");
    }
    warden = new ExtAuthzService(authorizer, responses,
        new DecisionRecorder(DecisionRecord.Api.EXT_AUTHZ, metrics, sinks), callTracing);

    RequestMix mix = RequestMix.generate(4096, 42);
    requests = new byte[mix.size()][];
    decisions = new Decision[mix.size()];
    for (int i = 0; i < mix.size(); i++) {
      requests[i] = mix.get(i).request().toByteArray();
      decisions[i] = decide(CheckRequest.parseFrom(requests[i]));
    }
  }

  /** Exports the spans still queued and stops the SDK and the collector, when tracing was on. */
  @org.openjdk.jmh.annotations.TearDown(Level.Trial)
  public void tearDown() {
    if (callTracing instanceof dev.warden.server.telemetry.OtlpTracing t) {
      t.close(java.time.Duration.ofSeconds(10));
    }
    if (collector != null) {
      collector.close();
    }
    if (logger != null) {
      java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
      long writerCpu = 0;
      for (Thread t : Thread.getAllStackTraces().keySet()) {
        if (t.getName().equals(dev.warden.server.decisionlog.DecisionLogPipeline.THREAD_NAME)) {
          writerCpu += threads.getThreadCpuTime(t.getId());
        }
      }
      var counts = logger.close(java.time.Duration.ofSeconds(30)).get("file");
      // Rotation removed the older files: sizes are read off the current one.
      long bytes = logDir.resolve("decisions.log").toFile().length();
      long lines;
      String first;
      try (var all = java.nio.file.Files.lines(logDir.resolve("decisions.log"));
          var head = java.nio.file.Files.lines(logDir.resolve("decisions.log"))) {
        lines = all.count();
        first = head.findFirst().orElse("");
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      System.err.printf("%ndecision log: %,d records delivered, %,d dropped, %.0f bytes a record (the current"
          + " file's); writer thread %.0f ns CPU a record%nfirst record of the current file: %s%n", counts.delivered(),
          counts.dropped(), lines == 0 ? 0.0 : (double) bytes / lines,
          counts.delivered() == 0 ? 0.0 : (double) writerCpu / counts.delivered(), first);
      try (var files = java.nio.file.Files.walk(logDir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /** The floor: parse, answer with the pre-built OK, serialize, and the client's parse. */
  @Benchmark
  public CheckResponse noop() throws InvalidProtocolBufferException {
    return roundTrip(noop);
  }

  /** Warden's Check on the same bytes: mapping, identity, decision, answer, both ends' protobuf work. */
  @Benchmark
  public CheckResponse warden() throws InvalidProtocolBufferException {
    return roundTrip(warden);
  }

  /**
   * Of the decision log's share ({@code -p decisionLog=file}), the record's line alone: masking
   * and writing the JSON of records the mix's Checks made before.
   */
  @Benchmark
  public byte[] recordLine() throws InvalidProtocolBufferException {
    if (recordEncoder == null) {
      throw new IllegalStateException("recordLine measures the decision log: run it with -p decisionLog=file");
    }
    if (records.size() < requests.length) {
      roundTrip(warden); // the first Checks fill the records
    }
    DecisionRecord r = records.get(nextRecord);
    nextRecord = nextRecord + 1 == records.size() ? 0 : nextRecord + 1;
    return recordEncoder.line(r);
  }

  /** Parsing the request and deciding, as {@link #warden} does, without the answer. */
  @Benchmark
  public Decision wardenDecide() throws Exception {
    return decide(CheckRequest.parseFrom(advance()));
  }

  /** The answer alone: built from a decision made beforehand, serialized, parsed by the client. */
  @Benchmark
  public CheckResponse wardenRespond() throws InvalidProtocolBufferException {
    int i = next;
    advance();
    CheckResponse r = responses.toResponse(decisions[i], ids.next(), Map.of());
    return CheckResponse.parseFrom(r.toByteArray());
  }

  private Decision decide(CheckRequest request) throws RequestMapper.BadCheckRequest {
    MappedRequest m = mapper.map(request);
    IdentityResolver.Result who = identities.resolve(m, program);
    if (who.error() != null) {
      throw new IllegalStateException("the mix has no invalid credentials: " + who.error());
    }
    return program.decide(m.withIdentity(who.identity()));
  }

  private byte[] advance() {
    byte[] bytes = requests[next];
    next = next + 1 == requests.length ? 0 : next + 1;
    return bytes;
  }

  private CheckResponse roundTrip(AuthorizationGrpc.AuthorizationImplBase service)
      throws InvalidProtocolBufferException {
    service.check(CheckRequest.parseFrom(advance()), answer);
    return CheckResponse.parseFrom(answer.response.toByteArray());
  }

  /** Keeps the answer, as the transport would take it. */
  private static final class Capture implements StreamObserver<CheckResponse> {
    CheckResponse response;

    @Override
    public void onNext(CheckResponse value) {
      response = value;
    }

    @Override
    public void onError(Throwable t) {
      throw new IllegalStateException("Check failed", t);
    }

    @Override
    public void onCompleted() {
      // Nothing to do: the answer is kept.
    }
  }
}
