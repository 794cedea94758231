package dev.warden.server.authz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.bundle.BundleDirectory;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.server.ActiveBundle;
import dev.warden.server.ServerConfig;
import dev.warden.server.Tokens;
import dev.warden.server.admin.ServerMetrics;
import dev.warden.server.identity.IdentityResolver;
import dev.warden.server.identity.JwtVerifier;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ext_authz service over the in-process transport, on the example bundle. */
class ExtAuthzServiceTest {
  static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");
  static final String ORDER = "/orders/7f0c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e01";

  @TempDir Path dir;
  Tokens tokens;
  ActiveBundle bundle;
  Server server;
  ManagedChannel channel;
  AuthorizationGrpc.AuthorizationBlockingStub stub;

  @BeforeEach
  void start() throws Exception {
    tokens = new Tokens(NOW);
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    ServerConfig cfg = ServerConfig.load(null, Map.of(), withBundle(Tokens.config(tokens.writeJwks(dir))));
    bundle = new ActiveBundle();
    bundle.activate(new BundleCompiler().compile(BundleDirectory.read(Path.of("..", "policies", "shop")))
        .programOrThrow(), "shop", NOW);
    JwtVerifier jwt = new JwtVerifier(cfg.jwt(), clock);
    ServerMetrics metrics = new ServerMetrics();
    ExtAuthzService service = new ExtAuthzService(new Authorizer(bundle, new RequestMapper(clock, null),
        new DecideRequestMapper(clock), new IdentityResolver(jwt, "x-api-key", "api_keys"), new DecisionIds(),
        new Deciding(Runnable::run, 100_000_000L, metrics), 403), new ResponseMapper(List.of("x-user-id"), true),
        new DecisionRecorder(DecisionRecord.Api.EXT_AUTHZ, metrics));
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(service).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    stub = AuthorizationGrpc.newBlockingStub(channel);
  }

