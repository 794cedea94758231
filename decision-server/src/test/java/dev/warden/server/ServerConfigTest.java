package dev.warden.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerConfigTest {
  static final Map<String, String> BUNDLE = Map.of("bundle", "policies/shop");

  @Test
  void defaults() throws Exception {
    ServerConfig c = ServerConfig.load(null, Map.of(), BUNDLE);
    assertThat(c.grpcListen()).isEqualTo("127.0.0.1:9191");
    assertThat(c.httpListen()).isEqualTo("127.0.0.1:9192");
    assertThat(c.executorThreads()).isZero();
    assertThat(c.readBatchBytes()).isEqualTo(16_384);
    assertThat(c.failureStatus()).isEqualTo(403);
    assertThat(c.dynamicMetadata()).isTrue();
    assertThat(c.jwt()).isNull();
    // Safe by default: claims in Envoy's metadata are trusted only when the operator names the
    // key, and reflection does not hand the API surface to whoever reaches the port.
    assertThat(c.jwtAuthnMetadataKey()).isNull();
    assertThat(c.reflection()).isFalse();
    assertThat(c.opsListen()).isNull();
    assertThat(c.httpRequestTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.httpMaxConnections()).isEqualTo(1024);
    assertThat(c.decisionDeadline()).isEqualTo(Duration.ofMillis(100));
    assertThat(c.shutdownGrace()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.unixSocketMode()).isEqualTo(0660);
    assertThat(c.shutdownDrain()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.reload()).isEqualTo(new ServerConfig.Reload(true, Duration.ofSeconds(1), Duration.ofMillis(500), true));
  }

  @Test
  void reloadSettingsComeFromTheFileAndAreBounded() throws Exception {
    ServerConfig c = ServerConfig.load("bundle: b\nreload:\n  watch: false\n  poll_interval: 250ms\n"
        + "  debounce: 0s\n  test_gate: false\n", Map.of(), Map.of());
    assertThat(c.reload()).isEqualTo(new ServerConfig.Reload(false, Duration.ofMillis(250), Duration.ZERO, false));
    assertError("bundle: b\nreload:\n  poll_interval: 10ms\n", Map.of(), "`reload.poll_interval` must be from 50ms to 1h");
    assertError("bundle: b\nreload:\n  debounce: 2m\n", Map.of(), "`reload.debounce` must be from 0s to 1m");
    assertError("bundle: b\nreload:\n  watch: sometimes\n", Map.of(), "`reload.watch` must be true or false");
  }

  @Test
  void aRemoteBundleIsAUrlOrAnOciReferenceAndIsNotResolvedAsAPath() throws Exception {
    Path folder = Path.of("/etc/warden");
    ServerConfig https = ServerConfig.load("bundle: https://bundles.example.com/shop.tar.gz\n", folder, Map.of(), Map.of());
    assertThat(https.bundleLocation()).isEqualTo("https://bundles.example.com/shop.tar.gz");
    assertThat(https.bundle()).isNull();
    ServerConfig oci = ServerConfig.load("bundle: oci://registry.example.com/team/shop:live\n", folder, Map.of(), Map.of());
    assertThat(oci.bundleLocation()).isEqualTo("oci://registry.example.com/team/shop:live");
    assertThat(oci.reload().remote()).isEqualTo(dev.warden.server.source.Remote.DEFAULTS);
    ServerConfig local = ServerConfig.load("bundle: shop\n", folder, Map.of(), Map.of());
    assertThat(local.bundle()).isEqualTo(folder.resolve("shop"));
  }

  @Test
  void theHashKeyFileIsAPathBesideTheConfigFileOrNone() throws Exception {
    Path folder = Path.of("/etc/warden");
    ServerConfig keyed = ServerConfig.load("bundle: shop\ndecision_log:\n  path: stdout\n  hash_key_file: keys/log.key\n",
        folder, Map.of(), Map.of());
    assertThat(keyed.decisionLog().hashKeyFile()).isEqualTo(folder.resolve("keys/log.key"));
    ServerConfig env = ServerConfig.load("bundle: shop\n", folder, Map.of("WARDEN_DECISION_LOG_HASH_KEY_FILE", "/k"),
        Map.of());
    assertThat(env.decisionLog().hashKeyFile()).isEqualTo(Path.of("/k"));
    assertThat(ServerConfig.load("bundle: shop\n", folder, Map.of(), Map.of()).decisionLog().hashKeyFile()).isNull();
  }

  @Test
  void remoteSettingsAreBounded() throws Exception {
    ServerConfig c = ServerConfig.load("bundle: https://b.example/x.tar.gz\nreload:\n  remote:\n    interval: 2m\n"
        + "    jitter: 0.1\n    max_backoff: 10m\n    timeout: 5s\n    token_file: token\n  max_staleness: 1h\n"
        + "  stale_action: deny\n", Path.of("/etc/warden"), Map.of(), Map.of());
    assertThat(c.reload().remote()).isEqualTo(new dev.warden.server.source.Remote(Duration.ofMinutes(2), 0.1,
        Duration.ofMinutes(10), Duration.ofSeconds(5), Path.of("/etc/warden/token"), null, false));
    assertThat(c.reload().maxStaleness()).isEqualTo(Duration.ofHours(1));
    assertThat(c.reload().staleAction()).isEqualTo("deny");
    Map<String, String> remote = Map.of("bundle", "https://b.example/x.tar.gz");
    assertError("reload:\n  remote:\n    jitter: 0.9\n", remote, "`reload.remote.jitter` must be a fraction from 0 to 0.5");
    assertError("reload:\n  remote:\n    jitter: lots\n", remote, "`reload.remote.jitter` must be a fraction");
    assertError("reload:\n  remote:\n    interval: 1m\n    max_backoff: 30s\n", remote,
        "`reload.remote.max_backoff` must be from `reload.remote.interval` to 24h");
    assertError("reload:\n  remote:\n    interval: 10ms\n", remote, "`reload.remote.interval` must be from 50ms to 24h");
    assertError("reload:\n  max_staleness: 10ms\n", remote, "`reload.max_staleness` must be 0s (off) or from 1s");
    assertError("reload:\n  stale_action: panic\n", remote, "`reload.stale_action` must be `not_ready` or `deny`");
    assertError("reload:\n  remote:\n    token_file: a\n    basic_auth_file: b\n", remote,
        "exclude each other");
  }

  /** A bundle over plain HTTP can be changed on the way: only to loopback, or when signatures are required. */
  @Test
  void plainHttpBundlesNeedLoopbackOrTrustedKeys() throws Exception {
    assertError(null, Map.of("bundle", "http://bundles.example.com/shop.tar.gz?sig=secret"),
        "`bundle` `http://bundles.example.com/shop.tar.gz` is fetched over plain HTTP");
    assertThat(ServerConfig.load(null, Map.of(), Map.of("bundle", "http://127.0.0.1:8080/shop.tar.gz")).bundleLocation())
        .isEqualTo("http://127.0.0.1:8080/shop.tar.gz");
    assertThat(ServerConfig.load(null, Map.of(), Map.of("bundle", "http://bundles.example.com/shop.tar.gz",
        "reload.trusted_keys", "keys/ops.pem")).bundle()).isNull();
    assertError(null, Map.of("bundle", "oci://registry.example.com/team/shop:live", "reload.remote.plain_http", "true"),
        "is fetched over plain HTTP");
    assertError(null, Map.of("bundle", "https://user:pw@bundles.example.com/shop.tar.gz"),
        "without credentials in it: put a token in `reload.remote.token_file`");
    assertError(null, Map.of("bundle", "oci://registry.example.com/Team/shop:live"), "`bundle`: ");
    assertError(null, Map.of("bundle", "policies/shop", "reload.remote.plain_http", "true"),
        "`reload.remote.plain_http` is for an `oci://` bundle");
  }

  /** One set of credentials goes to one host, never in the clear. */
  @Test
  void remoteCredentialsAreScopedToOneHostAndNeverInTheClear() throws Exception {
    assertError(null, Map.of("bundle", "a=https://one.example/a.tar.gz,b=oci://two.example/team/b:live",
        "reload.remote.token_file", "/t"), "is one credential, but the remote bundles are on 2 hosts");
    assertError(null, Map.of("bundle", "http://bundles.example/a.tar.gz", "reload.trusted_keys", "k.pem",
        "reload.remote.token_file", "/t"), "would be sent in the clear");
    assertThat(ServerConfig.load(null, Map.of(), Map.of("bundle",
        "a=https://one.example/a.tar.gz,b=https://one.example/b.tar.gz,c=/local", "reload.remote.token_file", "/t"))
        .bundles()).hasSize(3);
  }

  @Test
  void aYamlListKeepsACommaInALocationAndUnknownSchemesAreRefused() throws Exception {
    ServerConfig c = ServerConfig.load("bundle:\n  - https://b.example/x.tar.gz?sig=a,b\n  - pay=/etc/pay\n",
        Path.of("/etc/warden"), Map.of(), Map.of());
    assertThat(c.bundles()).containsExactly(
        new ServerConfig.NamedBundle("x", "https://b.example/x.tar.gz?sig=a,b"),
        new ServerConfig.NamedBundle("pay", "/etc/pay"));
    assertError(null, Map.of("bundle", "file:///etc/warden/bundle"), "not `file://`");
  }

  @Test
  void theDrainIsZeroToAnHour() throws Exception {
    assertThat(ServerConfig.load("shutdown:\n  drain: 0s\n", Map.of(), BUNDLE).shutdownDrain()).isZero();
    assertThat(ServerConfig.load(null, Map.of("WARDEN_SHUTDOWN_DRAIN", "250ms"), BUNDLE).shutdownDrain())
        .isEqualTo(Duration.ofMillis(250));
    assertError("shutdown:\n  drain: -1s\n", BUNDLE, "`shutdown.drain` must be from 0s to 1h, found `-1s`");
    assertError("shutdown:\n  drain: 2h\n", BUNDLE, "`shutdown.drain` must be from 0s to 1h, found `2h`");
    assertError("shutdown:\n  drain: later\n", BUNDLE, "`shutdown.drain` must be a duration");
  }

  @Test
  void theUnixSocketModeIsAnOctalString() throws Exception {
    assertThat(ServerConfig.load("grpc:\n  unix_socket_mode: \"0600\"\n", Map.of(), BUNDLE).unixSocketMode())
        .isEqualTo(0600);
    assertThat(ServerConfig.load(null, Map.of("WARDEN_GRPC_UNIX_SOCKET_MODE", "0666"), BUNDLE).unixSocketMode())
        .isEqualTo(0666);
    assertThat(ServerConfig.load(null, Map.of(), Map.of("bundle", "b", "grpc.unix_socket_mode", "640")).unixSocketMode())
        .isEqualTo(0640);
    for (String bad : List.of("abc", "0888", "1777", "06600", "66", "", "rw-rw----")) {
      assertError("grpc:\n  unix_socket_mode: \"" + bad + "\"\n", BUNDLE,
          "`grpc.unix_socket_mode` must be an octal file mode such as `0660` (read and write for Warden's user and group),"
              + " found `" + bad + "`");
    }
    // Unquoted, YAML reads 0660 as the octal number 432: refused, never applied as mode 0432.
    assertError("grpc:\n  unix_socket_mode: 0660\n", BUNDLE,
        "`grpc.unix_socket_mode` must be an octal mode in quotes, such as \"0660\", found the number `432`");
    assertError("grpc:\n  unix_socket_mode: 660\n", BUNDLE, "found the number `660`");
  }

  @Test
  void fileThenEnvironmentThenFlags() throws Exception {
    String yaml = """
        bundle: /from/file
        grpc:
          listen: unix:/run/warden.sock
          executor_threads: 4
          read_batch_bytes: 0
        http:
          listen: 127.0.0.1:7000
        authz:
          failure_status: 503
          strip_headers: [x-user-id, x-tenant]
        identity:
          jwt:
            issuer: https://issuer.test
            audiences: [a, b]
            jwks_file: /etc/jwks.json
            clock_skew: 1m
        """;
    Map<String, String> env = Map.of("WARDEN_HTTP_LISTEN", "127.0.0.1:7100", "WARDEN_GRPC_EXECUTOR_THREADS", "2",
        "WARDEN_AUTHZ_DYNAMIC_METADATA", "False");
    Map<String, String> flags = new HashMap<>();
    flags.put("http.listen", "127.0.0.1:7200");
    flags.put("bundle", null);
    ServerConfig c = ServerConfig.load(yaml, env, flags);
    assertThat(c.bundle()).isEqualTo(Path.of("/from/file"));
    assertThat(c.grpcListen()).isEqualTo("unix:/run/warden.sock");
    assertThat(c.executorThreads()).isEqualTo(2);
    assertThat(c.readBatchBytes()).isZero();
    assertThat(c.httpListen()).isEqualTo("127.0.0.1:7200");
    assertThat(c.failureStatus()).isEqualTo(503);
    assertThat(c.stripHeaders()).containsExactly("x-user-id", "x-tenant");
    assertThat(c.dynamicMetadata()).isFalse();
    assertThat(c.jwt().audiences()).containsExactly("a", "b");
    assertThat(c.jwt().algorithms()).containsExactly("RS256", "ES256");
    assertThat(c.jwt().clockSkew()).isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void mistakesAreErrorsNamingTheKey() {
    assertError("grpc:\n  lisen: x\n", BUNDLE, "unknown config key `grpc.lisen`");
    assertError("bundle: [\n", Map.of(), "not valid YAML");
    assertError(null, Map.of(), "no bundle");
    assertError("authz:\n  failure_status: 200\n", BUNDLE, "`authz.failure_status` must be 403, 500 or 503");
    assertError("shutdown:\n  grace: soon\n", BUNDLE, "`shutdown.grace` must be a duration");
    assertError("authz:\n  dynamic_metadata: yes please\n", BUNDLE,
        "`authz.dynamic_metadata` must be true or false, found `yes please`");
    assertError("grpc:\n  read_batch_bytes: 512\n", BUNDLE,
        "`grpc.read_batch_bytes` must be 0 (Netty's adaptive reads) or 1024 to 1048576, found `512`");
    assertError("authz:\n  strip_headers: [\"x user\"]\n", BUNDLE, "`authz.strip_headers`: `x user` is not a header name");
    assertError("authz:\n  strip_headers: [X-Warden-Decision-Id]\n", BUNDLE, "is the header Warden sets");
    assertError("authz:\n  decision_deadline: 0ms\n", BUNDLE, "must be longer than 0");
    assertError("authz:\n  decision_deadline: fast\n", BUNDLE, "`authz.decision_deadline` must be a duration such as `250ms`");
    assertError("http:\n  max_connections: 0\n", BUNDLE, "`http.max_connections` must be at least 1");
    assertError("identity:\n  jwt:\n    allow_loopback_http: maybe\n", BUNDLE, "must be true or false");
    assertError("grpc:\n  read_batch_bytes: 2MiB\n", BUNDLE, "`grpc.read_batch_bytes` must be a whole number, found `2MiB`");
    assertError("grpc:\n  executor_threads: many\n", BUNDLE, "`grpc.executor_threads` must be a whole number");
    assertError("grpc:\n  tls:\n    cert: /c.pem\n", BUNDLE, "`grpc.tls.cert` and `grpc.tls.key` go together");
    assertError("identity:\n  jwt:\n    issuer: x\n", BUNDLE, "exactly one of `jwks_file` and `jwks_url`");
    assertError("identity:\n  jwt:\n    issuer: x\n    jwks_file: /j\n    algorithms: [HS256]\n", BUNDLE,
        "`HS256` is not allowed");
    assertError("identity:\n  jwt:\n    issuer: x\n    jwks_file: /j\n    algorithms: [none]\n", BUNDLE,
        "`none` is not allowed");
    assertError("identity:\n  jwt:\n    issuer: x\n    jwks_file: /j\n    clock_skew: 1h\n", BUNDLE,
        "clock_skew must be between 0s and 5m");
  }

  /**
   * A config file's relative paths are relative to its folder, so that it works from any working
   * directory; those from the environment and flags stay relative to the working directory.
   */
  @Test
  void relativePathsInTheFileResolveAgainstItsFolder(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path folder = dir.resolve("etc").resolve("warden");
    String yaml = """
        bundle: bundle
        grpc:
          listen: unix:run/warden.sock
          tls:
            cert: tls/tls.crt
            key: /abs/tls.key
            client_ca: ../ca.crt
        identity:
          jwt:
            issuer: https://issuer.test
            jwks_file: keys/jwks.json
        reload:
          persist_dir: state
        """;
    ServerConfig c = ServerConfig.load(yaml, folder, Map.of(), Map.of());
    assertThat(c.bundle()).isEqualTo(folder.resolve("bundle"));
    assertThat(c.reload().persistDir()).isEqualTo(folder.resolve("state"));
    assertThat(c.grpcListen()).isEqualTo("unix:" + folder.resolve("run/warden.sock"));
    assertThat(c.tlsCert()).isEqualTo(folder.resolve("tls/tls.crt"));
    assertThat(c.tlsKey()).isEqualTo(Path.of("/abs/tls.key"));
    assertThat(c.tlsClientCa()).isEqualTo(folder.resolve("../ca.crt"));
    assertThat(c.jwt().jwksFile()).isEqualTo(folder.resolve("keys/jwks.json"));

    Map<String, String> flags = new HashMap<>();
    flags.put("grpc.listen", "unix:flag.sock");
    flags.put("grpc.tls.cert", "flag.crt");
    ServerConfig overridden = ServerConfig.load(yaml, folder,
        Map.of("WARDEN_BUNDLE", "env-bundle", "WARDEN_IDENTITY_JWT_JWKS_FILE", "env-jwks.json"), flags);
    assertThat(overridden.bundle()).isEqualTo(Path.of("env-bundle"));
    assertThat(overridden.jwt().jwksFile()).isEqualTo(Path.of("env-jwks.json"));
    assertThat(overridden.grpcListen()).isEqualTo("unix:flag.sock");
    assertThat(overridden.tlsCert()).isEqualTo(Path.of("flag.crt"));
    assertThat(overridden.tlsClientCa()).isEqualTo(folder.resolve("../ca.crt"));

    ServerConfig tcp = ServerConfig.load("grpc:\n  listen: 127.0.0.1:9191\n", folder, Map.of(), BUNDLE);
    assertThat(tcp.grpcListen()).isEqualTo("127.0.0.1:9191");
    assertThat(tcp.bundle()).isEqualTo(Path.of("policies/shop"));
  }

  @Test
  void listenAddresses() throws Exception {
    assertThat(Listen.parse("unix:/run/w.sock", "x").unix()).isEqualTo(Path.of("/run/w.sock"));
    assertThat(Listen.parse("[::1]:9191", "x").tcp().getPort()).isEqualTo(9191);
    for (String bad : List.of("", "9191", "host:port", "unix:", "h:70000")) {
      assertThatThrownBy(() -> Listen.parse(bad, "grpc.listen")).isInstanceOf(ServerConfig.ConfigException.class)
          .hasMessageContaining("grpc.listen");
    }
  }

  @Test
  void telemetrySettingsComeFromEveryLayerAndAreBounded() throws Exception {
    assertThat(ServerConfig.load(null, Map.of(), BUNDLE).telemetry()).isEqualTo(ServerConfig.Telemetry.DEFAULTS);
    ServerConfig c = ServerConfig.load("bundle: b\nlog:\n  format: json\nmetrics:\n  max_routes: 20\n", Map.of(),
        Map.of());
    assertThat(c.telemetry()).isEqualTo(new ServerConfig.Telemetry("json", 20));
    assertThat(c.telemetry().jsonLogs()).isTrue();
    assertThat(ServerConfig.load(null, Map.of("WARDEN_LOG_FORMAT", "JSON", "WARDEN_METRICS_MAX_ROUTES", "0"), BUNDLE)
        .telemetry()).isEqualTo(new ServerConfig.Telemetry("json", 0));
    assertThat(ServerConfig.load("log:\n  format: json\n", Map.of(), Map.of("bundle", "b", "log.format", "text"))
        .telemetry().jsonLogs()).isFalse();
    assertError("bundle: b\nlog:\n  format: logfmt\n", Map.of(),
        "`log.format` must be `text` (lines for people) or `json` (one JSON object per line), found `logfmt`");
    assertError("bundle: b\nmetrics:\n  max_routes: -1\n", Map.of(), "`metrics.max_routes` must be a whole number from 0"
        + " to 10000 (routes past it are labelled `other` in warden_route_decisions_total), found `-1`");
    assertError("bundle: b\nmetrics:\n  max_routes: lots\n", Map.of(), "`metrics.max_routes` must be a whole number");
    assertError("bundle: b\nlog:\n  level: debug\n", Map.of(), "unknown config key `log.level`");
  }

  @Test
  void decisionLogCollectorAndSpool() throws Exception {
    Path folder = Path.of("/etc/warden");
    ServerConfig c = ServerConfig.load("decision_log:\n  path: logs/decisions.log\n  http:\n"
        + "    url: https://collector.example/logs\n    max_batch_bytes: 65536\n    timeout: 3s\n"
        + "    token_file: collector.token\n  spool:\n    dir: spool\n    max_bytes: 2097152\n", folder, Map.of(),
        BUNDLE);
    ServerConfig.DecisionLogSettings d = c.decisionLog();
    assertThat(d.path()).isEqualTo("/etc/warden/logs/decisions.log");
    assertThat(d.http()).isEqualTo(new ServerConfig.HttpCollector(java.net.URI.create("https://collector.example/logs"),
        65536, java.time.Duration.ofSeconds(3), folder.resolve("collector.token"), false));
    assertThat(d.spool()).isEqualTo(new ServerConfig.SpoolSettings(folder.resolve("spool"), 2097152));

    ServerConfig env = ServerConfig.load(null, Map.of("WARDEN_DECISION_LOG_HTTP_URL", "http://127.0.0.1:8181/logs"),
        BUNDLE);
    assertThat(env.decisionLog().on()).isTrue();
    assertThat(env.decisionLog().path()).isNull();
    assertThat(env.decisionLog().http().maxBatchBytes()).isEqualTo(1 << 20);
    assertThat(env.decisionLog().http().timeout()).isEqualTo(java.time.Duration.ofSeconds(10));
    assertThat(env.decisionLog().spool()).isNull();
    assertThat(env.decisionLog().http().opa()).isFalse();
    assertThat(ServerConfig.load(null, Map.of("WARDEN_DECISION_LOG_HTTP_URL", "http://127.0.0.1:8181/logs",
        "WARDEN_DECISION_LOG_HTTP_FORMAT", "opa"), BUNDLE).decisionLog().http().opa()).isTrue();
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of("WARDEN_DECISION_LOG_HTTP_URL", "http://127.0.0.1:8181/logs",
        "WARDEN_DECISION_LOG_HTTP_FORMAT", "rego"), BUNDLE))
        .hasMessageContaining("`decision_log.http.format` must be `warden`").hasMessageContaining("found `rego`");
    assertThat(ServerConfig.load(null, Map.of(), BUNDLE).decisionLog().on()).isFalse();

    assertError("decision_log:\n  http:\n    url: http://collector.example/logs\n", BUNDLE,
        "`decision_log.http.url` `http://collector.example/logs` is plain HTTP");
    assertError("decision_log:\n  http:\n    url: https://user:pw@collector.example/logs\n", BUNDLE,
        "without credentials in it: put a token in `decision_log.http.token_file`");
    assertError("decision_log:\n  http:\n    url: ftp://collector.example/logs\n", BUNDLE,
        "must be `https://HOST[:PORT]/PATH`");
    assertError("decision_log:\n  http:\n    url: https://c/logs\n    max_batch_bytes: 10\n", BUNDLE,
        "`decision_log.http.max_batch_bytes` must be a whole number of bytes from 1024 to 67108864 (64 MiB), found `10`");
    assertError("decision_log:\n  http:\n    url: https://c/logs\n    timeout: 1h\n", BUNDLE,
        "`decision_log.http.timeout` must be from 100ms to 5m, found `1h`");
    assertError("decision_log:\n  spool:\n    dir: /var/spool/warden\n", BUNDLE,
        "`decision_log.spool.dir` keeps records for the HTTP collector, but `decision_log.http.url` is not set");
    assertError("decision_log:\n  http:\n    token_file: t\n", BUNDLE, "`decision_log.http.token_file` is set but");
    assertError("decision_log:\n  http:\n    url: https://c/logs\n  spool:\n    dir: s\n    max_bytes: 12\n", BUNDLE,
        "`decision_log.spool.max_bytes` must be a whole number of bytes from 1048576 (1 MiB) to 2^40, found `12`");
  }

  /** docs/operations.md has a row for every key, showing its default (— for none or empty). */
  @Test
  void everyKeyIsDocumentedWithItsDefault() throws Exception {
    List<String> rows = java.nio.file.Files.readAllLines(Path.of("../docs/operations.md")).stream()
        .filter(l -> l.startsWith("| `")).toList();
    ServerConfig.DEFAULTS.forEach((key, value) -> {
      List<String> row = rows.stream().filter(r -> r.split("\\|")[1].contains("`" + key + "`")).toList();
      assertThat(row).as("the row of `%s` in docs/operations.md", key).hasSize(1);
      String shown = row.get(0).split("\\|")[2].trim();
      assertThat(shown).as("the default of `%s` in docs/operations.md", key)
          .isEqualTo(value == null || value.isEmpty() ? "—" : "`" + value + "`");
    });
  }

  private static void assertError(String yaml, Map<String, String> flags, String message) {
    assertThatThrownBy(() -> ServerConfig.load(yaml, Map.of(), flags))
        .isInstanceOf(ServerConfig.ConfigException.class).hasMessageContaining(message);
  }
}
