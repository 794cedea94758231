package dev.warden.server.decisionlog;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import dev.warden.bundle.BundleReader;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.RuleRef;
import dev.warden.proto.v1.DecisionLog;
import dev.warden.proto.v1.LoggedBundle;
import dev.warden.server.ActiveBundle;
import dev.warden.server.Structs;
import dev.warden.server.admin.ServerMetrics;
import dev.warden.server.authz.Authorizer;
import dev.warden.server.authz.DecideRequestMapper;
import dev.warden.server.authz.DecisionIds;
import dev.warden.server.authz.DecisionRecord;
import dev.warden.server.authz.Deciding;
import dev.warden.server.authz.RequestMapper;
import dev.warden.server.identity.IdentityResolver;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Offline and online decide alike: any Check the sidecar decides by policy, logged as its JSON
 * line and read back, is decided again by {@link Replayer} with the same answer and the same
 * rules. The Checks are random callers (claims through jwt_authn metadata, an API key, an mTLS
 * peer, nobody) asking the example bundle's routes, with queries, headers that masking changes
 * and some that it does not.
 */
class ReplayerTest {
  private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
  private static Program shop;
  private static Authorizer live;
  private static Replayer replay;
  private static RecordEncoder encoder;

  @BeforeContainer
  static void start() throws Exception {
    shop = BundleCompiler.standard().compile(BundleReader.read(Path.of("..", "policies", "shop"))).programOrThrow();
    ActiveBundle active = new ActiveBundle();
    active.activate(shop, "shop", NOW);
    Clock clock = Clock.systemUTC();
    live = new Authorizer(active, new RequestMapper(clock, "jwt_payload"), new DecideRequestMapper(clock),
        new IdentityResolver(null, "x-api-key", "api_keys"), new DecisionIds(),
        new Deciding(null, TimeUnit.SECONDS.toNanos(10), new ServerMetrics()), 503);
    replay = new Replayer(shop, "shop", 503);
    encoder = new RecordEncoder(Masking.defaults("x-api-key", ValueHasher.random()),
        revision -> new RecordEncoder.KnownBundle(LoggedBundle.newBuilder().setName("shop").setRevision(revision).build(),
            PolicyRedactions.of(shop.logRedactions())), NOW, System.nanoTime());
  }

  @Provide
  Arbitrary<CheckRequest> checks() {
    Arbitrary<String> method = Arbitraries.of("GET", "POST", "PUT", "DELETE");
    Arbitrary<String> path = Arbitraries.of("/orders", "/orders/7f0c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e01",
        "/orders/0b1c2d3e-4f50-4617-8899-aabbccddeeff/cancel", "/orders/9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a/refund",
        "/orders/42", "/v1/orders/7", "/customers/me", "/customers/alice", "/customers/carol", "/admin/users",
        "/admin/users/bob", "/admin/audit/2026-11-01", "/static/app.js", "/static/..;/admin/users", "/nowhere");
    Arbitrary<String> query = Arbitraries.of("", "?page=2", "?token=s3cr3t&page=1", "?a=1&b=x%20y");
    Arbitrary<Map<String, Object>> claims = Combinators.combine(
        Arbitraries.of("alice", "bob", "carol", "mallory", "sam", "root"),
        Arbitraries.subsetOf("customer", "support", "admin", "auditor", "billing_service"),
        Arbitraries.of("acme", "globex", "trial"),
        Arbitraries.doubles().between(0, 1).ofScale(2),
        Arbitraries.subsetOf("pwd", "otp", "mfa")).as((sub, roles, tenant, risk, amr) -> {
          Map<String, Object> c = new LinkedHashMap<>();
          c.put("sub", sub);
          c.put("roles", List.copyOf(roles));
          c.put("tenant", tenant);
          c.put("risk", risk);
          c.put("amr", List.copyOf(amr));
          return c;
        });
    Arbitrary<Integer> caller = Arbitraries.integers().between(0, 3);
    Arbitrary<String> peer = Arbitraries.of("", "spiffe://shop.local/ns/web/sa/health",
        "spiffe://shop.local/ns/office/sa/admin-gateway");
    return Combinators.combine(method, path, query, claims, caller, peer).as((m, p, q, c, who, spiffe) -> {
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("accept", "application/json");
      headers.put("cookie", "session=abc");
      if (who == 1) {
        headers.put("x-api-key", "demo-reporting-key");
      }
      AttributeContext.Builder attrs = AttributeContext.newBuilder()
          .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
              .setMethod(m).setPath(p + q).setHost("shop.example").setScheme("https").putAllHeaders(headers)))
          .setSource(AttributeContext.Peer.newBuilder().setPrincipal(spiffe).setAddress(Address.newBuilder()
              .setSocketAddress(SocketAddress.newBuilder().setAddress("10.0.0.7").setPortValue(5000))));
      if (who == 0) {
        attrs.setMetadataContext(Metadata.newBuilder().putFilterMetadata("envoy.filters.http.jwt_authn",
            Struct.newBuilder().putFields("jwt_payload", com.google.protobuf.Value.newBuilder()
                .setStructValue(Structs.of(c)).build()).build()));
      }
      return CheckRequest.newBuilder().setAttributes(attrs).build();
    });
  }

  @Property(tries = 300)
  void aLoggedDecisionReplaysToTheSameAnswerAndRules(@ForAll("checks") CheckRequest check) throws Exception {
    DecisionRecord online = live.check(check).toCompletableFuture().get(10, TimeUnit.SECONDS);
    if (online.cause() != DecisionRecord.Cause.POLICY) {
      return;
    }
    DecisionLog.Builder read = DecisionLog.newBuilder();
    JsonFormat.parser().merge(new String(encoder.line(online), StandardCharsets.UTF_8), read);
    DecisionLog logged = read.build();
    assertThat(Replayer.statesCaller(logged)).isTrue();
    Decision offline = replay.decide(logged);
    Decision d = online.decision();
    String what = check.getAttributes().getRequest().getHttp().getPath() + " " + logged.getPrincipal();
    assertThat(offline.outcome()).as(what).isEqualTo(d.outcome());
    assertThat(offline.status()).as(what).isEqualTo(d.status());
    assertThat(offline.allowed()).as(what).isEqualTo(d.allowed());
    assertThat(offline.rules().stream().map(RuleRef::id).toList()).as(what)
        .isEqualTo(d.rules().stream().map(RuleRef::id).toList());
    assertThat(offline.route()).as(what).isEqualTo(d.route());
  }

  /** Outcomes the property reaches, so that it cannot pass on denials alone. */
  @Property(tries = 1)
  void theCallsReachEveryKindOfAnswer() {
    Set<String> seen = new java.util.TreeSet<>();
    Arbitrary<CheckRequest> all = checks();
    all.sampleStream().limit(400).forEach(c -> seen.add(live.check(c).toCompletableFuture().join().decision()
        .outcome().label()));
    assertThat(seen).contains("allow", "forbid", "default_deny", "no_route", "retired");
  }
}
