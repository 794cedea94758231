package dev.warden.server.authz;

import static dev.warden.server.authz.Sidecar.check;
import static dev.warden.server.authz.Sidecar.decisions;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.policy.runtime.FrozenMap;
import dev.warden.policy.runtime.Request;
import dev.warden.server.LogCapture;
import dev.warden.server.ServerConfig;
import dev.warden.server.Tokens;
import dev.warden.server.identity.JwtVerifier;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every outcome end to end through ext_authz: the answer's status and reason, and the decision
 * counted by API, outcome and status, whether the program decided or Warden refused around it.
 */
class AuthorizerOutcomesTest {
  static final Map<String, Object> ALICE = Map.of("sub", "alice", "roles", List.of("customer"));
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  static Stream<Arguments> programOutcomes() {
    return Stream.of(
        Arguments.of("allow", check("GET", "/items/1", ALICE, Map.of()), 200, null),
        Arguments.of("forbid", check("GET", "/items/1", ALICE, Map.of("x-block", "yes")), 403, "blocked"),
        Arguments.of("default_deny", check("GET", "/items/1", Map.of("sub", "bob"), Map.of()), 403, "not allowed"),
        Arguments.of("no_route", check("GET", "/nowhere", ALICE, Map.of()), 404, "route not found"),
        Arguments.of("not_yet", check("POST", "/items", ALICE, Map.of()), 404, "route not found"),
        Arguments.of("retired", check("GET", "/v1/items", ALICE, Map.of()), 410, "route retired"),
        Arguments.of("bad_request", check("GET", "/items/%2e%2e/x", ALICE, Map.of()), 400, "bad request path"),
        Arguments.of("unauthenticated", check("GET", "/items/1", null, Map.of()), 401, "authentication required"),
        Arguments.of("budget", check("GET", "/scan", Map.of("sub", "zed"), Map.of()), 403,
            "policy evaluation limit exceeded"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("programOutcomes")
  void eachOutcomeOfTheProgramIsAnsweredAndCountedByOutcome(String outcome, CheckRequest request, int status,
      String reason) throws Exception {
    try (Sidecar s = Sidecar.with().bundle(Sidecar.writeBundle(dir)).start()) {
      CheckResponse r = s.checks().check(request);
      if (status == 200) {
        assertThat(r.hasOkResponse()).isTrue();
      } else {
        assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(status);
        assertThat(body(r).get("reason").asText()).isEqualTo(reason);
      }
      assertThat(s.value(decisions("ext_authz", outcome, status))).isEqualTo(1.0);
      assertThat(s.value("warden_internal_errors_total")).isZero();
    }
  }

  @Test
  void refusalsAroundTheProgramAreDecisionsWithTheirOutcome() throws Exception {
    Path jwks = new Tokens(Sidecar.NOW).writeJwks(Files.createDirectories(dir.resolve("keys")));
    JwtVerifier jwt = new JwtVerifier(ServerConfig.load(null, Map.of(), withBundle(Tokens.config(jwks))).jwt(),
        Clock.fixed(Sidecar.NOW, ZoneOffset.UTC));
    try (LogCapture logs = new LogCapture(Level.INFO);
        Sidecar s = Sidecar.with().bundle(Sidecar.writeBundle(Files.createDirectories(dir.resolve("b")))).jwt(jwt)
            .start()) {
      CheckResponse badToken = s.checks().check(check("GET", "/items/1", null, Map.of("authorization", "Bearer x.y.z")));
      assertThat(badToken.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(401);
      assertThat(body(badToken).get("reason").asText()).isEqualTo("invalid credentials");
      CheckResponse noMethod = s.checks().check(CheckRequest.getDefaultInstance());
      assertThat(noMethod.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(400);
      assertThat(body(noMethod).get("reason").asText()).isEqualTo("bad request");
      assertThat(s.value(decisions("ext_authz", "unauthenticated", 401))).isEqualTo(1.0);
      assertThat(s.value(decisions("ext_authz", "bad_request", 400))).isEqualTo(1.0);
      // The real reasons go to the log at INFO, under the id the client saw; never to the client.
      assertThat(logs.warnings()).anySatisfy(l -> assertThat(l).startsWith("INFO")
          .contains("decision " + body(badToken).get("decision_id").asText() + ": ext_authz deny 401 unauthenticated")
          .contains("invalid bearer token"));
      assertThat(logs.warnings()).anySatisfy(l -> assertThat(l).startsWith("INFO")
          .contains("decision " + body(noMethod).get("decision_id").asText() + ": ext_authz deny 400 bad_request")
          .contains("no HTTP method or path"));
    }
  }

  @Test
  void aPermitThatOverflowsThenAPermitThatAllowsIsAnAllowWithItsErrorCountedAndLogged() throws Exception {
    try (LogCapture logs = new LogCapture(Level.INFO);
        Sidecar s = Sidecar.with().bundle(Sidecar.writeBundle(dir)).start()) {
      CheckResponse r = s.checks().check(check("GET", "/calc", Map.of("sub", "alice", "level", 5), Map.of()));
      assertThat(r.hasOkResponse()).isTrue();
      String id = r.getDynamicMetadata().getFieldsOrThrow("decision_id").getStringValue();
      assertThat(s.value(decisions("ext_authz", "allow", 200))).isEqualTo(1.0);
      assertThat(s.value("warden_evaluation_errors_total{kind=\"overflow\"}")).isEqualTo(1.0);
      assertThat(logs.warnings()).anySatisfy(l -> assertThat(l)
          .startsWith("INFO dev.warden.server.authz.DecisionRecorder - decision " + id + ": ext_authz allow 200 allow GET work.calc")
          .contains("errors: overflow in `")
          .contains(" at work.warden:"));
      // Without the second permit's principal, the same error comes with the default deny.
      CheckResponse bob = s.checks().check(check("GET", "/calc", Map.of("sub", "bob", "level", 5), Map.of()));
      assertThat(bob.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
      assertThat(body(bob).toString()).doesNotContain("overflow");
      assertThat(s.value("warden_evaluation_errors_total{kind=\"overflow\"}")).isEqualTo(2.0);
    }
  }

  /** The ways Warden itself fails, each through the real service: internal, program error, no policy, overload. */
  @ParameterizedTest(name = "authz.failure_status {0}")
  @ValueSource(ints = {403, 503})
  void internalErrorsHonourTheFailureStatusWithAGenericReasonAndADecisionId(int failureStatus) throws Exception {
    Path bundle = Sidecar.writeBundle(dir);
    String error = failureStatus == 403 ? "forbidden" : "unavailable";
    // A stack overflow anywhere in deciding.
    try (LogCapture logs = new LogCapture(Level.INFO);
        Sidecar s = Sidecar.with().bundle(bundle).failureStatus(failureStatus)
            .evaluation((p, call, r, steps, deadline) -> {
              throw new StackOverflowError("secret frame dev.warden.Internal");
            }).start()) {
      CheckResponse r = s.checks().check(check("GET", "/items/1", ALICE, Map.of()));
      String id = assertGenericDenial(r, failureStatus, error, "internal error");
      assertThat(s.value(decisions("ext_authz", "error", failureStatus))).isEqualTo(1.0);
      assertThat(s.value("warden_internal_errors_total")).isEqualTo(1.0);
      assertThat(logs.warnings()).anySatisfy(l -> assertThat(l).startsWith("ERROR")
          .contains("decision " + id + ": ext_authz deny " + failureStatus + " error GET")
          .contains("[java.lang.StackOverflowError: secret frame dev.warden.Internal]"));
    }
    // The program's own error outcome: the real program deciding over a header map that fails
    // when read, a defect it answers with outcome `error` and status 500.
    try (LogCapture logs = new LogCapture(Level.INFO);
        Sidecar s = Sidecar.with().bundle(bundle).failureStatus(failureStatus)
            .evaluation((p, call, r, steps, deadline) -> p.tryDecide(broken(r), steps, deadline)).start()) {
      CheckResponse r = s.checks().check(check("GET", "/items/1", ALICE, Map.of()));
      String id = assertGenericDenial(r, failureStatus, error, "internal error");
      assertThat(s.value(decisions("ext_authz", "error", failureStatus))).isEqualTo(1.0);
      assertThat(s.value("warden_evaluation_errors_total{kind=\"internal\"}")).isEqualTo(1.0);
      assertThat(s.value("warden_internal_errors_total")).isEqualTo(1.0);
      assertThat(logs.warnings()).anySatisfy(l -> assertThat(l).startsWith("ERROR")
          .contains("decision " + id + ": ext_authz deny " + failureStatus + " error GET work.read")
          .contains("errors: internal in `"));
    }
    // No policy loaded.
    try (Sidecar s = Sidecar.with().failureStatus(failureStatus).start()) {
      CheckResponse r = s.checks().check(check("GET", "/items/1", ALICE, Map.of()));
      assertGenericDenial(r, failureStatus, error, "no policy is loaded");
      assertThat(s.value(decisions("ext_authz", "error", failureStatus))).isEqualTo(1.0);
    }
    // A full heavy queue: `/scan` as u5000 needs some 5,000 steps, more than a first try's.
    try (Sidecar s = Sidecar.with().bundle(bundle).failureStatus(failureStatus).heavy(task -> {
      throw new RejectedExecutionException("full");
    }).start()) {
      CheckResponse r = s.checks().check(check("GET", "/scan", Map.of("sub", "u5000"), Map.of()));
      assertGenericDenial(r, failureStatus, error, "overloaded");
      assertThat(s.value(decisions("ext_authz", "error", failureStatus))).isEqualTo(1.0);
      assertThat(s.value("warden_overloaded_total")).isEqualTo(1.0);
      assertThat(s.value("warden_internal_errors_total")).isZero();
    }
    // A heavy pool that fails otherwise.
    try (Sidecar s = Sidecar.with().bundle(bundle).failureStatus(failureStatus).heavy(task -> {
      throw new IllegalStateException("secret pool state");
    }).start()) {
      CheckResponse r = s.checks().check(check("GET", "/scan", Map.of("sub", "u5000"), Map.of()));
      assertGenericDenial(r, failureStatus, error, "internal error");
      assertThat(s.value("warden_internal_errors_total")).isEqualTo(1.0);
    }
  }

  @Test
  void aHeavyDecisionIsDecidedOnThePoolAndCountedAsAnyOther() throws Exception {
    try (Sidecar s = Sidecar.with().bundle(Sidecar.writeBundle(dir)).start()) {
      assertThat(s.checks().check(check("GET", "/scan", Map.of("sub", "u5000"), Map.of())).hasOkResponse()).isTrue();
      assertThat(s.value("warden_heavy_decisions_total")).isEqualTo(1.0);
      assertThat(s.value(decisions("ext_authz", "allow", 200))).isEqualTo(1.0);
    }
  }

  /** The denial's body holds only public facts; returns the decision id it names. */
  static String assertGenericDenial(CheckResponse r, int status, String error, String reason) throws Exception {
    assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(status);
    JsonNode body = body(r);
    assertThat(body.get("error").asText()).isEqualTo(error);
    assertThat(body.get("reason").asText()).isEqualTo(reason);
    String id = body.get("decision_id").asText();
    assertThat(id).matches("[0-9a-f]{32}");
    assertThat(ExtAuthzServiceTest.headers(r.getDeniedResponse().getHeadersList()))
        .containsEntry(ResponseMapper.DECISION_ID_HEADER, id);
    assertThat(names(body)).containsExactly("error", "reason", "decision_id");
    assertThat(r.toString()).doesNotContain("secret").doesNotContain("Exception").doesNotContain("java.")
        .doesNotContain("work.warden");
    return id;
  }

  private static List<String> names(JsonNode body) {
    List<String> out = new java.util.ArrayList<>();
    body.fieldNames().forEachRemaining(out::add);
    return out;
  }

  static JsonNode body(CheckResponse r) throws Exception {
    return JSON.readTree(r.getDeniedResponse().getBody());
  }

  /** The request with a header map that fails when read: a defect inside evaluation. */
  static Request broken(Request r) {
    Map<String, String> broken = new HashMap<>() {
      @Override
      public String get(Object key) {
        throw new IllegalStateException("secret header map state");
      }
    };
    return new Request(r.id(), r.method(), r.path(), FrozenMap.view(broken), r.host(), r.scheme(), r.time(),
        r.sourceIp(), r.sourcePort(), r.sourcePrincipal(), r.destinationIp(), r.destinationPort(),
        r.destinationPrincipal(), r.context(), r.sni(), r.body(), r.identity());
  }

  static Map<String, String> withBundle(Map<String, String> m) {
    Map<String, String> out = new HashMap<>(m);
    out.put("bundle", "../policies/shop");
    return out;
  }
}
