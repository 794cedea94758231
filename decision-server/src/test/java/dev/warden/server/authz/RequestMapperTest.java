package dev.warden.server.authz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.warden.policy.runtime.IpAddress;
import dev.warden.policy.runtime.Request;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestMapperTest {
  static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");
  final RequestMapper mapper = new RequestMapper(Clock.fixed(NOW, ZoneOffset.UTC), "jwt_payload");

  static CheckRequest.Builder check(AttributeContext.HttpRequest.Builder http) {
    return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder().setHttp(http)));
  }

  static Address address(String ip, int port) {
    return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port)).build();
  }

  @Test
  void refusesHeaderNamesThatAreNotAsciiTokens() {
    // U+212A KELVIN SIGN lower-cases to `k` under Unicode rules: `x-api-\u212Aey` must not become `x-api-key`.
    for (String name : new String[] {"X-Api-\u212Aey", "x-a b", "x-é", ""}) {
      CheckRequest.Builder b = check(AttributeContext.HttpRequest.newBuilder().setMethod("GET").setPath("/orders")
          .putHeaders(name, "v"));
      assertThatThrownBy(() -> mapper.map(b.build())).as(name).isInstanceOf(RequestMapper.BadCheckRequest.class)
          .hasMessageContaining("not an HTTP token");
    }
  }

  @Test
  void aQueryEnvoySendsApartJoinsThePath() throws Exception {
    Request r = mapper.map(check(AttributeContext.HttpRequest.newBuilder().setMethod("GET").setPath("/orders")
        .setQuery("page=2")).build()).request();
    assertThat(r.path()).isEqualTo("/orders?page=2");
  }

  @Test
  void mapsEveryField() throws Exception {
    CheckRequest.Builder b = check(AttributeContext.HttpRequest.newBuilder()
        .setId("req-1").setMethod("get").setPath("/orders/7?page=2&tag=a&tag=b").setHost("shop.example")
        .setScheme("https")
        .putHeaders("X-Tenant", "acme").putHeaders("authorization", "Bearer abc.def.ghi")
        .setHeaderMap(HeaderMap.newBuilder()
            .addHeaders(HeaderValue.newBuilder().setKey("x-tenant").setRawValue(ByteString.copyFromUtf8("globex")))
            .addHeaders(HeaderValue.newBuilder().setKey("x-trace").setValue("t1"))));
    b.getAttributesBuilder()
        .setSource(AttributeContext.Peer.newBuilder().setAddress(address("10.1.2.3", 51000))
            .setPrincipal("spiffe://shop.local/ns/web/sa/frontend"))
        .setDestination(AttributeContext.Peer.newBuilder().setAddress(address("10.9.9.9", 8080))
            .setPrincipal("spiffe://shop.local/ns/orders/sa/api"))
        .putContextExtensions("policy", "orders")
        .setTlsSession(AttributeContext.TLSSession.newBuilder().setSni("shop.example"))
        .getRequestBuilder().setTime(Timestamp.newBuilder().setSeconds(1_800_000_000L));
    MappedRequest m = mapper.map(b.build());
    Request r = m.request();
    assertThat(r.id()).isEqualTo("req-1");
    // As received: the program reads the method as an ASCII token and canonicalizes the target.
    assertThat(r.method()).isEqualTo("get");
    assertThat(r.path()).isEqualTo("/orders/7?page=2&tag=a&tag=b");
    assertThat(r.headers()).containsEntry("x-tenant", "acme,globex").containsEntry("x-trace", "t1");
    assertThat(r.host()).isEqualTo("shop.example");
    assertThat(r.scheme()).isEqualTo("https");
    assertThat(r.time()).isEqualTo(Instant.ofEpochSecond(1_800_000_000L));
    assertThat(r.sourceIp()).isEqualTo(IpAddress.parse("10.1.2.3"));
    assertThat(r.sourcePort()).isEqualTo(51000);
    assertThat(r.sourcePrincipal()).isEqualTo("spiffe://shop.local/ns/web/sa/frontend");
    assertThat(r.destinationIp()).isEqualTo(IpAddress.parse("10.9.9.9"));
    assertThat(r.destinationPort()).isEqualTo(8080);
    assertThat(r.destinationPrincipal()).isEqualTo("spiffe://shop.local/ns/orders/sa/api");
    assertThat(m.bearer()).isEqualTo("abc.def.ghi");
    assertThat(r.context()).containsEntry("policy", "orders");
    assertThat(r.sni()).isEqualTo("shop.example");
  }

  @Test
  void usesTheClockWhenEnvoySendsNoTime() throws Exception {
    MappedRequest m = mapper.map(check(AttributeContext.HttpRequest.newBuilder().setMethod("GET").setPath("/")).build());
    assertThat(m.request().time()).isEqualTo(NOW);
    assertThat(m.request().sourceIp()).isNull();
    assertThat(m.bearer()).isNull();
  }

  @Test
  void readsClaimsVerifiedByEnvoyJwtAuthn() throws Exception {
    Struct payload = Struct.newBuilder()
        .putFields("sub", Value.newBuilder().setStringValue("alice").build())
        .putFields("roles", Value.newBuilder().setListValue(ListValue.newBuilder()
            .addValues(Value.newBuilder().setStringValue("customer"))).build())
        .putFields("level", Value.newBuilder().setNumberValue(3).build())
        .build();
    CheckRequest.Builder b = check(AttributeContext.HttpRequest.newBuilder().setMethod("GET").setPath("/orders"));
    b.getAttributesBuilder().setMetadataContext(Metadata.newBuilder().putFilterMetadata(
        "envoy.filters.http.jwt_authn",
        Struct.newBuilder().putFields("jwt_payload", Value.newBuilder().setStructValue(payload).build()).build()));
    Map<String, Object> claims = mapper.map(b.build()).envoyClaims();
    assertThat(claims).containsEntry("sub", "alice").containsEntry("roles", List.of("customer")).containsEntry("level", 3.0);
    assertThat(new RequestMapper(Clock.systemUTC(), null).map(b.build()).envoyClaims()).isNull();
  }

  @Test
  void carriesTheBodyAsReceivedWithItsTruncatedFlag() throws Exception {
    AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder().setMethod("POST")
        .setPath("/orders").putHeaders("content-type", "application/json");
    assertThat(mapper.map(check(http.clone()).build()).request().body()).isNull();

    Request text = mapper.map(check(http.clone().setBody("{\"item\":\"book\"}")).build()).request();
    assertThat(text.body().truncated()).isFalse();
    assertThat(text.body().mediaType()).isEqualTo("application/json");
    assertThat(text.body().json().value()).isEqualTo(Map.of("item", "book"));

    // raw_body (Envoy's pack_as_bytes) wins over body; Envoy's header says when it cut the body short.
    Request raw = mapper.map(check(http.clone().setBody("ignored")
        .setRawBody(ByteString.copyFromUtf8("{\"item\":\"pen\"")).putHeaders("x-envoy-auth-partial-body", "true"))
        .build()).request();
    assertThat(raw.body().truncated()).isTrue();
    assertThat(raw.body().text()).isEqualTo("{\"item\":\"pen\"");
    assertThat(raw.body().json().error()).contains("truncated");
  }

  @Test
  void bearerParsing() {
    assertThat(RequestMapper.bearer("Bearer x.y.z")).isEqualTo("x.y.z");
    assertThat(RequestMapper.bearer("bearer   x.y.z ")).isEqualTo("x.y.z");
    assertThat(RequestMapper.bearer("Basic dXNlcjpwYXNz")).isNull();
    assertThat(RequestMapper.bearer("Bearer ")).isNull();
    assertThat(RequestMapper.bearer(null)).isNull();
  }

  @Test
  void rejectsRequestsWithoutMethodOrPathAndTooManyHeaders() {
    assertThatThrownBy(() -> mapper.map(CheckRequest.getDefaultInstance()))
        .isInstanceOf(RequestMapper.BadCheckRequest.class).hasMessageContaining("no HTTP method or path");
    AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder().setMethod("GET").setPath("/");
    for (int i = 0; i < 10_000; i++) {
      http.putHeaders("h" + i, "v");
    }
    assertThatThrownBy(() -> mapper.map(check(http).build()))
        .isInstanceOf(RequestMapper.BadCheckRequest.class).hasMessageContaining("10000 headers");
  }
}
