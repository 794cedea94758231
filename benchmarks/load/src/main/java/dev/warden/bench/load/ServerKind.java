package dev.warden.bench.load;

import dev.warden.server.ServerConfig;
import dev.warden.server.WardenServer;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/** The two servers under load, and what each must answer to count as correct. */
public enum ServerKind {
  /** {@link NoopAuthzServer}: the cost of gRPC alone. Must answer OK to everything. */
  NOOP {
    @Override
    Running start(Path bundle, int readBatchBytes, Map<String, String> config) throws Exception {
      io.grpc.Server server = NoopAuthzServer.start(readBatchBytes);
      java.net.InetSocketAddress bound = (java.net.InetSocketAddress) server.getListenSockets().get(0);
      return new Running(bound.getHostString() + ":" + bound.getPort(), () -> NoopAuthzServer.stop(server));
    }

    @Override
    String mismatch(RequestMix.Case expected, CheckResponse actual) {
      return actual.hasOkResponse() && actual.getStatus().getCode() == 0 ? null : "the no-op server did not answer OK";
    }
  },

  /**
   * {@link WardenServer} serving the bundle with its defaults (the gRPC transport thread decides:
   * direct executor), but for what `WARDEN_*` environment variables set, as for `warden serve`,
   * the read batch, which the harness sets for both servers alike, and the jwt_authn key.
   */
  WARDEN {
    @Override
    Running start(Path bundle, int readBatchBytes, Map<String, String> config) throws Exception {
      // The mix carries claims as Envoy's jwt_authn filter does, so Warden trusts that metadata, as
      // deploy/envoy/warden.yaml configures it next to Envoy (or in tokens, for `config`'s verifier).
      Map<String, String> flags = new java.util.HashMap<>(config);
      // The mix's handful of callers send tens of thousands of Checks a second, far past any
      // per-caller quota: quotas are counted as shadow ones (the same work, nothing refused), unless
      // WARDEN_QUOTA_MODE says otherwise (`off` for the comparison without quotas).
      if (!System.getenv().containsKey("WARDEN_QUOTA_MODE")) {
        flags.putIfAbsent("quota.mode", "shadow");
      }
      flags.putAll(Map.of("bundle", bundle.toString(), "grpc.listen", "127.0.0.1:0",
          "http.listen", "127.0.0.1:0", "shutdown.grace", "1s", "grpc.read_batch_bytes", Integer.toString(readBatchBytes),
          "identity.jwt_authn_metadata_key", RequestMix.JWT_AUTHN_KEY));
      WardenServer server = new WardenServer(ServerConfig.load(null, System.getenv(), flags), Clock.systemUTC());
      try {
        server.start();
      } catch (Exception | Error e) {
        server.close();
        throw e;
      }
      java.net.InetSocketAddress admin = server.adminAddress();
      return new Running(server.grpcAddress(), server::close, () -> -1,
          admin == null ? null : admin.getHostString() + ":" + admin.getPort());
    }

    @Override
    String mismatch(RequestMix.Case expected, CheckResponse actual) {
      boolean allowed = actual.hasOkResponse() && actual.getStatus().getCode() == 0;
      int status = actual.hasDeniedResponse() ? actual.getDeniedResponse().getStatus().getCodeValue() : 200;
      if (allowed == expected.allowed() && status == expected.status()) {
        return null;
      }
      return "\"" + expected.name() + "\": expected " + answer(expected.allowed(), expected.status()) + ", Warden answered "
          + answer(allowed, status);
    }
  };

  /**
   * A started server: where it listens, how to stop it, the CPU time its process has used so far
   * in nanoseconds (-1 when the server shares the client's process and cannot be told apart), and
   * its admin HTTP listener's HOST:PORT (null: none, as for the no-op server).
   */
  record Running(String address, Runnable stop, java.util.function.LongSupplier cpuNanos, String admin) {
    Running(String address, Runnable stop) {
      this(address, stop, () -> -1, null);
    }
  }

  /**
   * Starts the server on 127.0.0.1 with a port chosen by the system, reading at most
   * {@code readBatchBytes} per wake-up (0: Netty's adaptive reads; see {@code ReadBatching}).
   */
  abstract Running start(Path bundle, int readBatchBytes, Map<String, String> config) throws Exception;

  /** Null when {@code actual} is the right answer to {@code expected}'s request, else what is wrong. */
  abstract String mismatch(RequestMix.Case expected, CheckResponse actual);

  /** The lower-case name used on the command line and in reports. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  static ServerKind parse(String label) {
    for (ServerKind k : values()) {
      if (k.label().equals(label)) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown server `" + label + "`; expected noop or warden");
  }

  private static String answer(boolean allowed, int status) {
    return allowed ? "allow" : "deny " + status;
  }
}
