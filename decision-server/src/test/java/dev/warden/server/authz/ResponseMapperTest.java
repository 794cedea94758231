package dev.warden.server.authz;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Obligations;
import dev.warden.policy.runtime.Outcome;
import dev.warden.policy.runtime.RuleRef;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResponseMapperTest {
  final ResponseMapper mapper = new ResponseMapper(List.of("x-user-id"), true);

  static Decision deny(int status, String reason) {
    return new Decision(Outcome.FORBID, status, reason, () -> "", List.of(new RuleRef("orders.owner_only", "forbid", "a:1")),
        "orders.read", "r1", Obligations.NONE, List.of());
  }

  static JsonNode body(CheckResponse r) throws Exception {
    return new ObjectMapper().readTree(r.getDeniedResponse().getBody());
  }

  @Test
  void aReasonThatNeedsEscapingStillMakesValidJson() throws Exception {
    String reason = "say \"please\"\\ then\nwait";
    CheckResponse r = mapper.toResponse(deny(403, reason), "d-1", Map.of());
    JsonNode body = body(r);
    assertThat(body.get("error").asText()).isEqualTo("forbidden");
    assertThat(body.get("reason").asText()).isEqualTo(reason);
    assertThat(body.get("decision_id").asText()).isEqualTo("d-1");
    assertThat(r.getStatus().getMessage()).isEqualTo(reason);
  }

  @Test
  void keptPartsNeverCarryAnotherDecisionsId() throws Exception {
    CheckResponse first = mapper.toResponse(deny(403, "only the owner"), "d-1", Map.of());
    CheckResponse second = mapper.toResponse(deny(403, "only the owner"), "d-2", Map.of());
    assertThat(body(first).get("decision_id").asText()).isEqualTo("d-1");
    assertThat(body(second).get("decision_id").asText()).isEqualTo("d-2");
    assertThat(second.getDynamicMetadata().getFieldsOrThrow("decision_id").getStringValue()).isEqualTo("d-2");
    assertThat(ExtAuthzServiceTest.headers(second.getDeniedResponse().getHeadersList()))
        .containsEntry(ResponseMapper.DECISION_ID_HEADER, "d-2");
    // The same reason under another status is another denial.
    CheckResponse gone = mapper.toResponse(deny(410, "only the owner"), "d-3", Map.of());
    assertThat(body(gone).get("error").asText()).isEqualTo("gone");
    assertThat(gone.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(410);
  }

  @Test
  void statusesOutsideEnvoysListAreForbiddenAnd401ChallengesForABearerToken() throws Exception {
    CheckResponse odd = mapper.toResponse(deny(299, "odd"), "d-1", Map.of());
    assertThat(odd.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
    assertThat(body(odd).get("error").asText()).isEqualTo("denied");
    CheckResponse unauthenticated = mapper.denied(401, "invalid credentials", "d-2");
    assertThat(ExtAuthzServiceTest.headers(unauthenticated.getDeniedResponse().getHeadersList()))
        .containsEntry("www-authenticate", "Bearer");
    assertThat(unauthenticated.getStatus().getCode()).isEqualTo(com.google.rpc.Code.UNAUTHENTICATED_VALUE);
    assertThat(unauthenticated.getDynamicMetadata().getFieldsMap()).containsOnlyKeys("decision_id");
  }

  @Test
  void clientHeadersNamedLikeWardensAreRecognizedWithDashesOrUnderscores() {
    for (String h : new String[] {"x-warden-user", "x_warden_user", "x-warden_roles", "x_warden-tenant"}) {
      assertThat(ResponseMapper.isWardenHeader(h)).as(h).isTrue();
    }
    for (String h : new String[] {"x-warden-", "x-wardenx", "x-user-id", "xx-warden-a", "warden-a"}) {
      assertThat(ResponseMapper.isWardenHeader(h)).as(h).isFalse();
    }
  }

  @Test
  void anAllowStripsSpoofableHeadersAndNamesTheDecidingRules() {
    Decision allow = new Decision(Outcome.ALLOW, 200, "allowed", () -> "",
        List.of(new RuleRef("role.customer#1", "grant", "a:1"), new RuleRef("orders.open", "permit", "a:2")),
        "orders.read", "r1", Obligations.NONE, List.of());
    CheckResponse r = mapper.toResponse(allow, "d-9", Map.of("x-warden-decision-id", "spoofed", "accept", "*/*"));
    // Envoy removes after it sets: listing the decision id would erase the real one upstream.
    // The client's value is overwritten by the header Warden sets instead.
    assertThat(r.getOkResponse().getHeadersToRemoveList()).containsExactly("x-user-id");
    assertThat(ExtAuthzServiceTest.headers(r.getOkResponse().getHeadersList()))
        .containsExactly(Map.entry(ResponseMapper.DECISION_ID_HEADER, "d-9"));
    assertThat(r.getDynamicMetadata().getFieldsOrThrow("rules").getStringValue())
        .isEqualTo("role.customer#1,orders.open");
    assertThat(r.getDynamicMetadata().getFieldsOrThrow("route").getStringValue()).isEqualTo("orders.read");
  }

  static Decision allowWith(Obligations o) {
    return new Decision(Outcome.ALLOW, 200, "allowed", () -> "", List.of(new RuleRef("role.customer#1", "grant", "a:1")),
        "orders.read", "r1", o, List.of());
  }

  @Test
  void theHeadersAPolicySetsReplaceEveryCopyTheClientSent() {
    Obligations o = new Obligations(
        List.of(new Obligations.Header("x-user-id", "alice", false), new Obligations.Header("x-roles", "a", true),
            new Obligations.Header("x-roles", "b", true)),
        List.of("x-tenant-id"), List.of("x-internal-*"), List.of(), List.of());
    List<Map.Entry<String, String>> sent = List.of(Map.entry("X-User-Id", "mallory"), Map.entry("x-user-id", "root"),
        Map.entry("x_user_id", "root"), Map.entry("x-roles", "admin"), Map.entry("x_roles", "admin"),
        Map.entry("x-tenant-id", "evil"), Map.entry("x_tenant_id", "evil"), Map.entry("x-internal-debug", "1"),
        Map.entry("x_internal_trace", "1"), Map.entry("host", "shop"), Map.entry("accept", "*/*"));
    // Envoy hands the names over in lower case, a repeated one once, its values joined.
    Map<String, String> checked = new java.util.LinkedHashMap<>();
    sent.forEach(e -> checked.merge(e.getKey().toLowerCase(), e.getValue(), (a, b) -> a + "," + b));
    CheckResponse r = mapper.toResponse(allowWith(o), "d-1", checked);
    var upstream = dev.warden.server.EnvoyHeaders.upstream(sent, r.getOkResponse());
    assertThat(upstream).containsOnlyKeys("x-user-id", "x-roles", "host", "accept", ResponseMapper.DECISION_ID_HEADER);
    assertThat(upstream.get("x-user-id")).containsExactly("alice");
    assertThat(upstream.get("x-roles")).as("one line: alike on every Envoy").containsExactly("a, b");
    // Envoy removes after it sets: a written header is never listed for removal.
    assertThat(r.getOkResponse().getHeadersToRemoveList()).doesNotContain("x-user-id", "x-roles", "host")
        .contains("x_user_id", "x_roles", "x-tenant-id", "x_tenant_id", "x-internal-debug", "x_internal_trace");
    assertThat(r.getOkResponse().getHeadersList()).extracting(h -> h.getHeader().getKey() + " " + h.getAppendAction())
        .containsExactly(ResponseMapper.DECISION_ID_HEADER + " OVERWRITE_IF_EXISTS_OR_ADD",
            "x-user-id OVERWRITE_IF_EXISTS_OR_ADD", "x-roles OVERWRITE_IF_EXISTS_OR_ADD");
  }

  @Test
  void aStripHeaderThePolicyWritesIsWrittenNotRemoved() {
    // The mapper strips `x-user-id` from every allowed request, unless the policy writes it.
    Obligations o = new Obligations(List.of(new Obligations.Header("x-user-id", "alice", false)), List.of(), List.of(),
        List.of(), List.of());
    CheckResponse r = mapper.toResponse(allowWith(o), "d-1", Map.of("x-user-id", "root"));
    assertThat(r.getOkResponse().getHeadersToRemoveList()).isEmpty();
    assertThat(dev.warden.server.EnvoyHeaders.upstream(Map.of("x-user-id", "root"), r.getOkResponse()).get("x-user-id"))
        .containsExactly("alice");
  }

  @Test
  void responseHeadersGoToTheClientOnAllowAndOnDeny() {
    Obligations onAllow = new Obligations(List.of(), List.of(), List.of(), List.of(),
        List.of(new Obligations.Header("cache-control", "no-store", false), new Obligations.Header("vary", "origin", true)));
    CheckResponse ok = mapper.toResponse(allowWith(onAllow), "d-1", Map.of());
    assertThat(ok.getOkResponse().getResponseHeadersToAddList())
        .extracting(h -> h.getHeader().getKey() + "=" + h.getHeader().getValue() + " " + h.getAppendAction())
        .containsExactly("cache-control=no-store OVERWRITE_IF_EXISTS_OR_ADD", "vary=origin APPEND_IF_EXISTS_OR_ADD");
    Obligations onDeny = new Obligations(List.of(), List.of(), List.of(), List.of(),
        List.of(new Obligations.Header("cache-control", "no-store", false), new Obligations.Header("vary", "a", true),
            new Obligations.Header("vary", "b", true)));
    Decision denied = new Decision(Outcome.FORBID, 403, "no", () -> "", List.of(), "orders.read", "r1", onDeny,
        List.of());
    CheckResponse r = mapper.toResponse(denied, "d-2", Map.of());
    var headers = dev.warden.server.EnvoyHeaders.denial(r.getDeniedResponse().getHeadersList());
    assertThat(headers).containsEntry("cache-control", List.of("no-store")).containsEntry("vary", List.of("a, b"))
        .containsEntry("content-type", List.of("application/json"))
        .containsEntry(ResponseMapper.DECISION_ID_HEADER, List.of("d-2"));
    assertThat(r.getDeniedResponse().getBody()).contains("\"decision_id\":\"d-2\"");
  }

  @Test
  void withoutDynamicMetadataTheAnswersCarryNone() {
    ResponseMapper lean = new ResponseMapper(List.of(), false);
    Decision allow = new Decision(Outcome.ALLOW, 200, "allowed", () -> "", List.of(new RuleRef("role.customer#1", "grant", "a:1")),
        "orders.read", "r1", Obligations.NONE, List.of());
    CheckResponse ok = lean.toResponse(allow, "d-1", Map.of());
    assertThat(ok.hasDynamicMetadata()).isFalse();
    assertThat(ExtAuthzServiceTest.headers(ok.getOkResponse().getHeadersList()))
        .containsEntry(ResponseMapper.DECISION_ID_HEADER, "d-1");
    CheckResponse denied = lean.toResponse(deny(403, "no"), "d-2", Map.of());
    assertThat(denied.hasDynamicMetadata()).isFalse();
    assertThat(denied.getDeniedResponse().getBody()).contains("\"decision_id\":\"d-2\"");
    assertThat(lean.denied(400, "bad request", "d-3").hasDynamicMetadata()).isFalse();
  }
}
