package dev.warden.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.warden.server.ServerConfig;
import dev.warden.server.authz.ResponseMapper;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.HealthCheck;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.access_loggers.stream.v3.StdoutAccessLog;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Parses deploy/envoy/envoy.yaml against the Envoy protos Warden is built with, so a misspelt
 * field, an unknown `@type` or a wrong value type fails the build instead of Envoy's startup,
 * and pins the settings that make the proxy fail closed and reach Warden.
 */
class EnvoyConfigTest {
  private static final Path ENVOY_YAML = Path.of("..", "deploy", "envoy", "envoy.yaml");
  private static final Path WARDEN_YAML = Path.of("..", "deploy", "envoy", "warden.yaml");

  /** Every message a `typed_config` in envoy.yaml names; an `@type` missing here fails parsing. */
  private static final JsonFormat.TypeRegistry TYPES = JsonFormat.TypeRegistry.newBuilder()
      .add(HttpConnectionManager.getDescriptor())
      .add(JwtAuthentication.getDescriptor())
      .add(ExtAuthz.getDescriptor())
      .add(Router.getDescriptor())
      .add(HttpProtocolOptions.getDescriptor())
      .add(StdoutAccessLog.getDescriptor())
      .add(UpstreamTlsContext.getDescriptor())
      .build();

  private static Bootstrap bootstrap;

  @BeforeAll
  static void parse() throws IOException {
    bootstrap = parseBootstrap(Files.readString(ENVOY_YAML));
  }

  private static Bootstrap parseBootstrap(String yaml) throws IOException {
    String json = new ObjectMapper().writeValueAsString(new ObjectMapper(new YAMLFactory()).readTree(yaml));
    Bootstrap.Builder b = Bootstrap.newBuilder();
    // Strict on purpose: no ignoringUnknownFields, so a field Envoy would reject fails here.
    JsonFormat.parser().usingTypeRegistry(TYPES).merge(json, b);
    return b.build();
  }

  @Test
  void theParserIsStrictSoAPassingParseMeansSomething() {
    String typo = "static_resources:\n  clusters:\n  - name: warden\n    conect_timeout: 1s\n";
    assertThatThrownBy(() -> parseBootstrap(typo))
        .isInstanceOf(InvalidProtocolBufferException.class)
        .hasMessageContaining("conect_timeout");
    String unknownType = "static_resources:\n  clusters:\n  - name: warden\n    transport_socket:\n"
        + "      name: tls\n      typed_config:\n        \"@type\": type.googleapis.com/envoy.NoSuchMessage\n";
    assertThatThrownBy(() -> parseBootstrap(unknownType)).isInstanceOf(InvalidProtocolBufferException.class);
  }

  @Test
  void listensOn8080AndRoutesEverythingToTheApp() throws Exception {
    Listener listener = bootstrap.getStaticResources().getListeners(0);
    assertThat(listener.getAddress().getSocketAddress().getPortValue()).isEqualTo(8080);
    Route route = connectionManager().getRouteConfig().getVirtualHosts(0).getRoutes(0);
    assertThat(route.getMatch().getPrefix()).isEqualTo("/");
    assertThat(route.getRoute().getCluster()).isEqualTo("app");
    var app = cluster("app").getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress();
    assertThat(app.getSocketAddress().getAddress()).isEqualTo("127.0.0.1");
    assertThat(app.getSocketAddress().getPortValue()).isEqualTo(8000);
  }

  @Test
  void filtersRunJwtAuthnThenExtAuthzThenTheRouter() throws Exception {
    assertThat(connectionManager().getHttpFiltersList()).extracting(HttpFilter::getName).containsExactly(
        "envoy.filters.http.jwt_authn", "envoy.filters.http.ext_authz", "envoy.filters.http.router");
    assertThat(filterConfig("envoy.filters.http.router").is(Router.class)).isTrue();
  }

  @Test
  void extAuthzFailsClosedWithinAQuarterSecond() throws Exception {
    ExtAuthz authz = filterConfig("envoy.filters.http.ext_authz").unpack(ExtAuthz.class);
    assertThat(authz.getFailureModeAllow()).isFalse();
    assertThat(authz.getGrpcService().getTimeout()).isEqualTo(Duration.newBuilder().setNanos(250_000_000).build());
    assertThat(authz.getGrpcService().getEnvoyGrpc().getClusterName()).isEqualTo("warden");
    assertThat(authz.getTransportApiVersion()).isEqualTo(ApiVersion.V3);
    assertThat(authz.getWithRequestBody().getMaxRequestBytes()).isEqualTo(65536);
    assertThat(authz.getWithRequestBody().getAllowPartialMessage()).isTrue();
    assertThat(authz.getWithRequestBody().getPackAsBytes()).isTrue();
    assertThat(authz.getIncludePeerCertificate()).isTrue();
    assertThat(authz.getMetadataContextNamespacesList()).containsExactly("envoy.filters.http.jwt_authn");
  }

