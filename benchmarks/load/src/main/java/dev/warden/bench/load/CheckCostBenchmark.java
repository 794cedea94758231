package dev.warden.bench.load;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.warden.server.ServerConfig;
import dev.warden.server.WardenServer;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Clock;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The CPU work of one Check around the transport, without the network: what the server does
 * with the request bytes (parse, handle, serialize the answer) and what the client then does with
 * the answer's bytes (parse). The load benchmark measures the whole; this tells how much of it
 * is Warden's own, side by side with the no-op server, on the same request sequence.
 *
 * <p>{@code java -cp benchmarks/load/target/load.jar org.openjdk.jmh.Main CheckCost}
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

  private byte[][] requests;
  private int next;
  private NoopAuthzServer noop;
  private WardenServer warden;
  private final Capture answer = new Capture();

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    RequestMix mix = RequestMix.generate(4096, 42);
    requests = new byte[mix.size()][];
    for (int i = 0; i < mix.size(); i++) {
      requests[i] = mix.get(i).request().toByteArray();
    }
    noop = new NoopAuthzServer();
    Map<String, String> flags = Map.of("bundle", bundle, "grpc.listen", "127.0.0.1:0", "http.listen", "127.0.0.1:0",
        "shutdown.grace", "1s");
    warden = new WardenServer(ServerConfig.load(null, Map.of(), flags), Clock.systemUTC());
    warden.start();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    warden.close();
  }

  /** The floor: parse, answer with the pre-built OK, serialize, and the client's parse. */
  @Benchmark
  public CheckResponse noop() throws InvalidProtocolBufferException {
    return roundTrip(noop);
  }

  /** Warden's Check on the same bytes: mapping, identity, decision, response, both ends' protobuf work. */
  @Benchmark
  public CheckResponse warden() throws InvalidProtocolBufferException {
    return roundTrip(warden.authorization());
  }

  private CheckResponse roundTrip(io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc.AuthorizationImplBase service)
      throws InvalidProtocolBufferException {
    byte[] bytes = requests[next];
    next = next + 1 == requests.length ? 0 : next + 1;
    service.check(CheckRequest.parseFrom(bytes), answer);
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
