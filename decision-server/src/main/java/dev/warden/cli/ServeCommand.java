package dev.warden.cli;

import dev.warden.server.ServerConfig;
import dev.warden.server.WardenServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * `warden serve`: run the sidecar until SIGTERM or SIGINT, then drain and stop, with exit code 0
 * (see {@link WardenServer#shutdown()}).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Serve Envoy ext_authz (gRPC) with the bundle, plus health, metrics and status over HTTP.")
final class ServeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

  @CommandLine.Option(names = "--bundle", paramLabel = "[NAME=]DIR|FILE.tar.gz|URL",
      description = "The bundle: a directory or archive (watched for changes unless --no-watch), an http(s):// URL of an"
          + " archive or an oci:// reference (polled every reload.remote.interval). Repeat it to serve several"
          + " bundles with disjoint packages and routes, each named NAME (default: from its location).")
  List<String> bundle;

  @CommandLine.Option(names = "--shadow-bundle", paramLabel = "[NAME=]DIR|FILE.tar.gz|URL",
      description = "A candidate bundle decided beside the bundle it is named after (or the only one) and never"
          + " enforced: its would-be decisions are logged and counted (config `shadow_bundle`). Repeatable.")
  List<String> shadowBundle;

  @CommandLine.Option(names = "--decision-log", paramLabel = "PATH|stdout",
      description = "Write a decision record for every call (masked; JSON lines) to this file, rotated, or to"
          + " standard output (config `decision_log.path`).")
  String decisionLog;

  @CommandLine.Option(names = "--log-format", paramLabel = "text|json",
      description = "Application logs on standard error as text lines (default) or one JSON object per line"
          + " (config `log.format`, WARDEN_LOG_FORMAT).")
  String logFormat;
  @CommandLine.Option(names = "--decision-log-url", paramLabel = "URL",
      description = "Also post decision records, batched and gzipped, to this collector as OPA's decision log"
          + " plugin does (https://, or http:// to loopback; config `decision_log.http.url`).")
  String decisionLogUrl;

  @CommandLine.Option(names = "--no-watch",
      description = "Do not watch the bundle: it changes only on SIGHUP or POST /bundles/reload (config `reload.watch`).")
  boolean noWatch;

  @CommandLine.Option(names = "--trusted-key", paramLabel = "[ID=]KEY",
      description = "Verify every bundle's signatures against this X.509 PEM public key (as `warden bundle verify --key`);"
          + " repeatable, replaces config `reload.trusted_keys`.")
  java.util.List<String> trustedKeys;

  @CommandLine.Option(names = "--grpc", paramLabel = "HOST:PORT|unix:PATH",
      description = "Where ext_authz listens (default 127.0.0.1:9191).")
  String grpc;

  @CommandLine.Option(names = "--http", paramLabel = "HOST:PORT",
      description = "Where the admin endpoints listen (default 127.0.0.1:9192).")
  String http;

  @CommandLine.Option(names = "--config", paramLabel = "FILE", description = "A YAML config file (docs/operations.md).")
  Path config;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ServerConfig cfg;
    try {
      String yaml = config == null ? null : Files.readString(config);
      // Relative paths in the file are relative to its folder; those in flags and env to here.
      Path folder = config == null ? null : config.toAbsolutePath().getParent();
      Map<String, String> flags = new HashMap<>();
      // One per line: a location may hold a comma.
      flags.put("bundle", bundle == null ? null : String.join("\n", bundle));
      flags.put("shadow_bundle", shadowBundle == null ? null : String.join("\n", shadowBundle));
      flags.put("decision_log.path", decisionLog);
      flags.put("log.format", logFormat);
      flags.put("decision_log.http.url", decisionLogUrl);
      flags.put("grpc.listen", grpc);
      flags.put("http.listen", http);
      flags.put("reload.watch", noWatch ? "false" : null);
      flags.put("reload.trusted_keys", trustedKeys == null ? null : String.join(",", trustedKeys));
      cfg = ServerConfig.load(yaml, folder, System.getenv(), flags);
    } catch (IOException e) {
      err.println("error: cannot read config file `" + config + "`: " + e.getMessage());
      return WardenCli.USAGE;
    } catch (ServerConfig.ConfigException e) {
      err.println("error: " + e.getMessage());
      return WardenCli.USAGE;
    }
    LogFormat.apply(cfg.telemetry().logFormat());
    WardenServer server = new WardenServer(cfg, Clock.systemUTC());
    try {
      server.start();
    } catch (WardenServer.StartException e) {
      if (e.diagnostics() != null) {
        err.print(e.diagnostics().render());
      }
      err.println("error: " + e.getMessage());
      server.close();
      return e.diagnostics() != null ? WardenCli.POLICY_ERRORS : WardenCli.USAGE;
    } catch (ServerConfig.ConfigException | IOException e) {
      err.println("error: cannot listen: " + e.getMessage());
      server.close();
      return WardenCli.USAGE;
    }
    // The same orderly stop when the JVM exits for another reason, or takes SIGTERM itself
    // because it cannot hand it over (see Signals): then the exit code is the JVM's 143.
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown, "warden-shutdown"));
    Stop stop = new Stop(server);
    for (String signal : new String[] {"TERM", "INT"}) {
      if (!Signals.handle(signal, () -> stop.request("SIG" + signal))) {
        log.warn("this JVM does not let Warden handle SIG{} (no sun.misc.Signal, or -Xrs): it is left to the JVM,"
            + " see docs/operations.md#shutdown", signal);
      }
    }
    // SIGHUP checks the bundle now, on the reload thread; the outcome is logged there. Without
    // this handler the JVM would stop on SIGHUP as on SIGTERM.
    if (!Signals.handle("HUP", () -> {
      log.info("SIGHUP: checking the bundle");
      server.reload("SIGHUP");
    })) {
      log.warn("this JVM does not let Warden handle SIGHUP (no sun.misc.Signal, or -Xrs): SIGHUP stops Warden");
    }
    List<ServerConfig.NamedBundle> served = cfg.bundles();
    for (int i = 0; i < served.size(); i++) {
      String revision = server.bundles().members().get(i).bundle().snapshot().revision();
      String where = ServerConfig.shown(served.get(i).location());
      out.printf("warden: serving %s (revision %s)%n", served.size() == 1 ? where : served.get(i).name() + "=" + where,
          revision);
    }
    out.printf("warden: ext_authz gRPC on %s%n", server.grpcAddress());
    if (server.opsAddress() == null) {
      out.printf("warden: admin on http://%s:%d (/health /ready /status /metrics)%n",
          server.adminAddress().getHostString(), server.adminAddress().getPort());
    } else {
      out.printf("warden: admin on http://%s:%d (/health /ready)%n",
          server.adminAddress().getHostString(), server.adminAddress().getPort());
      out.printf("warden: ops on http://%s:%d (/health /ready /status /metrics)%n",
          server.opsAddress().getHostString(), server.opsAddress().getPort());
    }
    out.flush();
    stop.await();
    server.shutdown();
    log.info("stopped");
    return WardenCli.OK;
  }

  /**
   * Stop requests by signal. The first starts the orderly stop (on the main thread, which then
   * returns exit code 0); another one, an operator pressing Ctrl-C twice, ends the drain and the
   * grace period at once.
   */
  private static final class Stop {
    private final WardenServer server;
    private final CountDownLatch requested = new CountDownLatch(1);
    private final AtomicInteger count = new AtomicInteger();

    Stop(WardenServer server) {
      this.server = server;
    }

    void request(String signal) {
      if (count.getAndIncrement() == 0) {
        log.info("{}: stopping", signal);
        requested.countDown();
      } else {
        log.warn("{} again: stopping now, without waiting for the drain or for calls in flight", signal);
        server.hurry();
      }
    }

    void await() throws InterruptedException {
      requested.await();
    }
  }
}
