package dev.warden.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Local quotas in a real sidecar on loopback: the 429 and its headers as Envoy gets them, no
 * charge for a denied request, all or none across quotas, the remaining quota on allows when
 * configured, metrics and the decision log's answers.
 */
class QuotaSidecarTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String POLICY = """
      package work

      principal {
        id:     string      = jwt.sub
        tenant: string      = jwt.claims.tenant ? "none"
        roles:  set<string> = jwt.claims.roles ? []
      }

      role member { allow read }

      api "Work" {
        route read GET /items/{id}
      }

      quota per_user   on read : 2 per 1h by principal.id
      quota per_tenant on read : 3 per 1h by principal.tenant
      shadow quota trial on read : 1 per 1h by principal.id
      """;

  @TempDir Path dir;
  private WardenServer server;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws InterruptedException {
    ReloadingSidecar.stop(channel, server);
  }

  private AuthorizationGrpc.AuthorizationBlockingStub start(Map<String, String> extra) throws Exception {
    Path bundle = Files.createDirectories(dir.resolve("bundle"));
    Files.writeString(bundle.resolve("work.warden"), POLICY);
    Map<String, String> flags = ReloadingSidecar.loopbackFlags(bundle.toString());
    flags.put("reload.watch", "false");
    flags.put("identity.jwt_authn_metadata_key", "jwt_payload");
    flags.put("decision_log.path", dir.resolve("decisions.log").toString());
    flags.putAll(extra);
    server = ReloadingSidecar.started(flags);
    channel = NettyChannelBuilder.forTarget(server.grpcAddress()).usePlaintext().build();
    return AuthorizationGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static CheckRequest check(String sub, String tenant, boolean member) {
    Struct.Builder claims = Struct.newBuilder().putFields("sub", str(sub)).putFields("tenant", str(tenant));
    if (member) {
      claims.putFields("roles", Value.newBuilder().setListValue(com.google.protobuf.ListValue.newBuilder()
          .addValues(str("member"))).build());
    }
    return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder()
            .setHttp(AttributeContext.HttpRequest.newBuilder().setMethod("GET").setPath("/items/1").setHost("work")))
        .setMetadataContext(Metadata.newBuilder().putFilterMetadata("envoy.filters.http.jwt_authn",
            Struct.newBuilder().putFields("jwt_payload", Value.newBuilder().setStructValue(claims).build()).build())))
        .build();
  }

  private static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  private static int status(CheckResponse r) {
    return r.hasOkResponse() ? 200 : r.getDeniedResponse().getStatus().getCodeValue();
  }

  private static Map<String, String> headers(List<HeaderValueOption> options) {
    Map<String, String> out = new LinkedHashMap<>();
    options.forEach(o -> out.put(o.getHeader().getKey(), o.getHeader().getValue()));
    return out;
  }

  @Test
  void overQuotaIsA429WithExactHeadersAndDeniedRequestsSpendNothing() throws Exception {
    AuthorizationGrpc.AuthorizationBlockingStub stub = start(Map.of());
    // Denied by the rules (no role): five times, and nothing is charged.
    for (int i = 0; i < 5; i++) {
      assertThat(status(stub.check(check("ann", "acme", false)))).isEqualTo(403);
    }
    assertThat(status(stub.check(check("ann", "acme", true)))).isEqualTo(200);
    assertThat(status(stub.check(check("ann", "acme", true)))).isEqualTo(200);
    CheckResponse limited = stub.check(check("ann", "acme", true));
    assertThat(status(limited)).isEqualTo(429);
    Map<String, String> h = headers(limited.getDeniedResponse().getHeadersList());
    // 2 per 1h: a token every 1,800 s; the bucket is full again 3,600 s after the second request.
    assertThat(Long.parseLong(h.get("retry-after"))).isBetween(1_799L, 1_800L);
    assertThat(h.get("ratelimit-policy")).isEqualTo("\"per_user\";q=2;w=3600, \"per_tenant\";q=3;w=3600");
    // per_tenant was asked but not charged: it still holds 1 of its 3, full again in 2,400 s.
    assertThat(h.get("ratelimit")).matches("\"per_user\";r=0;t=3(599|600), \"per_tenant\";r=1;t=2(399|400)");
    assertThat(limited.getDeniedResponse().getBody()).contains("\"error\":\"too_many_requests\"")
        .contains("\"reason\":\"rate limit exceeded\"");

    // per_user refused ann's third request, so per_tenant was not charged for it: bob, of the same
    // tenant, has exactly one of acme's three left.
    assertThat(status(stub.check(check("bob", "acme", true)))).isEqualTo(200);
    CheckResponse tenantFull = stub.check(check("bob", "acme", true));
    assertThat(status(tenantFull)).isEqualTo(429);
    assertThat(headers(tenantFull.getDeniedResponse().getHeadersList()).get("ratelimit"))
        .startsWith("\"per_user\";r=1;").contains("\"per_tenant\";r=0;");

    String metrics = ReloadingSidecar.admin(server, "GET", "/metrics").body();
    assertThat(metrics).contains("warden_quota_requests_total{quota=\"work.per_user\",result=\"admitted\"} 3.0")
        .contains("warden_quota_requests_total{quota=\"work.per_user\",result=\"limited\"} 1.0")
        .contains("warden_quota_requests_total{quota=\"work.per_tenant\",result=\"not_charged\"} 1.0")
        .contains("warden_quota_requests_total{quota=\"work.per_tenant\",result=\"limited\"} 1.0")
        .contains("warden_quota_requests_total{quota=\"work.trial\",result=\"shadow_limited\"}")
        .contains("warden_decisions_total{api=\"ext_authz\",outcome=\"quota\",result=\"deny\",status=\"429\"} 2.0");
  }

  @Test
  void shadowQuotasNeverRefuseAndTheLogHasEveryAnswer() throws Exception {
    AuthorizationGrpc.AuthorizationBlockingStub stub = start(Map.of());
    assertThat(status(stub.check(check("ann", "acme", true)))).isEqualTo(200);
    // trial (1 per 1h, shadow) would refuse this one; it is allowed.
    assertThat(status(stub.check(check("ann", "acme", true)))).isEqualTo(200);
    ReloadingSidecar.stop(channel, server);
    channel = null;
    server = null;
    List<String> lines = Files.readAllLines(dir.resolve("decisions.log"));
    assertThat(lines).hasSize(2);
    JsonNode second = JSON.readTree(lines.get(1));
    JsonNode answers = second.path("quota").path("answers");
    assertThat(answers).hasSize(3);
    assertThat(answers.get(0).path("id").asText()).isEqualTo("work.per_user");
    assertThat(answers.get(0).path("admitted").asBoolean()).isTrue();
    assertThat(answers.get(0).path("via").asText()).isEqualTo("local");
    assertThat(answers.get(2).path("id").asText()).isEqualTo("work.trial");
    assertThat(answers.get(2).path("shadow").asBoolean()).isTrue();
    assertThat(answers.get(2).path("admitted").asBoolean()).isFalse();
    assertThat(answers.get(2).path("retryAfterMillis").asLong()).isPositive();
    assertThat(second.toString()).doesNotContain("\"key\"");
  }

  @Test
  void allowsCarryTheRemainingQuotaWhenConfigured() throws Exception {
    AuthorizationGrpc.AuthorizationBlockingStub stub = start(Map.of("quota.headers", "both",
        "quota.headers_on_allow", "true"));
    CheckResponse ok = stub.check(check("ann", "acme", true));
    assertThat(status(ok)).isEqualTo(200);
    Map<String, String> h = headers(ok.getOkResponse().getResponseHeadersToAddList());
    assertThat(h).containsEntry("ratelimit-policy", "\"per_user\";q=2;w=3600, \"per_tenant\";q=3;w=3600")
        .containsEntry("x-ratelimit-limit", "2, 2;w=3600")
        .containsEntry("x-ratelimit-remaining", "1");
    assertThat(h.get("ratelimit")).matches("\"per_user\";r=1;t=18\\d\\d, \"per_tenant\";r=2;t=12\\d\\d");
  }
}
