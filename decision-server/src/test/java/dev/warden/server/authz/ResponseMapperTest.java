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
