package dev.warden.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.warden.bundle.BundleKeys;
import dev.warden.server.identity.JwtConfig;
import dev.warden.server.source.Remote;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The sidecar's configuration: a YAML file, then environment variables, then command-line flags,
 * each overriding the one before. Every key is documented in docs/operations.md; an unknown key
 * is an error, so that a typo never silently falls back to a default.
 *
 * <p>Environment variables name a key by its path: `grpc.listen` is `WARDEN_GRPC_LISTEN`.
 *
 * <p>A relative path in the file ({@link #FILE_PATHS}, and a `unix:` listen path) is relative to
 * the file's folder, so that a config file and the bundle, keys and socket beside it work from
 * any working directory, as systemd units and container entrypoints start it. Paths from the
 * environment and from flags are relative to the working directory, as a shell user expects.
 */
public record ServerConfig(
    List<NamedBundle> bundles,
    List<NamedBundle> shadowBundles,
    String grpcListen,
    int unixSocketMode,
    String httpListen,
    String opsListen,
    Duration httpRequestTimeout,
    int httpMaxConnections,
    int executorThreads,
    int maxConcurrentCalls,
    int readBatchBytes,
    boolean reflection,
    Path tlsCert,
    Path tlsKey,
    Path tlsClientCa,
    JwtConfig jwt,
    String jwtAuthnMetadataKey,
    String apiKeyHeader,
    String apiKeyData,
    int failureStatus,
    List<String> stripHeaders,
    boolean dynamicMetadata,
    Duration decisionDeadline,
    int heavyThreads,
    Duration shutdownDrain,
    Duration shutdownGrace,
    Reload reload,
    DecisionLogSettings decisionLog,
    Telemetry telemetry,
    Otlp decisionLogOtlp,
    Tracing tracing,
    boolean schemaPaths,
    QuotaSettings quota) {

  /**
   * How quotas are counted and answered (`quota.*`).
   *
   * @param redis the shared store of `scope global` quotas, a `redis://` or `rediss://` URL; null:
   *     none, and global quotas always fall back
   * @param redisCluster whether {@code redis} is a Redis Cluster node
   * @param redisTimeout how long one charge may wait for Redis before the quotas fall back
   * @param redisCaFile the CA that signs a `rediss://` server's certificate; null: the JVM's trust store
   * @param headers which quota fields answers carry
   * @param headersOnAllow whether allowed requests carry them too (the remaining quota)
   * @param localMaxKeys how many local buckets are kept
   * @param mode `enforce` (the default), `shadow` (every quota counted, none enforced, as a rollout
   *     or a load test wants) or `off` (no quota is charged)
   */
  public record QuotaSettings(String redis, boolean redisCluster, Duration redisTimeout, Path redisCaFile,
      dev.warden.policy.runtime.RateLimitHeaders.Style headers, boolean headersOnAllow, long localMaxKeys,
      String mode) {}

  /**
   * A collector that takes OTLP over HTTP/protobuf (`decision_log.otlp.*`, `tracing.*`).
   *
   * @param endpoint the URL the exporter posts to: as configured, or with `/v1/logs` or
   *     `/v1/traces` added when the configured URL has no path (the collector's base URL)
   * @param timeout how long one export may take, connection included
   * @param headersFile `Name: value` lines sent with every export (credentials); null: none
   */
  public record Otlp(String endpoint, Duration timeout, Path headersFile) {}

  /**
   * Tracing of the Check and the decide API (`tracing.*`).
   *
   * @param otlp where spans go; null: tracing is off and costs nothing
   * @param sampleRatio the fraction of calls without a sampled parent that are traced
   * @param serviceName `service.name` of the spans and of the OTLP decision log records
   */
  public record Tracing(Otlp otlp, double sampleRatio, String serviceName) {
    public static final Tracing OFF = new Tracing(null, 1.0, "warden");

    public boolean on() {
      return otlp != null;
    }
  }

  /**
   * Application logs and metrics (`log.*`, `metrics.*`).
   *
   * @param logFormat `text` (one line per event, for people) or `json` (one JSON object per line,
   *     Logback's JsonEncoder, for a log pipeline)
   * @param maxRoutes the most declared routes with a label of their own in
   *     `warden_route_decisions_total`; the others count as `other`
   */
  public record Telemetry(String logFormat, int maxRoutes) {
    public static final List<String> LOG_FORMATS = List.of("text", "json");
    public static final Telemetry DEFAULTS = new Telemetry("text", 500);

    public boolean jsonLogs() {
      return logFormat.equals("json");
    }
  }

  /**
   * Where decision records go (`decision_log.*`, `--decision-log`, `--decision-log-url`).
   *
   * @param path `stdout`, a file (rotated), or null: no decision log
   * @param maxFileBytes the size at which the file is rotated
   * @param maxFiles how many rotated files are kept beside it
   * @param buffer how many records wait for the writer at most; more are dropped and counted
   * @param sampleAllows the fraction of allowed decisions logged; denials and errors always are
   * @param maxFileAge the age at which a non-empty file is rotated too; zero: by size only
   * @param hashKeyFile the key of `redact log`'s `hash` action (`decision_log.hash_key_file`), or
   *     null: a random key per start, so hashes correlate within one run only
   * @param http the HTTP collector (`decision_log.http.*`), or null; on beside {@code path}, each
   *     sink has its own buffer of {@code buffer} records
   * @param spool the collector's on-disk spool (`decision_log.spool.*`), or null
   */
  public record DecisionLogSettings(String path, long maxFileBytes, int maxFiles, int buffer, double sampleAllows,
      Duration maxFileAge, Path hashKeyFile, HttpCollector http, SpoolSettings spool) {
    public static final DecisionLogSettings OFF = new DecisionLogSettings(null, 64L << 20, 10, 8192, 1.0,
        Duration.ZERO, null, null, null);

    /** A file or stdout only. */
    public DecisionLogSettings(String path, long maxFileBytes, int maxFiles, int buffer, double sampleAllows) {
      this(path, maxFileBytes, maxFiles, buffer, sampleAllows, Duration.ZERO, null, null, null);
    }

    /** Whether any sink is configured: a path, a collector, or both. */
    public boolean on() {
      return path != null || http != null;
    }
  }

  /**
   * The decision log's HTTP collector (`decision_log.http.*`, `--decision-log-url`).
   *
   * @param url where batches are posted: `https://`, or `http://` to loopback
   * @param maxBatchBytes the most bytes of one request's JSON array, before gzip
   * @param timeout connect and whole-request limit for one post
   * @param tokenFile a file holding a bearer token, read at start; null: none
   * @param opa whether each record is posted as an OPA decision log event
   *     (`decision_log.http.format: opa`) rather than as Warden's record (`warden`)
   */
  public record HttpCollector(URI url, long maxBatchBytes, Duration timeout, Path tokenFile, boolean opa) {}

  /**
   * The on-disk spool of the HTTP collector's records (`decision_log.spool.*`).
   *
   * @param dir the folder of segment files, one Warden process's own
   * @param maxBytes the most bytes the segment files hold together
   */
  public record SpoolSettings(Path dir, long maxBytes) {}

  /**
   * How the bundle is kept current (`reload.*`).
   *
   * @param watch whether the bundle path is polled for changes; off, it changes only on SIGHUP or
   *     `POST /bundles/reload`
   * @param pollInterval how often the path's fingerprint (names, sizes, mtimes, inodes) is compared
   * @param debounce how long a change must be quiet before the bundle is read
   * @param testGate whether the bundle's own `test` blocks must pass before it activates
   * @param trustedKeys `[ID=]FILE` public keys every activated bundle's signatures must verify
   *     against, as `warden bundle verify --key` takes them; empty: signatures are not checked
   * @param persistDir where the last activated bundle is kept, to serve at start when the source
   *     cannot be read; null: nothing is persisted
   * @param remote how an HTTP or OCI source is polled (`reload.remote.*`)
   * @param maxStaleness how long the bundle may go without a successful check before it is stale;
   *     zero: never stale
   * @param staleAction `not_ready` (readiness and gRPC health fail) or `deny` (that, and every
   *     request is refused with `authz.failure_status`)
   */
  public record Reload(boolean watch, Duration pollInterval, Duration debounce, boolean testGate,
      List<String> trustedKeys, Path persistDir, dev.warden.server.source.Remote remote, Duration maxStaleness,
      String staleAction) {
    public Reload {
      trustedKeys = List.copyOf(trustedKeys);
    }

    public Reload(boolean watch, Duration pollInterval, Duration debounce, boolean testGate,
        List<String> trustedKeys, Path persistDir) {
      this(watch, pollInterval, debounce, testGate, trustedKeys, persistDir, dev.warden.server.source.Remote.DEFAULTS,
          Duration.ZERO, "not_ready");
    }

    public Reload(boolean watch, Duration pollInterval, Duration debounce, boolean testGate,
        List<String> trustedKeys) {
      this(watch, pollInterval, debounce, testGate, trustedKeys, null);
    }

    public Reload(boolean watch, Duration pollInterval, Duration debounce, boolean testGate) {
      this(watch, pollInterval, debounce, testGate, List.of());
    }
  }

  /** Every key, with its default (null: no default). Order is the documentation order. */
  static final Map<String, String> DEFAULTS = defaults();

  private static Map<String, String> defaults() {
    Map<String, String> d = new java.util.LinkedHashMap<>();
    d.put("bundle", null);
    d.put("shadow_bundle", null);
    d.put("grpc.listen", "127.0.0.1:9191");
    d.put("grpc.unix_socket_mode", "0660");
    d.put("grpc.executor_threads", "0");
    d.put("grpc.max_concurrent_calls", "1024");
    d.put("grpc.read_batch_bytes", Integer.toString(ReadBatching.DEFAULT_BYTES));
    d.put("grpc.reflection", "false");
    d.put("grpc.tls.cert", null);
    d.put("grpc.tls.key", null);
    d.put("grpc.tls.client_ca", null);
    d.put("http.listen", "127.0.0.1:9192");
    d.put("http.ops_listen", "");
    d.put("http.request_timeout", "10s");
    d.put("http.max_connections", "1024");
    d.put("identity.jwt.issuer", null);
    d.put("identity.jwt.audiences", null);
    d.put("identity.jwt.algorithms", "RS256,ES256");
    d.put("identity.jwt.jwks_file", null);
    d.put("identity.jwt.jwks_url", null);
    d.put("identity.jwt.refresh", "5m");
    d.put("identity.jwt.clock_skew", "30s");
    d.put("identity.jwt.allow_loopback_http", "false");
    d.put("identity.jwt.jwks_max_age", "24h");
    d.put("identity.jwt_authn_metadata_key", "");
    d.put("identity.api_key.header", "x-api-key");
    d.put("identity.api_key.data", "api_keys");
    d.put("authz.failure_status", "403");
    d.put("authz.strip_headers", "");
    d.put("authz.dynamic_metadata", "true");
    d.put("schema.errors", "paths");
    d.put("authz.decision_deadline", "100ms");
    d.put("authz.heavy_threads", "1");
    d.put("shutdown.drain", "5s");
    d.put("shutdown.grace", "10s");
    d.put("reload.watch", "true");
    d.put("reload.poll_interval", "1s");
    d.put("reload.debounce", "500ms");
    d.put("reload.test_gate", "true");
    d.put("reload.trusted_keys", "");
    d.put("reload.persist_dir", null);
    d.put("decision_log.path", null);
    d.put("decision_log.max_file_bytes", Long.toString(64L << 20));
    d.put("decision_log.max_files", "10");
    d.put("decision_log.buffer", "8192");
    d.put("decision_log.sample_allows", "1.0");
    d.put("decision_log.max_file_age", "0s");
    d.put("decision_log.hash_key_file", null);
    d.put("decision_log.http.url", null);
    d.put("decision_log.http.max_batch_bytes", Integer.toString(1 << 20));
    d.put("decision_log.http.timeout", "10s");
    d.put("decision_log.http.token_file", null);
    d.put("decision_log.http.format", "warden");
    d.put("decision_log.spool.dir", null);
    d.put("decision_log.spool.max_bytes", Long.toString(1L << 30));
    d.put("decision_log.otlp.endpoint", null);
    d.put("decision_log.otlp.protocol", "http/protobuf");
    d.put("decision_log.otlp.timeout", "10s");
    d.put("decision_log.otlp.headers_file", null);
    d.put("tracing.otlp.endpoint", null);
    d.put("tracing.protocol", "http/protobuf");
    d.put("tracing.timeout", "10s");
    d.put("tracing.headers_file", null);
    d.put("tracing.sample_ratio", "1.0");
    d.put("tracing.service_name", "warden");
    d.put("reload.max_staleness", "0s");
    d.put("reload.stale_action", "not_ready");
    d.put("reload.remote.interval", "30s");
    d.put("reload.remote.jitter", "0.2");
    d.put("reload.remote.max_backoff", "5m");
    d.put("reload.remote.timeout", "10s");
    d.put("reload.remote.token_file", null);
    d.put("reload.remote.basic_auth_file", null);
    d.put("reload.remote.plain_http", "false");
    d.put("log.format", "text");
    d.put("metrics.max_routes", "500");
    d.put("quota.redis", null);
    d.put("quota.redis_cluster", "false");
    d.put("quota.redis_timeout", "50ms");
    d.put("quota.redis_ca_file", null);
    d.put("quota.headers", "ietf");
    d.put("quota.headers_on_allow", "false");
    d.put("quota.local.max_keys", "100000");
    d.put("quota.mode", "enforce");
    return java.util.Collections.unmodifiableMap(d);
  }

  /** Keys whose value is a file or directory. */
  static final Set<String> FILE_PATHS =
      Set.of("bundle", "grpc.tls.cert", "grpc.tls.key", "grpc.tls.client_ca", "identity.jwt.jwks_file",
          "reload.persist_dir", "reload.remote.token_file",
          "reload.remote.basic_auth_file", "decision_log.hash_key_file", "decision_log.http.token_file",
          "decision_log.spool.dir", "decision_log.otlp.headers_file", "tracing.headers_file", "quota.redis_ca_file");

  /** Keys whose value is a list of `[ID=]FILE` keys ({@link BundleKeys.TrustedKey}). */
  static final Set<String> KEY_LISTS = Set.of("reload.trusted_keys");

  /** Listen keys whose `unix:PATH` value is a file. */
  static final Set<String> LISTEN_PATHS = Set.of("grpc.listen");

  /** Thrown for a configuration that cannot run; the message names the key. */
  public static final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
      super(message);
    }
  }

  /**
   * Loads a configuration whose relative paths, in the file too, are relative to the working
   * directory: for YAML text that comes from no file.
   *
   * @param yaml YAML text, or null
   * @param env the environment (WARDEN_* variables are read)
   * @param flags values from command-line flags by key, overriding everything
   */
  public static ServerConfig load(String yaml, Map<String, String> env, Map<String, String> flags)
      throws ConfigException {
    return load(yaml, null, env, flags);
  }

  /**
   * @param yaml the config file's text, or null
   * @param folder the config file's folder, against which relative paths in the file resolve;
   *     null for the working directory
   * @param env the environment (WARDEN_* variables are read)
   * @param flags values from command-line flags by key, overriding everything
   */
  public static ServerConfig load(String yaml, Path folder, Map<String, String> env, Map<String, String> flags)
      throws ConfigException {
    Map<String, String> values = new java.util.LinkedHashMap<>(DEFAULTS);
    if (yaml != null && !yaml.isBlank()) {
      JsonNode root;
      try {
        root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
      } catch (Exception e) {
        throw new ConfigException("config file is not valid YAML: " + e.getMessage().split("\n")[0]);
      }
      if (root != null && !root.isNull()) {
        if (!(root instanceof ObjectNode)) {
          throw new ConfigException("config file must be a mapping of settings");
        }
        flatten("", root, values);
        if (folder != null) {
          resolvePaths(values, folder);
        }
      }
    }
    for (String key : DEFAULTS.keySet()) {
      String var = "WARDEN_" + key.replace('.', '_').toUpperCase();
      if (env.containsKey(var)) {
        values.put(key, env.get(var));
      }
    }
    flags.forEach((k, v) -> {
      if (v != null) {
        values.put(k, v);
      }
    });
    return build(values);
  }

  private static void flatten(String prefix, JsonNode node, Map<String, String> out) throws ConfigException {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = prefix + e.getKey();
      JsonNode v = e.getValue();
      if (v.isObject()) {
        flatten(key + ".", v, out);
        continue;
      }
      if (!DEFAULTS.containsKey(key)) {
        throw new ConfigException("unknown config key `" + key + "`; see docs/operations.md for the keys");
      }
      if (key.equals("grpc.unix_socket_mode") && v.isNumber()) {
        // YAML reads an unquoted 0660 as the octal number 432, and 660 as decimal: which digits
        // were written is lost, so a number is refused rather than guessed at.
        throw new ConfigException("`grpc.unix_socket_mode` must be an octal mode in quotes, such as \"0660\","
            + " found the number `" + v.asText() + "`: YAML reads an unquoted 0660 as the number 432");
      }
      if (v.isArray()) {
        List<String> items = new ArrayList<>();
        v.forEach(i -> items.add(i.asText()));
        // A bundle location may hold a comma (a URL's query): its list keeps items apart by line.
        out.put(key, String.join(BUNDLE_LISTS.contains(key) ? "\n" : ",", items));
      } else {
        out.put(key, v.isNull() ? null : v.asText());
      }
    }
  }

  /** Keys whose value is a list of `[NAME=]LOCATION` bundles, one per line. */
  static final Set<String> BUNDLE_LISTS = Set.of("bundle", "shadow_bundle");

  /** Makes the file's relative paths relative to its folder; runs before env and flags apply. */
  private static void resolvePaths(Map<String, String> values, Path folder) throws ConfigException {
    for (String key : BUNDLE_LISTS) {
      String bundles = values.get(key);
      if (bundles == null || bundles.isBlank()) {
        continue;
      }
      List<String> resolved = new ArrayList<>();
      for (String item : bundleItems(bundles)) {
        String[] nl = nameAndLocation(item);
        String at = remote(nl[1]) || nl[1].isEmpty() ? nl[1] : resolve(folder, key, nl[1]);
        resolved.add(nl[0] == null ? at : nl[0] + "=" + at);
      }
      values.put(key, String.join("\n", resolved));
    }
    String log = values.get("decision_log.path");
    if (log != null && !log.isBlank() && !log.trim().equals("stdout")) {
      values.put("decision_log.path", resolve(folder, "decision_log.path", log.trim()));
    }
    for (String key : FILE_PATHS) {
      String v = values.get(key);
      if (key.equals("bundle")) {
        continue;
      }
      if (v != null && !v.isBlank()) {
        values.put(key, resolve(folder, key, v.trim()));
      }
    }
    for (String key : KEY_LISTS) {
      List<String> resolved = new ArrayList<>();
      for (String spec : list(values.get(key))) {
        BundleKeys.TrustedKey k = BundleKeys.TrustedKey.parse(spec);
        // The id stays the file's name: `keys/ops.pem` is `ops` from any folder.
        resolved.add(new BundleKeys.TrustedKey(k.id(), resolve(folder, key, k.file())).toString());
      }
      values.put(key, String.join(",", resolved));
    }
    for (String key : LISTEN_PATHS) {
      String v = values.get(key);
      if (v != null && v.startsWith("unix:") && v.length() > 5) {
        values.put(key, "unix:" + resolve(folder, key, v.substring(5)));
      }
    }
  }

  private static String resolve(Path folder, String key, String path) throws ConfigException {
    try {
      Path p = Path.of(path);
      return p.isAbsolute() ? path : folder.resolve(p).toString();
    } catch (java.nio.file.InvalidPathException e) {
      throw new ConfigException("`" + key + "`: `" + path + "` is not a path: " + e.getReason());
    }
  }

  private static ServerConfig build(Map<String, String> v) throws ConfigException {
    String bundle = v.get("bundle");
    if (bundle == null || bundle.isBlank()) {
      throw new ConfigException("no bundle: pass `--bundle DIR`, set `bundle:` in the config file or WARDEN_BUNDLE");
    }
    List<NamedBundle> bundles = bundles("bundle", bundle);
    List<NamedBundle> shadowBundles = shadowBundles(v.get("shadow_bundle"), bundles);
    int failure = integer(v, "authz.failure_status");
    if (!Set.of(403, 500, 503).contains(failure)) {
      throw new ConfigException("`authz.failure_status` must be 403, 500 or 503");
    }
    Path cert = path(v.get("grpc.tls.cert"));
    Path key = path(v.get("grpc.tls.key"));
    if ((cert == null) != (key == null)) {
      throw new ConfigException("`grpc.tls.cert` and `grpc.tls.key` go together");
    }
    if (v.get("grpc.tls.client_ca") != null && cert == null) {
      throw new ConfigException("`grpc.tls.client_ca` (mTLS) needs `grpc.tls.cert` and `grpc.tls.key`");
    }
    JwtConfig jwt = null;
    boolean loopbackHttp = bool(v, "identity.jwt.allow_loopback_http");
    if (v.get("identity.jwt.issuer") != null) {
      try {
        String url = v.get("identity.jwt.jwks_url");
        jwt = new JwtConfig(v.get("identity.jwt.issuer"), list(v.get("identity.jwt.audiences")),
            list(v.get("identity.jwt.algorithms")), path(v.get("identity.jwt.jwks_file")),
            url == null ? null : URI.create(url), duration(v, "identity.jwt.refresh"),
            duration(v, "identity.jwt.clock_skew"), loopbackHttp, duration(v, "identity.jwt.jwks_max_age"));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(e.getMessage());
      }
    }
    List<String> strip = new ArrayList<>();
    for (String h : list(v.get("authz.strip_headers"))) {
      String name = dev.warden.policy.runtime.HttpTokens.headerName(h);
      if (name == null || name.startsWith(":")) {
        throw new ConfigException("`authz.strip_headers`: `" + h + "` is not a header name");
      }
      if (name.equals(dev.warden.server.authz.ResponseMapper.DECISION_ID_HEADER)) {
        throw new ConfigException("`authz.strip_headers`: `" + h + "` is the header Warden sets on every allowed request");
      }
      strip.add(name);
    }
    int maxConnections = integer(v, "http.max_connections");
    if (maxConnections < 1) {
      throw new ConfigException("`http.max_connections` must be at least 1, found `" + v.get("http.max_connections") + "`");
    }
    Duration requestTimeout = duration(v, "http.request_timeout");
    Duration deadline = duration(v, "authz.decision_deadline");
    if (requestTimeout.isZero() || requestTimeout.isNegative() || requestTimeout.compareTo(Duration.ofHours(1)) > 0) {
      throw new ConfigException("`http.request_timeout` must be longer than 0 and at most 1h, found `"
          + v.get("http.request_timeout") + "`");
    }
    if (deadline.isZero() || deadline.isNegative() || deadline.compareTo(Duration.ofMinutes(1)) > 0) {
      throw new ConfigException("`authz.decision_deadline` must be longer than 0 and at most 1m, found `"
          + v.get("authz.decision_deadline") + "`");
    }
    int heavy = integer(v, "authz.heavy_threads");
    if (heavy < 1 || heavy > 64) {
      throw new ConfigException("`authz.heavy_threads` must be 1 to 64, found `" + v.get("authz.heavy_threads") + "`");
    }
    int threads = integer(v, "grpc.executor_threads");
    int calls = integer(v, "grpc.max_concurrent_calls");
    if (threads < 0 || threads > 256 || calls < 1) {
      throw new ConfigException("`grpc.executor_threads` must be 0 (direct) to 256 and `grpc.max_concurrent_calls` at least 1");
    }
    int readBatch = integer(v, "grpc.read_batch_bytes");
    if (!ReadBatching.valid(readBatch)) {
      throw new ConfigException("`grpc.read_batch_bytes` must be " + ReadBatching.ACCEPTED + ", found `"
          + v.get("grpc.read_batch_bytes") + "`");
    }
    int socketMode = octalMode(v, "grpc.unix_socket_mode");
    Duration drain = duration(v, "shutdown.drain");
    if (drain.isNegative() || drain.compareTo(Duration.ofHours(1)) > 0) {
      throw new ConfigException("`shutdown.drain` must be from 0s to 1h, found `" + v.get("shutdown.drain") + "`");
    }
    Duration poll = within(v, "reload.poll_interval", Duration.ofMillis(50), Duration.ofHours(1), "50ms to 1h");
    Duration debounce = duration(v, "reload.debounce");
    if (debounce.isNegative() || debounce.compareTo(Duration.ofMinutes(1)) > 0) {
      throw new ConfigException("`reload.debounce` must be from 0s to 1m, found `" + v.get("reload.debounce") + "`");
    }
    Reload reload = new Reload(bool(v, "reload.watch"), poll, debounce, bool(v, "reload.test_gate"),
        list(v.get("reload.trusted_keys")), path(v.get("reload.persist_dir")), remote(v), staleness(v),
        staleAction(v));
    List<NamedBundle> fetched = new ArrayList<>(bundles);
    fetched.addAll(shadowBundles);
    for (NamedBundle b : fetched) {
      remoteAllowed(b.location(), reload);
    }
    credentialsScoped(fetched, reload);
    if (reload.remote().plainHttp() && fetched.stream().noneMatch(b -> b.location().startsWith("oci://"))) {
      throw new ConfigException("`reload.remote.plain_http` is for an `oci://` bundle; no bundle is one");
    }
    String jwtAuthn = v.get("identity.jwt_authn_metadata_key");
    String ops = v.get("http.ops_listen");
    DecisionLogSettings decisionLog = decisionLog(v);
    Telemetry telemetry = telemetry(v);

    Otlp decisionLogOtlp = otlp(v, "decision_log.otlp.endpoint", "decision_log.otlp.protocol",
        "decision_log.otlp.timeout", "decision_log.otlp.headers_file", "/v1/logs");
    Tracing tracing = tracing(v);

    return new ServerConfig(bundles, shadowBundles, v.get("grpc.listen"), socketMode, v.get("http.listen"),
        ops == null || ops.isBlank() ? null : ops.trim(), requestTimeout, maxConnections, threads, calls, readBatch,
        bool(v, "grpc.reflection"), cert, key,
        path(v.get("grpc.tls.client_ca")), jwt, jwtAuthn == null || jwtAuthn.isBlank() ? null : jwtAuthn.trim(),
        v.get("identity.api_key.header").toLowerCase(java.util.Locale.ROOT), v.get("identity.api_key.data"), failure,
        strip, bool(v, "authz.dynamic_metadata"), deadline, heavy, drain, duration(v, "shutdown.grace"), reload,
        decisionLog, telemetry, decisionLogOtlp, tracing, schemaPaths(v.get("schema.errors")), quota(v));
  }

  private static QuotaSettings quota(Map<String, String> v) throws ConfigException {
    String redis = v.get("quota.redis");
    if (redis != null && redis.isBlank()) {
      redis = null;
    }
    if (redis != null && !(redis.trim().startsWith("redis://") || redis.trim().startsWith("rediss://"))) {
      throw new ConfigException("`quota.redis` must be a `redis://` or `rediss://` URL, found `"
          + redactUrl(redis.trim()) + "`");
    }
    Duration timeout = within(v, "quota.redis_timeout", Duration.ofMillis(1), Duration.ofSeconds(10), "1ms to 10s");
    dev.warden.policy.runtime.RateLimitHeaders.Style style;
    try {
      style = dev.warden.policy.runtime.RateLimitHeaders.Style.parse(v.get("quota.headers").trim()
          .toLowerCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("`quota.headers`: " + e.getMessage());
    }
    int keys = integer(v, "quota.local.max_keys");
    if (keys < 1 || keys > 100_000_000) {
      throw new ConfigException("`quota.local.max_keys` must be 1 to 100000000, found `" + v.get("quota.local.max_keys")
          + "`");
    }
    String mode = v.get("quota.mode").trim().toLowerCase(java.util.Locale.ROOT);
    if (!List.of("enforce", "shadow", "off").contains(mode)) {
      throw new ConfigException("`quota.mode` must be `enforce`, `shadow` or `off`, found `" + v.get("quota.mode") + "`");
    }
    return new QuotaSettings(redis == null ? null : redis.trim(), bool(v, "quota.redis_cluster"), timeout,
        path(v.get("quota.redis_ca_file")), style, bool(v, "quota.headers_on_allow"), keys, mode);
  }

  /** A URL with any password replaced, to quote in a message. */
  private static String redactUrl(String url) {
    return url.replaceAll("(?<=//)[^/@]*@", "…@");
  }

  /** `schema.errors`: `paths` (a schema denial lists the offending fields) or `none` (the reason alone). */
  private static boolean schemaPaths(String value) throws ConfigException {
    String v = value == null ? "" : value.trim().toLowerCase(java.util.Locale.ROOT);
    return switch (v) {
      case "paths" -> true;
      case "none" -> false;
      default -> throw new ConfigException("`schema.errors` must be `paths` (a request refused by its schema is told"
          + " which fields are wrong, never their values) or `none` (the reason alone), found `" + value + "`");
    };
  }

  private static Telemetry telemetry(Map<String, String> v) throws ConfigException {
    String format = v.get("log.format") == null ? "" : v.get("log.format").trim().toLowerCase(java.util.Locale.ROOT);
    if (!Telemetry.LOG_FORMATS.contains(format)) {
      throw new ConfigException("`log.format` must be `text` (lines for people) or `json` (one JSON object per line),"
          + " found `" + v.get("log.format") + "`");
    }
    int maxRoutes;
    try {
      maxRoutes = Integer.parseInt(v.get("metrics.max_routes").trim());
    } catch (RuntimeException e) {
      maxRoutes = -1;
    }
    if (maxRoutes < 0 || maxRoutes > 10_000) {
      throw new ConfigException("`metrics.max_routes` must be a whole number from 0 to 10000 (routes past it are"
          + " labelled `other` in warden_route_decisions_total), found `" + v.get("metrics.max_routes") + "`");
    }
    return new Telemetry(format, maxRoutes);
  }

  /** The schemes `bundle` may name a remote source with; anything else is a path. */
  static final List<String> REMOTE_SCHEMES = List.of("http://", "https://", "oci://");

  /** Whether {@code location} names a remote source (an HTTP(S) URL, an OCI reference). */
  static boolean remote(String location) {
    String l = location.toLowerCase(java.util.Locale.ROOT);
    return REMOTE_SCHEMES.stream().anyMatch(l::startsWith);
  }

  /**
   * One bundle the sidecar serves: `bundle` is a list of `[NAME=]LOCATION`.
   *
   * @param name its name in `/status`, metrics (`bundle` label), logs and `reload.persist_dir`
   * @param location a path, an `http(s)://` URL or an `oci://` reference
   */
  public record NamedBundle(String name, String location) {
    /** The local path, or null when the location is remote. */
    public Path path() {
      return remote(location) ? null : Path.of(location);
    }
  }

  /** The most bundles one sidecar serves. */
  static final int MAX_BUNDLES = 16;
  private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

  /** The first bundle's location. */
  public String bundleLocation() {
    return bundles.get(0).location();
  }

  /** The first bundle's local path, or null when it is remote. */
  public Path bundle() {
    return bundles.get(0).path();
  }

  /** `NAME=LOCATION` read as such only when NAME is a valid name: `https://h/x?a=b` stays a location. */
  private static String[] nameAndLocation(String item) {
    int eq = item.indexOf('=');
    if (eq > 0 && NAME.matcher(item.substring(0, eq)).matches()) {
      return new String[] {item.substring(0, eq), item.substring(eq + 1).trim()};
    }
    return new String[] {null, item};
  }

  /** A name from the location: the last path segment or repository component, without `.tar.gz`. */
  static String defaultName(String location) {
    String l = shown(location);
    if (l.toLowerCase(java.util.Locale.ROOT).startsWith("oci://")) {
      l = l.replaceFirst("@sha256:.*$", "");
      int slash = l.lastIndexOf('/');
      int colon = l.lastIndexOf(':');
      if (colon > slash) {
        l = l.substring(0, colon);
      }
    }
    l = l.replaceAll("/+$", "");
    String last = l.substring(l.lastIndexOf('/') + 1).replaceFirst("(?i)\\.(tar\\.gz|tgz)$", "")
        .toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_-]+", "-").replaceAll("^[-_]+", "");
    if (last.length() > 63) {
      last = last.substring(0, 63);
    }
    return last.isEmpty() || last.equals(".") ? "bundle" : last;
  }

  /**
   * The items of a `bundle` value: one per line when it has several lines (a YAML list, repeated
   * `--bundle` flags), else comma-separated (`WARDEN_BUNDLE`, one flag).
   */
  static List<String> bundleItems(String value) {
    if (value.indexOf('\n') < 0) {
      return list(value);
    }
    List<String> out = new ArrayList<>();
    for (String line : value.split("\n")) {
      if (!line.isBlank()) {
        out.add(line.trim());
      }
    }
    return out;
  }

  /**
   * The shadow bundles (`shadow_bundle`, `--shadow-bundle`): candidates decided beside the bundles
   * and never enforced. Each is named after the bundle it shadows; with one bundle, any name
   * shadows it.
   */
  private static List<NamedBundle> shadowBundles(String value, List<NamedBundle> bundles) throws ConfigException {
    if (value == null || value.isBlank()) {
      return List.of();
    }
    List<NamedBundle> out = bundles("shadow_bundle", value);
    for (NamedBundle s : out) {
      if (bundles.size() > 1 && bundles.stream().noneMatch(b -> b.name().equals(s.name()))) {
        throw new ConfigException("shadow bundle `" + s.name() + "` shadows no bundle: with several bundles, name each"
            + " shadow bundle after the one it is a candidate for, as `NAME=LOCATION` (bundles: "
            + String.join(", ", bundles.stream().map(NamedBundle::name).toList()) + ")");
      }
    }
    return out;
  }

  private static List<NamedBundle> bundles(String key, String value) throws ConfigException {
    List<NamedBundle> out = new ArrayList<>();
    for (String item : bundleItems(value)) {
      String[] nl = nameAndLocation(item);
      if (nl[1].isEmpty()) {
        throw new ConfigException("`" + key + "` `" + item + "` names no location after `=`");
      }
      if (nl[1].matches("(?s)[A-Za-z][A-Za-z0-9+.-]*://.*") && !remote(nl[1])) {
        throw new ConfigException("`" + key + "` `" + shown(nl[1]) + "`: Warden fetches bundles from a path,"
            + " `https://`, `http://` (loopback) or `oci://`, not `" + nl[1].substring(0, nl[1].indexOf("://") + 3) + "`");
      }
      String name = nl[0] != null ? nl[0] : defaultName(nl[1]);
      if (out.stream().anyMatch(b -> b.name().equals(name))) {
        throw new ConfigException("`" + key + "`: two bundles are called `" + name + "`: name them, as `NAME=LOCATION`"
            + " (a name is lower-case letters, digits, `-` and `_`)");
      }
      out.add(new NamedBundle(name, nl[1]));
    }
    if (out.size() > MAX_BUNDLES) {
      throw new ConfigException("`" + key + "` lists " + out.size() + " bundles; at most " + MAX_BUNDLES);
    }
    return out;
  }

  private static Remote remote(Map<String, String> v) throws ConfigException {
    Duration interval = within(v, "reload.remote.interval", Duration.ofMillis(50), Duration.ofHours(24), "50ms to 24h");
    double jitter = fraction(v, "reload.remote.jitter", 0.5, " (0.2: each delay is drawn from 80% to 120% of it)");
    Duration backoff = within(v, "reload.remote.max_backoff", interval, Duration.ofHours(24),
        "`reload.remote.interval` to 24h");
    Duration timeout = within(v, "reload.remote.timeout", Duration.ofMillis(100), Duration.ofMinutes(10), "100ms to 10m");
    Path token = path(v.get("reload.remote.token_file"));
    Path basic = path(v.get("reload.remote.basic_auth_file"));
    if (token != null && basic != null) {
      throw new ConfigException("`reload.remote.token_file` and `reload.remote.basic_auth_file` exclude each other:"
          + " set the one the server expects");
    }
    return new Remote(interval, jitter, backoff, timeout, token, basic,
        bool(v, "reload.remote.plain_http"));
  }

  private static DecisionLogSettings decisionLog(Map<String, String> v) throws ConfigException {
    String path = v.get("decision_log.path");
    path = path == null || path.isBlank() ? null : path.trim();
    long maxBytes;
    try {
      maxBytes = Long.parseLong(v.get("decision_log.max_file_bytes").trim());
    } catch (RuntimeException e) {
      maxBytes = -1;
    }
    if (maxBytes < 1L << 16 || maxBytes > 1L << 40) {
      throw new ConfigException("`decision_log.max_file_bytes` must be a whole number of bytes from 65536 to 2^40,"
          + " found `" + v.get("decision_log.max_file_bytes") + "`");
    }
    int files = integer(v, "decision_log.max_files");
    if (files < 0 || files > 1000) {
      throw new ConfigException("`decision_log.max_files` must be from 0 to 1000, found `" + files + "`");
    }
    int buffer = integer(v, "decision_log.buffer");
    if (buffer < 16 || buffer > 1_000_000) {
      throw new ConfigException("`decision_log.buffer` must be from 16 to 1000000 records, found `" + buffer + "`");
    }
    double sample = fraction(v, "decision_log.sample_allows", 1,
        " (1: every allow is logged; denials and errors always are)");
    Duration age = duration(v, "decision_log.max_file_age");
    if (!age.isZero() && (age.compareTo(Duration.ofMinutes(1)) < 0 || age.compareTo(Duration.ofDays(31)) > 0)) {
      throw new ConfigException("`decision_log.max_file_age` must be 0s (rotate by size only) or from 1m to 31d,"
          + " found `" + v.get("decision_log.max_file_age") + "`");
    }
    HttpCollector http = collector(v);
    SpoolSettings spool = null;
    Path spoolDir = path(v.get("decision_log.spool.dir"));
    if (spoolDir != null) {
      if (http == null) {
        throw new ConfigException("`decision_log.spool.dir` keeps records for the HTTP collector, but"
            + " `decision_log.http.url` is not set: set it, or remove the spool");
      }
      long spoolBytes = bytes(v, "decision_log.spool.max_bytes", 1L << 20, 1L << 40, "1048576 (1 MiB) to 2^40");
      spool = new SpoolSettings(spoolDir, spoolBytes);
    }
    return new DecisionLogSettings(path, maxBytes, files, buffer, sample, age,
        path(v.get("decision_log.hash_key_file")), http, spool);
  }

  /** `decision_log.http.*`, or null when no URL is set. */
  private static HttpCollector collector(Map<String, String> v) throws ConfigException {
    String raw = v.get("decision_log.http.url");
    Path token = path(v.get("decision_log.http.token_file"));
    if (raw == null || raw.isBlank()) {
      if (token != null) {
        throw new ConfigException("`decision_log.http.token_file` is set but `decision_log.http.url` is not:"
            + " the token is for the collector");
      }
      return null;
    }
    URI url;
    try {
      url = new URI(raw.trim());
    } catch (java.net.URISyntaxException e) {
      throw new ConfigException("`decision_log.http.url` is not a URL: " + e.getReason() + " at character "
          + (e.getIndex() + 1));
    }
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http") || url.getHost() == null || url.getRawUserInfo() != null) {
      throw new ConfigException("`decision_log.http.url` `" + shown(raw.trim()) + "` must be"
          + " `https://HOST[:PORT]/PATH` (OPA's collectors take `/logs`)"
          + (url.getRawUserInfo() != null ? " without credentials in it: put a token in `decision_log.http.token_file`"
          : ""));
    }
    if (scheme.equals("http") && !loopback(raw.trim())) {
      throw new ConfigException("`decision_log.http.url` `" + shown(raw.trim()) + "` is plain HTTP: decision records"
          + (token != null ? " and the token" : "") + " would cross the network in the clear; use HTTPS (plain HTTP to"
          + " 127.0.0.1, ::1 or localhost is allowed, for a collector agent beside Warden)");
    }
    long batch = bytes(v, "decision_log.http.max_batch_bytes", 1024, 64L << 20, "1024 to 67108864 (64 MiB)");
    Duration timeout = within(v, "decision_log.http.timeout", Duration.ofMillis(100), Duration.ofMinutes(5),
        "100ms to 5m");
    String format = v.get("decision_log.http.format").trim();
    if (!format.equals("warden") && !format.equals("opa")) {
      throw new ConfigException("`decision_log.http.format` must be `warden` (Warden's records, as the file holds"
          + " them) or `opa` (OPA's decision log events, for a collector written for OPA), found `" + format + "`");
    }
    return new HttpCollector(url, batch, timeout, token, format.equals("opa"));
  }

  /** A whole number of bytes from {@code min} to {@code max}; {@code range} says so in the error. */
  private static long bytes(Map<String, String> v, String key, long min, long max, String range)
      throws ConfigException {
    long b;
    try {
      b = Long.parseLong(v.get(key).trim());
    } catch (RuntimeException e) {
      b = -1;
    }
    if (b < min || b > max) {
      throw new ConfigException("`" + key + "` must be a whole number of bytes from " + range + ", found `" + v.get(key)
          + "`");
    }
    return b;
  }

  private static Tracing tracing(Map<String, String> v) throws ConfigException {
    Otlp otlp = otlp(v, "tracing.otlp.endpoint", "tracing.protocol", "tracing.timeout", "tracing.headers_file",
        "/v1/traces");
    double ratio = fraction(v, "tracing.sample_ratio", 1,
        " (1: every call is traced; 0.1: one in ten, unless the caller's `traceparent` has decided)");
    String name = v.get("tracing.service_name") == null ? "" : v.get("tracing.service_name").trim();
    if (name.isEmpty() || name.length() > 255 || !name.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new ConfigException("`tracing.service_name` must be 1 to 255 printable ASCII characters without spaces,"
          + " found `" + v.get("tracing.service_name") + "`");
    }
    return new Tracing(otlp, ratio, name);
  }

  /**
   * An OTLP collector's settings, or null when {@code endpointKey} is unset. The records and the
   * credentials in the headers file go over HTTPS, or plain HTTP to loopback only, as for
   * `reload.remote.*`.
   */
  private static Otlp otlp(Map<String, String> v, String endpointKey, String protocolKey, String timeoutKey,
      String headersKey, String signalPath) throws ConfigException {
    String protocol = v.get(protocolKey) == null ? "" : v.get(protocolKey).trim().toLowerCase(java.util.Locale.ROOT);
    if (!protocol.equals("http/protobuf")) {
      throw new ConfigException("`" + protocolKey + "` must be `http/protobuf`, found `" + v.get(protocolKey) + "`"
          + (protocol.equals("grpc") ? ": Warden exports OTLP with the JDK's HTTP client, which does not speak gRPC;"
              + " collectors take OTLP over HTTP/protobuf on port 4318" : ""));
    }
    Duration timeout = within(v, timeoutKey, Duration.ofMillis(100), Duration.ofMinutes(1), "100ms to 1m");
    String endpoint = v.get(endpointKey) == null ? "" : v.get(endpointKey).trim();
    if (endpoint.isEmpty()) {
      return null;
    }
    URI url;
    try {
      url = new URI(endpoint);
    } catch (java.net.URISyntaxException e) {
      throw new ConfigException("`" + endpointKey + "` is not a URL: " + e.getReason() + " at character "
          + (e.getIndex() + 1));
    }
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http") || url.getHost() == null || url.getRawUserInfo() != null
        || url.getRawQuery() != null || url.getRawFragment() != null) {
      throw new ConfigException("`" + endpointKey + "` `" + shown(endpoint) + "` must be `https://HOST[:PORT][/PATH]`"
          + (url.getRawUserInfo() != null || url.getRawQuery() != null
              ? ", without credentials in it: put them in `" + headersKey + "`" : ""));
    }
    if (scheme.equals("http") && !loopback(endpoint)) {
      throw new ConfigException("`" + endpointKey + "` `" + endpoint + "` is plain HTTP, where anyone on the path"
          + " reads what is sent and the credentials with it: use HTTPS (plain HTTP to 127.0.0.1, ::1 or localhost"
          + " is allowed)");
    }
    String path = url.getRawPath();
    String full = path == null || path.isEmpty() || path.equals("/")
        ? endpoint.replaceAll("/+$", "") + signalPath : endpoint;
    return new Otlp(full, timeout, path(v.get(headersKey)));
  }

  /** A duration from {@code min} to {@code max}; {@code range} says so in the error. */
  private static Duration within(Map<String, String> v, String key, Duration min, Duration max, String range)
      throws ConfigException {
    Duration d = duration(v, key);
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw new ConfigException("`" + key + "` must be from " + range + ", found `" + v.get(key) + "`");
    }
    return d;
  }

  /** A fraction from 0 to {@code max}; {@code example} follows the range in the error. */
  private static double fraction(Map<String, String> v, String key, double max, String example)
      throws ConfigException {
    double f;
    try {
      f = Double.parseDouble(v.get(key).trim());
    } catch (RuntimeException e) {
      f = -1;
    }
    if (!(f >= 0 && f <= max)) {
      throw new ConfigException("`" + key + "` must be a fraction from 0 to " + (max == 1 ? "1" : Double.toString(max))
          + example + ", found `" + v.get(key) + "`");
    }
    return f;
  }

  /** A bundle location as messages and logs show it: without a query or fragment, which may hold a credential. */
  public static String shown(String location) {
    return location.replaceFirst("[?#].*$", "");
  }

  private static Duration staleness(Map<String, String> v) throws ConfigException {
    Duration d = duration(v, "reload.max_staleness");
    if (d.isNegative() || d.compareTo(Duration.ofDays(30)) > 0 || !d.isZero() && d.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new ConfigException("`reload.max_staleness` must be 0s (off) or from 1s to 30 days, found `"
          + v.get("reload.max_staleness") + "`");
    }
    return d;
  }

  private static String staleAction(Map<String, String> v) throws ConfigException {
    String a = v.get("reload.stale_action").trim().toLowerCase(java.util.Locale.ROOT);
    if (!a.equals("not_ready") && !a.equals("deny")) {
      throw new ConfigException("`reload.stale_action` must be `not_ready` or `deny`, found `"
          + v.get("reload.stale_action") + "`");
    }
    return a;
  }

  /**
   * A bundle over plain HTTP (an `http://` URL, an OCI registry with `reload.remote.plain_http`)
   * can be changed by anyone on the path: allowed only to a loopback host, or when
   * `reload.trusted_keys` make every bundle prove where it comes from.
   */
  private static void remoteAllowed(String bundle, Reload reload) throws ConfigException {
    if (!remote(bundle)) {
      return;
    }
    boolean http = bundle.toLowerCase(java.util.Locale.ROOT).startsWith("http://");
    boolean oci = bundle.toLowerCase(java.util.Locale.ROOT).startsWith("oci://");
    if (oci) {
      try {
        dev.warden.server.oci.OciReference.parse(bundle);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("`bundle`: " + e.getMessage());
      }
    } else {
      URI url;
      try {
        url = new URI(bundle);
      } catch (java.net.URISyntaxException e) {
        throw new ConfigException("`bundle` is not a URL: " + e.getReason() + " at character " + (e.getIndex() + 1));
      }
      if (url.getHost() == null || url.getRawUserInfo() != null) {
        throw new ConfigException("`bundle` `" + dev.warden.server.source.HttpSource.shown(url) + "` must be `http(s)://HOST[:PORT]/PATH`"
            + (url.getRawUserInfo() != null ? " without credentials in it: put a token in `reload.remote.token_file`" : ""));
      }
    }
    if ((http || oci && reload.remote().plainHttp()) && reload.trustedKeys().isEmpty() && !loopback(bundle)) {
      throw new ConfigException("`bundle` `" + shown(bundle) + "` is fetched over plain HTTP,"
          + " where anyone on the path can change it: use HTTPS, or set `reload.trusted_keys` so that only signed"
          + " bundles activate (plain HTTP to 127.0.0.1, ::1 or localhost is allowed)");
    }
  }

  /**
   * `reload.remote.token_file` and `basic_auth_file` are one set of credentials: they may go to
   * one origin only, and never in the clear but to loopback. A token meant for one registry sent
   * to another team's bundle server, or over plain HTTP, is a token given away.
   */
  private static void credentialsScoped(List<NamedBundle> bundles, Reload reload) throws ConfigException {
    Remote r = reload.remote();
    if (r.tokenFile() == null && r.basicAuthFile() == null) {
      return;
    }
    String key = r.tokenFile() != null ? "reload.remote.token_file" : "reload.remote.basic_auth_file";
    java.util.Set<String> origins = new java.util.TreeSet<>();
    for (NamedBundle b : bundles) {
      String l = b.location();
      if (!remote(l)) {
        continue;
      }
      boolean oci = l.toLowerCase(java.util.Locale.ROOT).startsWith("oci://");
      boolean plain = l.toLowerCase(java.util.Locale.ROOT).startsWith("http://") || oci && r.plainHttp();
      if (plain && !loopback(l)) {
        throw new ConfigException("`" + key + "` would be sent in the clear to `" + shown(l)
            + "`: use HTTPS for a bundle source that needs credentials");
      }
      String rest = l.substring(l.indexOf("://") + 3);
      origins.add(rest.split("[/?#]", 2)[0].toLowerCase(java.util.Locale.ROOT));
    }
    if (origins.size() > 1) {
      throw new ConfigException("`" + key + "` is one credential, but the remote bundles are on " + origins.size()
          + " hosts (" + String.join(", ", origins) + "): it would be sent to each; serve bundles that need"
          + " credentials from one host");
    }
  }

  private static boolean loopback(String url) {
    String rest = url.substring(url.indexOf("://") + 3);
    String host = rest.startsWith("[") ? rest.substring(0, Math.max(rest.indexOf(']') + 1, 1))
        : rest.split("[:/?#]", 2)[0];
    return host.equals("127.0.0.1") || host.equals("[::1]") || host.equalsIgnoreCase("localhost");
  }

  private static int integer(Map<String, String> v, String key) throws ConfigException {
    try {
      return Integer.parseInt(v.get(key).trim());
    } catch (RuntimeException e) {
      throw new ConfigException("`" + key + "` must be a whole number, found `" + v.get(key) + "`");
    }
  }

  /** A file mode of permission bits only, as `chmod` writes it: `660`, `0660`, `0600`. */
  private static int octalMode(Map<String, String> v, String key) throws ConfigException {
    String s = v.get(key) == null ? "" : v.get(key).trim();
    if (!s.matches("0?[0-7]{3}")) {
      throw new ConfigException("`" + key + "` must be an octal file mode such as `0660` (read and write for Warden's"
          + " user and group), found `" + v.get(key) + "`");
    }
    return Integer.parseInt(s, 8);
  }

  private static boolean bool(Map<String, String> v, String key) throws ConfigException {
    String value = v.get(key) == null ? "" : v.get(key).trim().toLowerCase(java.util.Locale.ROOT);
    return switch (value) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new ConfigException("`" + key + "` must be true or false, found `" + v.get(key) + "`");
    };
  }

  private static Duration duration(Map<String, String> v, String key) throws ConfigException {
    String s = v.get(key);
    try {
      String t = s.trim().toLowerCase(java.util.Locale.ROOT);
      return t.endsWith("ms") ? Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)))
          : Duration.parse("PT" + t.toUpperCase(java.util.Locale.ROOT));
    } catch (RuntimeException e) {
      throw new ConfigException("`" + key + "` must be a duration such as `250ms`, `30s` or `5m`, found `" + s + "`");
    }
  }

  private static Path path(String s) {
    return s == null || s.isBlank() ? null : Path.of(s);
  }

  private static List<String> list(String s) {
    List<String> out = new ArrayList<>();
    if (s != null) {
      for (String part : s.split(",")) {
        if (!part.isBlank()) {
          out.add(part.trim());
        }
      }
    }
    return out;
  }
}