  @Test
  void wardenClusterIsHttp2OverTheUnixSocketAndHealthChecksTheAuthorizationService() throws Exception {
    Cluster warden = cluster("warden");
    HttpProtocolOptions options = warden.getTypedExtensionProtocolOptionsOrThrow(
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions").unpack(HttpProtocolOptions.class);
    assertThat(options.getExplicitHttpConfig().hasHttp2ProtocolOptions()).isTrue();
    var address = warden.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress();
    assertThat(address.getPipe().getPath()).isEqualTo("/var/run/warden/warden.sock");
    HealthCheck check = warden.getHealthChecks(0);
    assertThat(check.getGrpcHealthCheck().getServiceName()).isEqualTo(AuthorizationGrpc.SERVICE_NAME);
    assertThat(warden.getCommonLbConfig().getHealthyPanicThreshold().getValue()).isZero();
  }

  @Test
  void jwtAuthnIsOptionalAndPublishesThePayloadWardenReads() throws Exception {
    JwtAuthentication jwt = filterConfig("envoy.filters.http.jwt_authn").unpack(JwtAuthentication.class);
    JwtProvider provider = jwt.getProvidersOrThrow("idp");
    assertThat(provider.getForward()).isTrue();
    assertThat(provider.getPayloadInMetadata()).isEqualTo("jwt_payload");
    assertThat(cluster(provider.getRemoteJwks().getHttpUri().getCluster()).hasTransportSocket()).isTrue();
    List<JwtRequirement> any = jwt.getRules(0).getRequires().getRequiresAny().getRequirementsList();
    assertThat(any).anyMatch(JwtRequirement::hasAllowMissing);
    assertThat(any).noneMatch(JwtRequirement::hasAllowMissingOrFailed);
  }

  @Test
  void wardenConfigMatchesTheSocketAndTheMetadataKey() throws Exception {
    ServerConfig config = ServerConfig.load(Files.readString(WARDEN_YAML), Map.of(), Map.of("bundle", "policies/shop"));
    var pipe = cluster("warden").getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress().getPipe();
    assertThat(config.grpcListen()).isEqualTo("unix:" + pipe.getPath());
    JwtAuthentication jwt = filterConfig("envoy.filters.http.jwt_authn").unpack(JwtAuthentication.class);
    assertThat(config.jwtAuthnMetadataKey()).isEqualTo(jwt.getProvidersOrThrow("idp").getPayloadInMetadata());
  }

  @Test
  void accessLogCarriesWardensDecisionId() throws Exception {
    StdoutAccessLog log = connectionManager().getAccessLog(0).getTypedConfig().unpack(StdoutAccessLog.class);
    assertThat(log.getLogFormat().getTextFormatSource().getInlineString())
        .contains("%DYNAMIC_METADATA(envoy.filters.http.ext_authz:decision_id)%");
    assertThat(ResponseMapper.metadata("d-1").getFieldsMap()).containsKey("decision_id");
  }

  @Test
  void everyClusterTheConfigNamesExists() throws Exception {
    Map<String, Cluster> clusters = bootstrap.getStaticResources().getClustersList().stream()
        .collect(Collectors.toMap(Cluster::getName, c -> c));
    assertThat(clusters).containsKeys("app", "warden", "idp_jwks");
    clusters.forEach((name, c) -> assertThat(c.getLoadAssignment().getClusterName()).as(name).isEqualTo(name));
  }

  /** Envoy hands Warden and the app the same path: normalized, slashes merged, escaped slashes refused. */
  @Test
  void envoyNormalizesThePathBeforeWardenAndTheAppSeeIt() throws Exception {
    HttpConnectionManager hcm = connectionManager();
    assertThat(hcm.getNormalizePath().getValue()).isTrue();
    assertThat(hcm.getMergeSlashes()).isTrue();
    assertThat(hcm.getPathWithEscapedSlashesAction())
        .isEqualTo(HttpConnectionManager.PathWithEscapedSlashesAction.REJECT_REQUEST);
    assertThat(hcm.getCommonHttpProtocolOptions().getHeadersWithUnderscoresAction())
        .isEqualTo(io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions.HeadersWithUnderscoresAction.REJECT_REQUEST);
  }

  private static HttpConnectionManager connectionManager() throws InvalidProtocolBufferException {
    Filter hcm = bootstrap.getStaticResources().getListeners(0).getFilterChains(0).getFilters(0);
    return hcm.getTypedConfig().unpack(HttpConnectionManager.class);
  }

  private static Any filterConfig(String name) throws InvalidProtocolBufferException {
    return connectionManager().getHttpFiltersList().stream()
        .filter(f -> f.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no http filter " + name))
        .getTypedConfig();
  }

  private static Cluster cluster(String name) {
    return bootstrap.getStaticResources().getClustersList().stream()
        .filter(c -> c.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no cluster " + name));
  }
}