  static Map<String, String> withBundle(Map<String, String> m) {
    Map<String, String> out = new java.util.HashMap<>(m);
    out.put("bundle", "../policies/shop");
    return out;
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  CheckResponse check(String method, String path, String token, Map<String, String> headers) {
    AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder()
        .setMethod(method).setPath(path).putAllHeaders(headers);
    if (token != null) {
      http.putHeaders("authorization", "Bearer " + token);
    }
    return stub.check(CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder().setHttp(http))).build());
  }

  static Map<String, String> headers(List<HeaderValueOption> hs) {
    return hs.stream().collect(Collectors.toMap(h -> h.getHeader().getKey(), h -> h.getHeader().getValue()));
  }

  @Test
  void ownerIsAllowedWithUpstreamHeadersAndMetadata() throws Exception {
    CheckResponse r = check("GET", ORDER, tokens.valid("alice", List.of("customer"), "acme"),
        Map.of("x-warden-decision-id", "spoofed", "x-user-id", "spoofed"));
    assertThat(r.getStatus().getCode()).isZero();
    assertThat(r.hasOkResponse()).isTrue();
    // The bundle's obligations write `x-user-id`: Warden's value replaces the client's, so the
    // header is set, not removed (Envoy removes after it sets), though strip_headers names it.
    assertThat(r.getOkResponse().getHeadersToRemoveList()).doesNotContain("x-user-id", "x-warden-decision-id");
    assertThat(headers(r.getOkResponse().getHeadersList())).containsEntry("x-user-id", "alice")
        .containsEntry("x-tenant-id", "acme");
    String id = headers(r.getOkResponse().getHeadersList()).get(ResponseMapper.DECISION_ID_HEADER);
    assertThat(id).isNotBlank().isNotEqualTo("spoofed");
    assertThat(r.getDynamicMetadata().getFieldsOrThrow("decision_id").getStringValue()).isEqualTo(id);
    assertThat(r.getDynamicMetadata().getFieldsOrThrow("rules").getStringValue())
        .isEqualTo("role.customer#1");
    assertThat(r.getDynamicMetadata().getFieldsOrThrow("route").getStringValue()).isEqualTo("orders.read");
    assertThat(r.getDynamicMetadata().getFieldsOrThrow("outcome").getStringValue()).isEqualTo("allow");
    assertThat(r.getDynamicMetadata().getFieldsMap()).containsOnlyKeys("decision_id", "outcome", "rules", "route");
  }

  @Test
  void strangerIsDeniedWithPublicReasonOnly() throws Exception {
    CheckResponse r = check("GET", ORDER, tokens.valid("mallory", List.of("customer"), "acme"), Map.of());
    assertThat(r.getStatus().getCode()).isEqualTo(com.google.rpc.Code.PERMISSION_DENIED_VALUE);
    assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
    String body = r.getDeniedResponse().getBody();
    assertThat(body).startsWith("{\"error\":\"forbidden\",\"reason\":\"only the owner may touch an order\",\"decision_id\":\"");
    assertThat(body).doesNotContain("principal.id").doesNotContain("orders.warden");
    assertThat(headers(r.getDeniedResponse().getHeadersList())).containsEntry("content-type", "application/json")
        .containsKey(ResponseMapper.DECISION_ID_HEADER);
  }

  @Test
  void statusesForAnonymousUndeclaredRetiredAndBadPaths() {
    assertThat(check("GET", "/orders", null, Map.of()).getDeniedResponse().getStatus().getCodeValue()).isEqualTo(401);
    assertThat(headers(check("GET", "/orders", null, Map.of()).getDeniedResponse().getHeadersList()))
        .containsEntry("www-authenticate", "Bearer");
    assertThat(check("GET", "/nope", null, Map.of()).getDeniedResponse().getStatus().getCodeValue()).isEqualTo(404);
    assertThat(check("GET", "/v1/orders/7", null, Map.of()).getDeniedResponse().getStatus().getCodeValue()).isEqualTo(410);
    assertThat(check("GET", "/orders%2f7", null, Map.of()).getDeniedResponse().getStatus().getCodeValue()).isEqualTo(400);
  }

  @Test
  void badTokensAreUnauthenticatedNeverAllowed() throws Exception {
    for (String token : List.of(tokens.expired("alice"), tokens.wrongAudience("alice"), tokens.wrongIssuer("alice"),
        tokens.unsigned("alice"), tokens.hmacConfusion("alice"), "not-a-jwt", "a.b.c", "x".repeat(20_000))) {
      CheckResponse r = check("GET", "/orders", token, Map.of());
      assertThat(r.hasDeniedResponse()).as(token.substring(0, Math.min(20, token.length()))).isTrue();
      assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(401);
      assertThat(r.getDeniedResponse().getBody()).contains("\"reason\":\"invalid credentials\"");
    }
  }

  @Test
  void pathTricksNeverReachAnAllow() throws Exception {
    String admin = tokens.valid("alice", List.of("customer"), "acme");
    for (String path : List.of("/admin/../admin/users", "/orders/../admin/users", "//admin/users", "/%2e%2e/admin/users",
        "/admin/users/", "/ADMIN/users", "/admin%2fusers", "/admin\\users", "/" + "a/".repeat(300_000))) {
      CheckResponse r = check("GET", path, admin, Map.of());
      assertThat(r.hasDeniedResponse()).as(path.length() > 60 ? "1 MiB path" : path).isTrue();
    }
    // Normalization is not a way around a rule: the normalized path is decided like any other.
    assertThat(check("GET", "/customers/../orders", admin, Map.of()).hasOkResponse()).isTrue();
  }

  @Test
  void invalidUtf8AndGarbageHeadersAreHandled() {
    String weird = new String(new byte[] {(byte) 0xff, (byte) 0xfe, 'a'}, java.nio.charset.StandardCharsets.ISO_8859_1);
    CheckResponse r = check("GET", "/orders/" + weird, null, Map.of("x-weird", weird));
    assertThat(r.hasDeniedResponse()).isTrue();
  }

  @Test
  void deeplyNestedBodiesAreNotParsedAndChangeNothing() throws Exception {
    // No rule reads request.body yet (schemas come later), so the body is never parsed.
    String nested = "[".repeat(200_000) + "]".repeat(200_000);
    AttributeContext.HttpRequest http = AttributeContext.HttpRequest.newBuilder().setMethod("GET")
        .setPath("/orders").setBody(nested).setRawBody(com.google.protobuf.ByteString.copyFromUtf8(nested))
        .putHeaders("content-type", "application/json")
        .putHeaders("authorization", "Bearer " + tokens.valid("alice", List.of("customer"), "acme")).build();
    CheckResponse r = stub.check(CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder().setHttp(http))).build());
    assertThat(r.hasOkResponse()).isTrue();
  }

  @Test
  void apiKeysAreMatchedByTheirHash() {
    CheckResponse known = check("GET", "/admin/audit/2026-11-01", null, Map.of("x-api-key", "demo-reporting-key"));
    assertThat(known.hasOkResponse()).isTrue();
    assertThat(known.getDynamicMetadata().getFieldsOrThrow("rules").getStringValue())
        .isEqualTo("role.auditor#1");
    CheckResponse unknown = check("GET", "/admin/audit/2026-11-01", null, Map.of("x-api-key", "guessed-key"));
    assertThat(unknown.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(401);
    assertThat(unknown.getDeniedResponse().getBody()).contains("invalid credentials");
    // A token wins over a key: the key's roles do not add to the token's.
    CheckResponse both = check("GET", "/admin/audit/2026-11-01", null,
        Map.of("x-api-key", "demo-reporting-key", "authorization", "Bearer not-a-jwt"));
    assertThat(both.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(401);
  }

  @Test
  void noBundleFailsClosed() {
    ActiveBundle empty = new ActiveBundle();
    ServerMetrics metrics = new ServerMetrics();
    ExtAuthzService service = new ExtAuthzService(new Authorizer(empty, new RequestMapper(Clock.systemUTC(), null),
        new DecideRequestMapper(Clock.systemUTC()), new IdentityResolver(null, "x-api-key", "api_keys"),
        new DecisionIds(), new Deciding(null, 100_000_000L, metrics), 503), new ResponseMapper(List.of(), true),
        new DecisionRecorder(DecisionRecord.Api.EXT_AUTHZ, metrics));
    CheckResponse[] out = new CheckResponse[1];
    service.check(CheckRequest.getDefaultInstance(), new io.grpc.stub.StreamObserver<>() {
      @Override public void onNext(CheckResponse v) { out[0] = v; }
      @Override public void onError(Throwable t) { throw new AssertionError(t); }
      @Override public void onCompleted() {}
    });
    assertThat(out[0].getDeniedResponse().getStatus().getCodeValue()).isEqualTo(503);
    assertThat(out[0].getDeniedResponse().getBody()).contains("no policy is loaded");
  }

  @Test
  void missingHttpAttributesIsBadRequest() {
    CheckResponse r = stub.check(CheckRequest.getDefaultInstance());
    assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(400);
  }
}
