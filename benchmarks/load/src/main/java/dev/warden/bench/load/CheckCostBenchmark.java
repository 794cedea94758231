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
 * {@code -p tracing=off,on} what a traced Check costs the thread that answers it.
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

  private DiscardingCollector collector;
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
    warden = new ExtAuthzService(authorizer, responses, new DecisionRecorder(DecisionRecord.Api.EXT_AUTHZ, metrics),
        callTracing);

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
