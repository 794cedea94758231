package dev.warden.server.decisionlog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.warden.bundle.BundleReader;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.Request;
import dev.warden.proto.v1.LoggedBundle;
import dev.warden.server.authz.DecisionRecord;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** `decision_log.http.format: opa`: each record posted as the event OPA's decision log API defines. */
class OpaEventsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

  @Test
  void aRecordBecomesAnOpaEventWithNothingLost() throws Exception {
    Program shop = BundleCompiler.standard().compile(BundleReader.read(Path.of("..", "policies", "shop"))).program();
    RecordEncoder encoder = new RecordEncoder(Masking.defaults("x-api-key", ValueHasher.random()),
        revision -> new RecordEncoder.KnownBundle(LoggedBundle.newBuilder().setName("shop").setRevision(revision)
            .setDigest("sha256:" + "ab".repeat(32)).build(), PolicyRedactions.of(shop.logRedactions())), NOW, 0);
    Request q = Request.builder("GET", "/orders?token=t0p&page=2", NOW)
        .headers(Map.of("authorization", "Bearer x", "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        .source(dev.warden.policy.runtime.IpAddress.parse("10.1.2.3"), 4711, null)
        .identity(Identity.ofClaims(Map.of("sub", "alice", "roles", List.of("customer"), "tenant", "acme"))).build();
    DecisionRecord r = new DecisionRecord("d-1", DecisionRecord.Api.EXT_AUTHZ, shop.decide(q),
        DecisionRecord.Cause.POLICY, q, 0, 250_000, false, null);
    byte[] line = encoder.line(r);
    JsonNode record = JSON.readTree(line);
    JsonNode e = JSON.readTree(new OpaEvents("instance-1", "0.1.0").of(line));

    assertThat(e.path("labels").path("app").asText()).isEqualTo("warden");
    assertThat(e.path("labels").path("id").asText()).isEqualTo("instance-1");
    assertThat(e.path("labels").path("version").asText()).isEqualTo("0.1.0");
    assertThat(e.path("decision_id").asText()).isEqualTo("d-1");
    assertThat(e.path("bundles").path("shop").path("revision").asText()).isEqualTo(shop.revision());
    assertThat(e.path("path").asText()).isEqualTo("warden/ext_authz");
    assertThat(e.path("input").path("request")).isEqualTo(record.path("request"));
    assertThat(e.path("input").path("principal")).isEqualTo(record.path("principal"));
    assertThat(e.path("result").path("allowed").asBoolean()).isEqualTo(record.path("allowed").asBoolean());
    assertThat(e.path("result").path("status")).isEqualTo(record.path("status"));
    assertThat(e.path("result").path("outcome")).isEqualTo(record.path("outcome"));
    assertThat(e.path("requested_by").asText()).isEqualTo("10.1.2.3");
    assertThat(e.path("timestamp")).isEqualTo(record.path("time"));
    assertThat(e.path("metrics").path("timer_server_handler_ns").asLong()).isEqualTo(250_000);
    assertThat(e.path("trace_id").asText()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(e.path("span_id").asText()).isEqualTo("00f067aa0ba902b7");
    List<String> masked = JSON.convertValue(e.path("masked"), List.class);
    assertThat(masked).contains("/input/request/headers/authorization", "/input/request/query/token");
    assertThat(e.path("warden").path("digest").asText()).isEqualTo("sha256:" + "ab".repeat(32));
    assertThat(new String(new OpaEvents("i", "v").of(line))).doesNotContain("t0p");
  }

  @Test
  void removedFieldsAreErasedAndPointersAreEscaped() throws Exception {
    byte[] line = ("{\"version\":1,\"decisionId\":\"d\",\"api\":\"decide\",\"outcome\":\"forbid\",\"status\":403,"
        + "\"masked\":[\"request.query.debug#remove\",\"principal.claims.a/b~c#hash\"]}").getBytes();
    JsonNode e = JSON.readTree(new OpaEvents("i", "v").of(line));
    assertThat(e.path("erased").get(0).asText()).isEqualTo("/input/request/query/debug");
    assertThat(e.path("masked").get(0).asText()).isEqualTo("/input/principal/claims/a~1b~0c");
    assertThat(e.path("result").path("allowed").asBoolean(true)).isFalse();
    assertThat(e.has("bundles")).isFalse();
  }

  @Test
  void theCollectorsBodyHoldsTheEvents() throws Exception {
    byte[] line = "{\"version\":1,\"decisionId\":\"d-9\",\"api\":\"decide\",\"allowed\":true,\"status\":200}".getBytes();
    byte[] body = HttpCollectorSink.body(List.of(line, line), HttpCollectorSink.opaEvents("i", "v"));
    JsonNode array = JSON.readTree(new GZIPInputStream(new ByteArrayInputStream(body)));
    assertThat(array).hasSize(2);
    assertThat(array.get(1).path("decision_id").asText()).isEqualTo("d-9");
    assertThat(array.get(1).path("result").path("allowed").asBoolean()).isTrue();
  }
}
