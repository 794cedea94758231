package dev.warden.parity;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.warden.bundle.BundleReader;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Outcome;
import dev.warden.policy.ast.PathTemplate;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.runtime.RequestLine;
import dev.warden.policy.runtime.RuleRef;
import dev.warden.policy.testing.PolicyTest;
import dev.warden.policy.testing.TestOutcome;
import dev.warden.proto.v1.DecideRequest;
import dev.warden.proto.v1.DecideResponse;
import dev.warden.proto.v1.DecisionsGrpc;
import dev.warden.proto.v1.HttpTarget;
import dev.warden.server.ActiveBundle;
import dev.warden.server.EnvoyHeaders;
import dev.warden.server.Structs;
import dev.warden.server.Tokens;
import dev.warden.server.admin.ServerMetrics;
import dev.warden.server.authz.Authorizer;
import dev.warden.server.authz.DecideRequestMapper;
import dev.warden.server.authz.DecisionIds;
import dev.warden.server.authz.DecisionRecord;
import dev.warden.server.authz.DecisionRecorder;
import dev.warden.server.authz.Deciding;
import dev.warden.server.authz.ExtAuthzService;
import dev.warden.server.authz.RequestMapper;
import dev.warden.server.authz.ResponseMapper;
import dev.warden.server.decide.DecisionsService;
import dev.warden.server.identity.IdentityResolver;
import dev.warden.server.identity.JwtConfig;
import dev.warden.server.identity.JwtVerifier;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Offline = online: every `test` block of every bundle under `policies/` (and of the bundles
 * under this test's resources `parity/`, for the outcomes the examples do not reach: the step
 * budget, evaluation errors) decides the same through the sidecar as in `warden test`, on each
 * path a decision reaches the sidecar: a bearer token that Warden verifies (its JSON parser reads
 * numbers as Long or Double), claims that Envoy's jwt_authn filter verified (a protobuf Struct:
 * every number a double), the decide API with an HTTP target, and the decide API calling the
 * matched route by name with its parameters. Same allow or deny, outcome, status, public reason,
 * deciding rules and route, and so the same test outcome; through the decide API also the same
 * evaluation errors and obligations. Together the cases reach every outcome but `error`, which
 * no policy can cause (see {@link #everyOutcomeIsReached}). The request is the very one `warden test` decides on, mapped to what Envoy would send.
 * Through ext_authz, the obligations are compared too, by their effect: the headers the upstream
 * receives once Envoy applied the sidecar's answer to the request ({@link EnvoyHeaders}), and
 * the headers of the client's response, against what the offline decision's obligations make of
 * the same request; and the test's header checks are judged on what Envoy would make of it.
 */
class OfflineOnlineParityTest {
  static final Path POLICIES = Path.of("..", "policies");
  static final Path MORE = Path.of("src", "test", "resources", "parity");
  /** The outcomes the cases reached, offline and online alike. */
  static final java.util.Set<Outcome> REACHED = java.util.concurrent.ConcurrentHashMap.newKeySet();
  static final Instant DEFAULT_TIME = Instant.parse("2026-11-20T10:00:00Z");

  @TempDir Path dir;

  /** The ways a decision reaches the sidecar. */
  enum Path3 {
    WARDEN_VERIFIED_TOKEN,
    ENVOY_JWT_AUTHN,
    DECIDE_API,
    /** The decide API naming the route the request matched, with its parameters. */
    DECIDE_API_ROUTE
  }

  static Stream<Arguments> tests() throws Exception {
    List<Arguments> out = new ArrayList<>();
    List<Path> bundles = new ArrayList<>();
    for (Path root : List.of(POLICIES, MORE)) {
      try (Stream<Path> dirs = Files.list(root)) {
        bundles.addAll(dirs.filter(Files::isDirectory).filter(OfflineOnlineParityTest::hasPolicies).sorted().toList());
      }
    }
    assertThat(bundles).as("bundles under policies/").isNotEmpty();
    for (Path bundle : bundles) {
      CompileResult compiled = new BundleCompiler().compile(BundleReader.read(bundle));
      assertThat(compiled.ok()).as("%s compiles:%n%s", bundle, compiled.render()).isTrue();
      Map<String, PathTemplate> templates = new java.util.HashMap<>();
      compiled.checked().routes().forEach(r -> templates.put(r.qualifiedName(), r.path()));
      List<PolicyTest> tests = compiled.tests(name -> true);
      assertThat(tests).as("%s has tests", bundle).isNotEmpty();
      for (PolicyTest t : tests) {
        if (t.sequence()) {
          // A sequence charges quotas on the test's pinned clock, with `wait`s; the sidecar's
          // quotas run on its own clock. QuotaSidecarTest holds the sidecar to the same answers.
          continue;
        }
        Map<String, String> params = routeParams(t, templates);
        for (Path3 path : Path3.values()) {
          if (path != Path3.DECIDE_API_ROUTE || params != null) {
            out.add(Arguments.of(bundle.getFileName() + ": " + t.name(), path, t, params));
          }
        }
      }
    }
    return out.stream();
  }

  /**
   * The parameters of the route the test's request matched, read off its canonical path, or null
   * when a route call would not be the same request: no route matched, or the request has a query
   * or method overrides, which a route call does not carry.
   */
  static Map<String, String> routeParams(PolicyTest t, Map<String, PathTemplate> templates) {
    Request request = t.request(DEFAULT_TIME);
    Decision d = t.program().decide(request);
    RequestLine line = RequestLine.of(request, t.program().requestRules());
    if (d.route() == null || !line.ok() || !line.query().isEmpty() || request.path().contains("?")
        || !line.stripHeaders().isEmpty() || !line.stripQuery().isEmpty()) {
      return null;
    }
    String[] parts = line.path().substring(1).split("/", -1);
    Map<String, String> params = new java.util.LinkedHashMap<>();
    List<PathTemplate.Segment> segments = templates.get(d.route()).segments();
    for (int i = 0; i < segments.size(); i++) {
      if (segments.get(i) instanceof PathTemplate.Param p) {
        params.put(p.name(), parts[i]);
      } else if (segments.get(i) instanceof PathTemplate.Rest) {
        params.put("**", String.join("/", Arrays.copyOfRange(parts, i, parts.length)));
      }
    }
    return params;
  }

  @org.junit.jupiter.api.AfterAll
  static void everyOutcomeIsReached() {
    java.util.Set<Outcome> expected = java.util.EnumSet.allOf(Outcome.class);
    // A defect inside Warden; no policy can cause it. AuthorizerOutcomesTest covers its answer.
    expected.remove(Outcome.ERROR);
    // Reached only by a sequence of requests (a bucket spent), which this test leaves to QuotaSidecarTest.
    expected.remove(Outcome.QUOTA);
    assertThat(REACHED).as("outcomes the parity cases reach").containsAll(expected);
  }

  private static boolean hasPolicies(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.anyMatch(f -> f.toString().endsWith(".warden"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * What a decision does to headers: the upstream request's headers (allow only) and the client's
   * response headers of Warden's policy, without the headers Warden adds to every answer.
   */
  record Effect(Map<String, List<String>> upstream, Map<String, List<String>> response) {
    /** What the offline decision's obligations do to a request with these headers. */
    static Effect of(Decision d, Map<String, String> sent) {
      return new Effect(d.allowed() ? d.obligations().upstream(sent) : Map.of(), d.obligations().response());
    }
  }

  /** What the sidecar answered: the decision as it tells it, and what Envoy makes of the answer. */
  record Answer(Said said, Effect effect) {}

  /** What a decision says, as far as the sidecar tells it. */
  record Said(boolean allowed, String outcome, int status, String reason, List<String> rules, String route) {
    static Said of(Decision d) {
      return new Said(d.allowed(), d.outcome().label(), d.status(), d.allowed() ? "allowed" : d.reason(),
          d.rules().stream().map(RuleRef::id).toList(), d.route());
    }

    /** The decision `warden test` would have judged, rebuilt from what the sidecar said. */
    Decision asDecision(String revision) {
      return new Decision(Outcome.valueOf(outcome.toUpperCase(java.util.Locale.ROOT)), status, reason,
          () -> "(decided by the sidecar)", rules.stream().map(id -> new RuleRef(id, "rule", "?")).toList(), route,
          revision, null, List.of());
    }
  }

  @ParameterizedTest(name = "{0} via {1}")
  @MethodSource("tests")
  void theSidecarDecidesAsWardenTest(String name, Path3 path, PolicyTest test, Map<String, String> params)
      throws Exception {
    Request request = test.request(DEFAULT_TIME);
    Program program = test.program();
    Decision offline = program.decide(request);
    REACHED.add(offline.outcome());
    TestOutcome offlineOutcome = test.judge(offline);
    Said online;
    Effect effect;
    if (path == Path3.DECIDE_API || path == Path3.DECIDE_API_ROUTE) {
      DecideResponse r = viaDecideApi(program, request, path == Path3.DECIDE_API_ROUTE ? offline.route() : null, params);
      online = new Said(r.getAllowed(), r.getOutcome(), r.getStatus(), r.getReason(),
          r.getRulesList().stream().map(dev.warden.proto.v1.Rule::getId).toList(),
          r.getRoute().isEmpty() ? null : r.getRoute());
      assertThat(r.getErrorsList()).as("evaluation errors of %s via %s", name, path)
          .extracting(e -> e.getKind() + " " + e.getRule() + " " + e.getLocation() + " " + e.getMessage())
          .isEqualTo(offline.errors().stream().map(e -> e.kind().label() + " " + (e.rule() == null ? "" : e.rule().id())
              + " " + e.location() + " " + e.message()).toList());
      assertThat(r.getObligations()).as("obligations of %s via %s", name, path).isEqualTo(obligations(offline));
      // The decide API tells the obligations (compared above); a proxy applies them as Envoy does.
      effect = Effect.of(offline, request.headers());
    } else {
      Answer answer = viaExtAuthz(program, request, path == Path3.WARDEN_VERIFIED_TOKEN);
      online = answer.said();
      effect = answer.effect();
      assertThat(effect).as("obligations of %s via %s", name, path)
          .isEqualTo(Effect.of(offline, sentHeaders(request, path == Path3.WARDEN_VERIFIED_TOKEN)));
    }
    assertThat(online).as("%s via %s", name, path).isEqualTo(Said.of(offline));
    TestOutcome onlineOutcome = test.judge(online.asDecision(program.revision()), effect.upstream(), effect.response());
    assertThat(onlineOutcome.passed()).as("outcome of %s: %s", name, onlineOutcome.failure())
        .isEqualTo(offlineOutcome.passed());
  }

  /**
   * The headers of the CheckRequest: the test's, and the bearer token when Warden verifies it.
   * The token is a placeholder here: only the names matter to the obligations.
   */
  private static Map<String, String> sentHeaders(Request request, boolean token) {
    Map<String, String> sent = new java.util.LinkedHashMap<>(request.headers());
    if (token && request.identity().claims() != null) {
      sent.put("authorization", "(token)");
    }
    return sent;
  }

  private Answer viaExtAuthz(Program program, Request request, boolean token) throws Exception {
    Clock clock = Clock.fixed(request.time(), ZoneOffset.UTC);
    ActiveBundle active = new ActiveBundle();
    active.activate(program, "parity", request.time());
    JwtVerifier verifier = null;
    Tokens tokens = new Tokens(request.time());
    if (token) {
      verifier = new JwtVerifier(new JwtConfig(Tokens.ISSUER, List.of(Tokens.AUDIENCE), List.of("RS256"),
          tokens.writeJwks(dir), null, Duration.ofMinutes(5), Duration.ofSeconds(30), false), clock);
    }
    ServerMetrics metrics = new ServerMetrics();
    ExtAuthzService service = new ExtAuthzService(new Authorizer(active,
        new RequestMapper(clock, token ? null : "jwt_payload"), new DecideRequestMapper(clock),
        new IdentityResolver(verifier, "x-api-key", "api_keys"), new DecisionIds(),
        new Deciding(Runnable::run, Duration.ofSeconds(30).toNanos(), metrics), 403),
        new ResponseMapper(List.of(), true), new DecisionRecorder(DecisionRecord.Api.EXT_AUTHZ, metrics));
    CheckRequest check = checkRequest(request, token ? tokens : null);
    try (Channel c = Channel.of(service)) {
      CheckResponse r = AuthorizationGrpc.newBlockingStub(c.channel).check(check);
      Map<String, Value> meta = r.getDynamicMetadata().getFieldsMap();
      List<String> rules = meta.containsKey("rules")
          ? Arrays.asList(meta.get("rules").getStringValue().split(",")) : List.of();
      String route = meta.containsKey("route") ? meta.get("route").getStringValue() : null;
      String outcome = meta.get("outcome").getStringValue();
      Map<String, String> sent = check.getAttributes().getRequest().getHttp().getHeadersMap();
      if (r.hasOkResponse()) {
        Map<String, List<String>> upstream = new java.util.LinkedHashMap<>(EnvoyHeaders.upstream(sent, r.getOkResponse()));
        assertThat(upstream.remove(ResponseMapper.DECISION_ID_HEADER)).as("the decision id").hasSize(1);
        // The placeholder of sentHeaders: the token's value does not matter, its name does.
        upstream.computeIfPresent("authorization", (k, v) -> List.of("(token)"));
        return new Answer(new Said(true, outcome, 200, "allowed", rules, route),
            new Effect(upstream, EnvoyHeaders.response(r.getOkResponse())));
      }
      String body = r.getDeniedResponse().getBody();
      String reason = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body).get("reason").asText();
      Map<String, List<String>> response = new java.util.LinkedHashMap<>(
          EnvoyHeaders.denial(r.getDeniedResponse().getHeadersList()));
      // What Warden puts on every denial, whatever the policy says.
      response.keySet().removeAll(List.of("content-type", ResponseMapper.DECISION_ID_HEADER, "www-authenticate"));
      return new Answer(new Said(false, outcome, r.getDeniedResponse().getStatus().getCodeValue(), reason, rules, route),
          new Effect(Map.of(), response));
    }
  }

  /** The offline decision's obligations as the decide API tells them. */
  private static dev.warden.proto.v1.Obligations obligations(Decision d) {
    dev.warden.proto.v1.Obligations.Builder out = dev.warden.proto.v1.Obligations.newBuilder()
        .addAllHeadersToRemove(d.obligations().removeUpstreamHeaders())
        .addAllHeaderPatternsToRemove(d.obligations().removeUpstreamPatterns())
        .addAllQueryParametersToRemove(d.obligations().removeQueryParameters());
    // What the headers come to, a name's values joined, as a proxy applies them.
    d.obligations().upstream(Map.of()).forEach((name, values) ->
        out.addHeadersToSet(dev.warden.proto.v1.Header.newBuilder().setName(name).setValue(values.get(0))));
    d.obligations().response().forEach((name, values) ->
        out.addResponseHeaders(dev.warden.proto.v1.Header.newBuilder().setName(name).setValue(values.get(0))));
    return out.build();
  }

  private DecideResponse viaDecideApi(Program program, Request request, String route, Map<String, String> params)
      throws Exception {
    ActiveBundle active = new ActiveBundle();
    active.activate(program, "parity", request.time());
    ServerMetrics metrics = new ServerMetrics();
    DecisionsService service = new DecisionsService(new Authorizer(active, new RequestMapper(Clock.systemUTC(), null),
        new DecideRequestMapper(Clock.systemUTC()), new IdentityResolver(null, "x-api-key", "api_keys"),
        new DecisionIds(), new Deciding(Runnable::run, Duration.ofSeconds(30).toNanos(), metrics), 403),
        new DecisionRecorder(DecisionRecord.Api.DECIDE, metrics));
    DecideRequest.Builder in = DecideRequest.newBuilder().setTime(Structs.timestamp(request.time()))
        .putAllHeaders(request.headers());
    if (request.body() != null) {
      in.setBody(com.google.protobuf.ByteString.copyFromUtf8(request.body().text()));
    }
    if (request.identity().claims() != null) {
      in.setClaims(Structs.of(request.identity().claims()));
    }
    if (request.identity().peer() != null) {
      in.setPeer(request.identity().peer());
    }
    if (request.sourceIp() != null) {
      in.setSourceIp(request.sourceIp().toString());
    }
    if (route == null) {
      in.setHttp(HttpTarget.newBuilder().setMethod(request.method()).setPath(request.path()));
    } else {
      in.setRoute(dev.warden.proto.v1.RouteTarget.newBuilder().setName(route).putAllParams(params));
    }
    try (Channel c = Channel.of(service)) {
      return DecisionsGrpc.newBlockingStub(c.channel).decide(in.build());
    }
  }

  /** The CheckRequest Envoy would send for this request: claims in a signed token, or in jwt_authn's metadata. */
  static CheckRequest checkRequest(Request r, Tokens tokens) throws Exception {
    AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder()
        .setId(r.id()).setMethod(r.method()).setPath(r.path()).setScheme(r.scheme()).putAllHeaders(r.headers());
    if (r.body() != null) {
      http.setBody(r.body().text()).setSize(r.body().size());
    }
    AttributeContext.Peer.Builder source = AttributeContext.Peer.newBuilder();
    if (r.sourceIp() != null) {
      source.setAddress(Address.newBuilder().setSocketAddress(
          SocketAddress.newBuilder().setAddress(r.sourceIp().toString()).setPortValue(r.sourcePort())));
    }
    if (r.sourcePrincipal() != null) {
      source.setPrincipal(r.sourcePrincipal());
    }
    Map<String, Object> claims = r.identity().claims();
    if (claims != null && tokens != null) {
      http.putHeaders("authorization", "Bearer " + tokens.sign(token(claims, r.time())));
    }
    AttributeContext.Builder attrs = AttributeContext.newBuilder().setSource(source)
        .setRequest(AttributeContext.Request.newBuilder().setTime(Structs.timestamp(r.time())).setHttp(http));
    if (claims != null && tokens == null) {
      attrs.setMetadataContext(Metadata.newBuilder().putFilterMetadata("envoy.filters.http.jwt_authn",
          Struct.newBuilder().putFields("jwt_payload", Value.newBuilder().setStructValue(Structs.of(claims)).build()).build()));
    }
    return CheckRequest.newBuilder().setAttributes(attrs).build();
  }

  /** The test's claims as a token the verifier accepts at the request's time: issuer, audience, expiry added. */
  private static JWTClaimsSet token(Map<String, Object> claims, Instant at) {
    JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().issuer(Tokens.ISSUER).audience(Tokens.AUDIENCE)
        .issueTime(Date.from(at.minusSeconds(60))).expirationTime(Date.from(at.plus(Duration.ofMinutes(10))));
    claims.forEach(b::claim);
    return b.build();
  }

  /** An in-process server for one service and a channel to it. */
  private record Channel(Server server, ManagedChannel channel) implements AutoCloseable {
    static Channel of(io.grpc.BindableService service) throws IOException {
      String name = InProcessServerBuilder.generateName();
      Server server = InProcessServerBuilder.forName(name).directExecutor().addService(service).build().start();
      return new Channel(server, InProcessChannelBuilder.forName(name).directExecutor().build());
    }

    @Override
    public void close() {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }
}
