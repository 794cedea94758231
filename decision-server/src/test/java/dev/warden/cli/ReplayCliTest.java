package dev.warden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.warden.proto.v1.DecideRequest;
import dev.warden.proto.v1.DecisionsGrpc;
import dev.warden.proto.v1.HttpTarget;
import dev.warden.server.ServerConfig;
import dev.warden.server.Structs;
import dev.warden.server.WardenServer;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `warden replay` on a crafted log: Checks decided by a real sidecar serving the example bundle
 * over loopback with `decision_log.path`, so every record is one the server wrote. Replayed
 * against the same bundle nothing changes; against a copy with a rule tightened and renamed, a
 * role's grant removed and a route retired, exactly the records those touch change, grouped by
 * the rule that changed them.
 */
class ReplayCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ALICES = "7f0c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e01";
  private static final String HEALTH = "spiffe://shop.local/ns/web/sa/health";

  @TempDir static Path dir;
  static Path log;
  static Path candidate;
  /** The decision id each named call was answered with. */
  static final Map<String, String> ids = new LinkedHashMap<>();

  private static Map<String, Object> user(String sub, String role, String tenant) {
    return Map.of("sub", sub, "roles", List.of(role), "tenant", tenant);
  }

  /** Envoy's Check; claims as jwt_authn's verified payload (null: none), and the mTLS peer. */
  private static CheckRequest check(String method, String path, Map<String, ?> claims, Map<String, String> headers,
      String peer) {
    AttributeContext.Builder attrs = AttributeContext.newBuilder().setRequest(AttributeContext.Request.newBuilder()
        .setHttp(AttributeContext.HttpRequest.newBuilder().setMethod(method).setPath(path).setHost("shop.example")
            .setScheme("https").putAllHeaders(headers)))
        .setSource(AttributeContext.Peer.newBuilder().setPrincipal(peer == null ? "" : peer).setAddress(
            Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress("10.1.2.3").setPortValue(4711))));
    if (claims != null) {
      attrs.setMetadataContext(Metadata.newBuilder().putFilterMetadata("envoy.filters.http.jwt_authn",
          Struct.newBuilder().putFields("jwt_payload", Value.newBuilder().setStructValue(Structs.of(claims)).build())
              .build()));
    }
    return CheckRequest.newBuilder().setAttributes(attrs).build();
  }

  @BeforeAll
  static void decideAndLog() throws Exception {
    Path bundle = CliTest.EXAMPLE.toAbsolutePath().normalize();
    log = dir.resolve("logs").resolve("decisions.log");
    Map<String, String> flags = new HashMap<>();
    flags.put("bundle", "shop=" + bundle);
    flags.put("grpc.listen", "127.0.0.1:0");
    flags.put("http.listen", "127.0.0.1:0");
    flags.put("shutdown.grace", "2s");
    flags.put("reload.watch", "false");
    flags.put("identity.jwt_authn_metadata_key", "jwt_payload");
    flags.put("decision_log.path", log.toString());
    Map<String, CheckRequest> calls = new LinkedHashMap<>();
    calls.put("owner reads", check("GET", "/orders/" + ALICES, user("alice", "customer", "acme"), Map.of(), null));
    calls.put("stranger reads", check("GET", "/orders/" + ALICES, user("mallory", "customer", "acme"), Map.of(), null));
    calls.put("support reads", check("GET", "/orders/" + ALICES, user("sam", "support", "acme"), Map.of(), null));
    calls.put("me", check("GET", "/customers/me", user("alice", "customer", "acme"), Map.of(), null));
    calls.put("audit", check("GET", "/admin/audit/2026-11-01", null, Map.of("x-api-key", "demo-reporting-key"), null));
    calls.put("health", check("GET", "/orders?page=2&token=s3cr3t", null, Map.of(), HEALTH));
    calls.put("asset", check("GET", "/static/app.js", null, Map.of("authorization", "Basic YWxpY2U6cHc="), null));
    calls.put("nowhere", check("GET", "/nowhere", user("alice", "customer", "acme"), Map.of(), null));
    calls.put("bad key", check("GET", "/admin/audit/2026-11-01", null, Map.of("x-api-key", "no-such-key"), null));
    calls.put("bad header", check("GET", "/orders", null, Map.of("bad header", "x"), null));
    WardenServer server = new WardenServer(ServerConfig.load(null, Map.of(), flags), Clock.systemUTC());
    ManagedChannel channel = null;
    try {
      server.start();
      channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
      AuthorizationGrpc.AuthorizationBlockingStub stub = AuthorizationGrpc.newBlockingStub(channel);
      for (Map.Entry<String, CheckRequest> c : calls.entrySet()) {
        CheckResponse r = stub.withDeadlineAfter(10, TimeUnit.SECONDS).check(c.getValue());
        ids.put(c.getKey(), decisionId(r));
      }
      // The decide API's record of an HTTP target replays as the Check it describes.
      ids.put("decide", DecisionsGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).decide(
          DecideRequest.newBuilder().setClaims(Structs.of(user("alice", "customer", "acme")))
              .setHttp(HttpTarget.newBuilder().setMethod("GET").setPath("/orders/" + ALICES)).build()).getDecisionId());
    } finally {
      if (channel != null) {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      server.close();
    }
    assertThat(Files.readAllLines(log)).hasSize(calls.size() + 1);
    candidate = tightened(dir.resolve("candidate"), bundle);
  }

  private static String decisionId(CheckResponse r) {
    List<io.envoyproxy.envoy.config.core.v3.HeaderValueOption> headers = r.hasOkResponse()
        ? r.getOkResponse().getResponseHeadersToAddList() : r.getDeniedResponse().getHeadersList();
    String id = r.getDynamicMetadata().getFieldsOrDefault("decision_id", Value.getDefaultInstance()).getStringValue();
    if (id.isEmpty()) {
      id = headers.stream().filter(h -> h.getHeader().getKey().equals("x-warden-decision-id")).findFirst()
          .map(h -> h.getHeader().getValue()).orElse("");
    }
    assertThat(id).as("decision id of %s", r).isNotEmpty();
    return id;
  }

  /**
   * The example bundle with `owner-only` renamed `owners-only` and support no longer excepted,
   * customers no longer granted `customers.me`, the audit route retired, and a forbid on assets
   * that reads the `authorization` header. Without the bundle's tests, which name the old rule.
   */
  static Path tightened(Path to, Path from) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else if (!f.getFileName().toString().endsWith("_test.warden")) {
          Files.copy(f, target);
        }
      }
    }
    edit(to.resolve("orders.warden"), "forbid \"owner-only\" read, cancel\n  unless principal.id == data.orders[orderId].owner\n      or principal is support\n",
        "forbid \"owners-only\" read, cancel\n  unless principal.id == data.orders[orderId].owner\n");
    edit(to.resolve("roles.warden"), "  allow customers.me\n", "");
    edit(to.resolve("admin.warden"), "route audit        GET    /admin/audit/{day}\n",
        "route audit        GET    /admin/audit/{day}  retired 2026-01-01\n");
    edit(to.resolve("storefront.warden"), "permit assets\n",
        "permit assets\n\nforbid assets when request.headers[\"authorization\"] == \"Basic b3BlbnNlc2FtZQ==\"\n");
    return to;
  }

  private static void edit(Path file, String from, String to) throws IOException {
    String text = Files.readString(file);
    assertThat(text).as(file.toString()).contains(from);
    Files.writeString(file, text.replace(from, to));
  }

  private static JsonNode json(CliTest.Run r) throws IOException {
    assertThat(r.err()).isEmpty();
    return JSON.readTree(r.out());
  }

  @Test
  void theSameBundleChangesNothing() throws Exception {
    CliTest.Run r = CliTest.run("replay", log.toString(), "--bundle", CliTest.EXAMPLE.toString(), "--format", "json",
        "--fail-on-change");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    JsonNode report = json(r);
    assertThat(report.path("records").asLong()).isEqualTo(11);
    assertThat(report.path("replayed").asLong()).isEqualTo(9);
    assertThat(report.path("changed").asLong()).isZero();
    assertThat(report.path("rulesChanged").asLong()).isZero();
    assertThat(report.path("skipped").asLong()).isEqualTo(2);
    assertThat(report.path("skippedByCause").toString()).isEqualTo("{\"bad_credentials\":1,\"bad_request\":1}");
    assertThat(report.path("badLines").asLong()).isZero();
    assertThat(report.path("changes")).isEmpty();
    CliTest.Run text = CliTest.run("replay", log.toString(), "--bundle", CliTest.EXAMPLE.toString());
    assertThat(text.exit()).isZero();
    assertThat(text.out()).contains("11 records, 9 replayed, 0 changed, 0 rules changed, 2 skipped")
        .contains("skipped: bad_credentials 1, bad_request 1").doesNotContain("changed decisions:");
  }

  @Test
  void aTightenedBundleChangesExactlyTheRecordsItTouchesGroupedByRule() throws Exception {
    CliTest.Run r = CliTest.run("replay", log.toString(), "--bundle", candidate.toString(), "--format", "json");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    JsonNode report = json(r);
    assertThat(report.path("replayed").asLong()).isEqualTo(9);
    assertThat(report.path("changed").asLong()).isEqualTo(3);
    assertThat(report.path("rulesChanged").asLong()).isEqualTo(1);
    Map<String, JsonNode> groups = new LinkedHashMap<>();
    report.path("changes").forEach(g -> groups.put(g.path("rule").asText(), g));
    assertThat(groups).hasSize(3);
    List<String> changedIds = new ArrayList<>();
    groups.values().forEach(g -> {
      assertThat(g.path("count").asLong()).isEqualTo(1);
      g.path("examples").forEach(e -> changedIds.add(e.path("decisionId").asText()));
    });
    assertThat(changedIds).containsExactlyInAnyOrder(ids.get("support reads"), ids.get("me"), ids.get("audit"));
    // Tightened: the candidate's forbid changed it.
    JsonNode support = groups.get("orders.owners-only").path("examples").get(0);
    assertThat(support.path("decisionId").asText()).isEqualTo(ids.get("support reads"));
    assertThat(support.path("principal").asText()).isEqualTo("sam");
    assertThat(support.path("method").asText()).isEqualTo("GET");
    assertThat(support.path("path").asText()).isEqualTo("/orders/" + ALICES);
    assertThat(support.path("before").path("outcome").asText()).isEqualTo("allow");
    assertThat(support.path("after").path("outcome").asText()).isEqualTo("forbid");
    assertThat(support.path("after").path("status").asInt()).isEqualTo(403);
    assertThat(groups.get("orders.owners-only").path("location").asText()).startsWith("orders.warden:");
    // A grant removed: the candidate decides by default deny, so the recorded grant names the group.
    JsonNode me = groups.values().stream().filter(g -> g.path("examples").get(0).path("decisionId").asText()
        .equals(ids.get("me"))).findFirst().orElseThrow();
    assertThat(me.path("rule").asText()).startsWith("role.customer");
    assertThat(me.path("examples").get(0).path("after").path("outcome").asText()).isEqualTo("default_deny");
    // A route retired.
    JsonNode audit = groups.values().stream().filter(g -> g.path("examples").get(0).path("decisionId").asText()
        .equals(ids.get("audit"))).findFirst().orElseThrow();
    assertThat(audit.path("examples").get(0).path("principal").asText()).isEqualTo("reporting");
    assertThat(audit.path("examples").get(0).path("after").path("outcome").asText()).isEqualTo("retired");
    // Same answer, another rule: the renamed forbid.
    assertThat(report.path("ruleChanges")).hasSize(1);
    JsonNode renamed = report.path("ruleChanges").get(0);
    assertThat(renamed.path("rule").asText()).isEqualTo("orders.owners-only");
    assertThat(renamed.path("examples").get(0).path("decisionId").asText()).isEqualTo(ids.get("stranger reads"));
    assertThat(renamed.path("examples").get(0).path("before").path("rules").toString())
        .isEqualTo("[\"orders.owner-only\"]");
    // The asset request's authorization header was masked, and the candidate's assets rule reads it.
    assertThat(report.path("maskedInputs").asLong()).isEqualTo(1);

    CliTest.Run text = CliTest.run("replay", log.toString(), "--bundle", candidate.toString(), "--fail-on-change");
    assertThat(text.exit()).isEqualTo(ReplayCommand.CHANGED);
    assertThat(text.out()).contains("11 records, 9 replayed, 3 changed, 1 rules changed, 2 skipped")
        .contains("changed decisions:")
        .contains("  orders.owners-only at orders.warden:")
        .contains(ids.get("support reads") + " GET /orders/" + ALICES + " sam: allow 200")
        .contains("→ forbid 403 (orders.owners-only)")
        .contains("rules changed, same answer:")
        .contains("1 replayed record(s) had masked inputs");
  }

  @Test
  void maskedInputsARuleReadsAreFlaggedOnTheChange() throws Exception {
    // A candidate whose assets forbid fires on the masked value itself: the change is flagged.
    Path strict = tightened(dir.resolve("strict"), CliTest.EXAMPLE.toAbsolutePath().normalize());
    edit(strict.resolve("storefront.warden"), "== \"Basic b3BlbnNlc2FtZQ==\"", "== \"[masked]\"");
    JsonNode report = json(CliTest.run("replay", log.toString(), "--bundle", strict.toString(), "--format", "json"));
    JsonNode asset = null;
    for (JsonNode g : report.path("changes")) {
      for (JsonNode e : g.path("examples")) {
        if (e.path("decisionId").asText().equals(ids.get("asset"))) {
          asset = e;
        }
      }
    }
    assertThat(asset).as(report.toPrettyString()).isNotNull();
    assertThat(asset.path("maskedInputs").toString()).isEqualTo("[\"request.headers.authorization\"]");
  }

  @Test
  void badLinesAreCountedWithTheirNumbersAndOldRecordsWithoutClaimsSkipped(@TempDir Path tmp) throws Exception {
    List<String> lines = new ArrayList<>(Files.readAllLines(log));
    ObjectNode first = (ObjectNode) JSON.readTree(lines.get(0));
    ((ObjectNode) first.path("principal")).remove("claims");
    lines.add(first.toString());
    lines.add("not json at all");
    lines.add("{\"foo\": 1}");
    lines.add("{\"version\": 2, \"decisionId\": \"d-9\"}");
    lines.add("[1, 2]");
    lines.add("x".repeat(DecisionLogLines.MAX_LINE_CHARS + 1));
    lines.add("");
    Path mixed = tmp.resolve("mixed.log");
    Files.write(mixed, lines);
    CliTest.Run r = CliTest.run("replay", mixed.toString(), "--bundle", CliTest.EXAMPLE.toString(), "--format",
        "json");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode report = json(r);
    assertThat(report.path("records").asLong()).isEqualTo(12);
    assertThat(report.path("replayed").asLong()).isEqualTo(9);
    assertThat(report.path("skippedByCause").path("no_claims").asLong()).isEqualTo(1);
    // Blank lines are no records and no errors.
    assertThat(report.path("badLines").asLong()).isEqualTo(5);
    List<String> bad = new ArrayList<>();
    report.path("badLinesShown").forEach(b -> bad.add(b.path("line").asLong() + " " + b.path("error").asText()));
    assertThat(bad).containsExactly("13 not a JSON object",
        "14 not a decision record: it has no `version` or no `decisionId`",
        "15 record version 2 is newer than this warden reads (1); replay it with a newer warden",
        "16 not a JSON object",
        "17 longer than " + DecisionLogLines.MAX_LINE_CHARS + " characters: not a decision record");

    Path junk = tmp.resolve("junk.log");
    Files.writeString(junk, "not json\n{\"foo\": 1}\n");
    CliTest.Run none = CliTest.run("replay", junk.toString(), "--bundle", CliTest.EXAMPLE.toString());
    assertThat(none.exit()).isEqualTo(ReplayCommand.LOG_UNREADABLE);
    assertThat(none.err()).contains(junk + ":1: not a JSON object").contains("no decision record could be read");
    CliTest.Run missing = CliTest.run("replay", tmp.resolve("absent.log").toString(), "--bundle",
        CliTest.EXAMPLE.toString());
    assertThat(missing.exit()).isEqualTo(ReplayCommand.LOG_UNREADABLE);
    assertThat(missing.err()).contains("no such file or folder");
  }

  @Test
  void rotatedAndGzippedFilesInAFolderReadAsOneLog(@TempDir Path tmp) throws Exception {
    List<String> lines = Files.readAllLines(log);
    Path folder = tmp.resolve("rotated");
    Files.createDirectories(folder);
    // Oldest first: decisions.log.2 (gzip, named without .gz), decisions.log.1.gz, decisions.log.
    gzip(folder.resolve("decisions.log.2"), lines.subList(0, 3));
    gzip(folder.resolve("decisions.log.1.gz"), lines.subList(3, 6));
    Files.write(folder.resolve("decisions.log"), lines.subList(6, lines.size()));
    JsonNode report = json(CliTest.run("replay", folder.toString(), "--bundle", candidate.toString(), "--format",
        "json"));
    assertThat(report.path("records").asLong()).isEqualTo(11);
    assertThat(report.path("changed").asLong()).isEqualTo(3);
    assertThat(report.path("badLines").asLong()).isZero();
    // The same files named one by one, and a gzip file on standard input, read alike.
    JsonNode named = json(CliTest.run("replay", folder.resolve("decisions.log.2").toString(),
        folder.resolve("decisions.log.1.gz").toString(), folder.resolve("decisions.log").toString(), "--bundle",
        candidate.toString(), "--format", "json"));
    assertThat(named.path("changes")).isEqualTo(report.path("changes"));
    java.io.InputStream oldIn = System.in;
    try {
      Path all = tmp.resolve("all.gz");
      gzip(all, lines);
      System.setIn(Files.newInputStream(all));
      JsonNode piped = json(CliTest.run("replay", "-", "--bundle", candidate.toString(), "--format", "json"));
      assertThat(piped.path("changes")).isEqualTo(report.path("changes"));
    } finally {
      System.setIn(oldIn);
    }
  }

  @Test
  void aFolderIsReadOldestFirstAndACutGzipFileIsReportedWhileTheRestIsReplayed(@TempDir Path tmp) throws Exception {
    for (String name : List.of("decisions.log", "decisions.log.1", "decisions.log.10", "decisions.log.2.gz",
        "other.log")) {
      Files.writeString(tmp.resolve(name), "");
    }
    assertThat(DecisionLogLines.expand(List.of(tmp.toString())).stream().map(f -> Path.of(f).getFileName().toString()))
        .containsExactly("decisions.log.10", "decisions.log.2.gz", "decisions.log.1", "decisions.log");

    List<String> lines = Files.readAllLines(log);
    Path whole = tmp.resolve("whole.gz");
    gzip(whole, lines);
    byte[] bytes = Files.readAllBytes(whole);
    Path cut = tmp.resolve("cut.gz");
    Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    CliTest.Run r = CliTest.run("replay", cut.toString(), log.toString(), "--bundle", candidate.toString(), "--format",
        "json");
    assertThat(r.exit()).isZero();
    assertThat(r.err()).startsWith("warning: cannot read `" + cut + "`");
    JsonNode report = JSON.readTree(r.out());
    assertThat(report.path("unreadable")).hasSize(1);
    // Whatever the cut file held before its cut was read, and the whole log after it.
    assertThat(report.path("records").asLong()).isGreaterThanOrEqualTo(11).isLessThan(22);
    assertThat(report.path("changed").asLong()).isGreaterThanOrEqualTo(3);
  }

  @Test
  void examplesAreBoundedAndBadLinesListedUpToTwenty(@TempDir Path tmp) throws Exception {
    JsonNode none = json(CliTest.run("replay", log.toString(), "--bundle", candidate.toString(), "--format", "json",
        "--examples", "0"));
    assertThat(none.path("changed").asLong()).isEqualTo(3);
    none.path("changes").forEach(g -> assertThat(g.path("examples")).isEmpty());
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      lines.add("junk " + i);
    }
    Path junk = tmp.resolve("junk.log");
    Files.write(junk, lines);
    CliTest.Run r = CliTest.run("replay", junk.toString(), "--bundle", CliTest.EXAMPLE.toString());
    assertThat(r.exit()).isEqualTo(ReplayCommand.LOG_UNREADABLE);
    assertThat(r.err().lines().filter(l -> l.endsWith("not a JSON object")).count())
        .isEqualTo(ReplayReport.BAD_LINES_SHOWN);
  }

  private static void gzip(Path file, List<String> lines) throws IOException {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      for (String l : lines) {
        out.write((l + "\n").getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void badOptionsAreUsageErrors() {
    CliTest.Run r = CliTest.run("replay", log.toString(), "--bundle", CliTest.EXAMPLE.toString(), "--format", "xml");
    assertThat(r.exit()).isEqualTo(WardenCli.USAGE);
    CliTest.Run s = CliTest.run("replay", log.toString(), "--bundle", CliTest.EXAMPLE.toString(), "--failure-status",
        "418");
    assertThat(s.exit()).isEqualTo(WardenCli.USAGE);
    assertThat(s.err()).contains("--failure-status must be 403, 500 or 503");
  }
}
