package dev.warden.server.authz;

import static dev.warden.server.authz.Sidecar.decisions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.proto.v1.DecideRequest;
import dev.warden.proto.v1.DecideResponse;
import dev.warden.proto.v1.HttpTarget;
import dev.warden.proto.v1.RouteTarget;
import dev.warden.server.Structs;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decide API through the same Authorizer: a decision the program made is a response with its
 * outcome and evaluation errors; a refusal Warden made around it keeps its gRPC status and carries
 * the same fields among its status details.
 */
class DecideOutcomesTest {
  @TempDir Path dir;

  static DecideRequest route(String name, Map<String, ?> claims) {
    DecideRequest.Builder b = DecideRequest.newBuilder().setRoute(RouteTarget.newBuilder().setName(name))
        .setTime(Structs.timestamp(Sidecar.NOW));
    if (claims != null) {
      b.setClaims(Structs.of(claims));
    }
    return b.build();
  }

  @Test
  void decisionsCarryTheirOutcome() throws Exception {
    try (Sidecar s = Sidecar.with().bundle(Sidecar.writeBundle(dir)).start()) {
      DecideResponse allowed = s.decisions().decide(DecideRequest.newBuilder()
          .setClaims(Structs.of(AuthorizerOutcomesTest.ALICE))
          .setHttp(HttpTarget.newBuilder().setMethod("GET").setPath("/items/1")).build());
      assertThat(allowed.getOutcome()).isEqualTo("allow");
      assertThat(allowed.getErrorsList()).isEmpty();
      DecideResponse anonymous = s.decisions().decide(route("work.calc", null));
      assertThat(anonymous.getOutcome()).isEqualTo("unauthenticated");
      assertThat(anonymous.getStatus()).isEqualTo(401);
      DecideResponse spent = s.decisions().decide(route("work.scan", Map.of("sub", "zed")));
      assertThat(spent.getOutcome()).isEqualTo("budget");
      assertThat(spent.getErrorsList()).singleElement().satisfies(e -> assertThat(e.getKind()).isEqualTo("budget"));
      assertThat(s.value(decisions("decide", "allow", 200))).isEqualTo(1.0);
      assertThat(s.value(decisions("decide", "budget", 403))).isEqualTo(1.0);
    }
  }

  @Test
  void aPermitThatOverflowsThenAPermitThatAllowsReturnsTheAllowAndTheError() throws Exception {
    try (Sidecar s = Sidecar.with().bundle(Sidecar.writeBundle(dir)).start()) {
      DecideResponse r = s.decisions().decide(route("work.calc", Map.of("sub", "alice", "level", 5)));
      assertThat(r.getAllowed()).isTrue();
      assertThat(r.getOutcome()).isEqualTo("allow");
      assertThat(r.getErrorsList()).singleElement().satisfies(e -> {
        assertThat(e.getKind()).isEqualTo("overflow");
        assertThat(e.getRule()).isEqualTo("work.permit#1");
        assertThat(e.getLocation()).startsWith("work.warden:22:");
        assertThat(e.getMessage()).isEqualTo("arithmetic overflow");
      });
      assertThat(s.value("warden_evaluation_errors_total{kind=\"overflow\"}")).isEqualTo(1.0);
    }
  }

  @Test
  void refusalsKeepTheirGrpcStatusAndCarryTheOutcomeAmongTheDetails() throws Exception {
    Path bundle = Sidecar.writeBundle(dir);
    try (Sidecar s = Sidecar.with().bundle(bundle).start()) {
      DecideResponse bad = refused(s, route("work.nope", null), Status.Code.INVALID_ARGUMENT, "no route `work.nope`");
      assertThat(bad.getOutcome()).isEqualTo("bad_request");
      assertThat(bad.getStatus()).isEqualTo(400);
      assertThat(s.value(decisions("decide", "bad_request", 400))).isEqualTo(1.0);
    }
    try (Sidecar s = Sidecar.with().failureStatus(503).start()) {
      DecideResponse none = refused(s, route("work.calc", null), Status.Code.UNAVAILABLE, "no policy is loaded");
      assertThat(none.getOutcome()).isEqualTo("error");
      assertThat(none.getStatus()).isEqualTo(503);
    }
    try (Sidecar s = Sidecar.with().bundle(bundle).heavy(task -> {
      throw new RejectedExecutionException("full");
    }).start()) {
      DecideResponse busy = refused(s, route("work.scan", Map.of("sub", "u5000")), Status.Code.RESOURCE_EXHAUSTED,
          "overloaded");
      assertThat(busy.getOutcome()).isEqualTo("error");
    }
  }

  @Test
  void internalErrorsAreInternalWithADecisionIdAndNothingInternalSent() throws Exception {
    Path bundle = Sidecar.writeBundle(dir);
    // The program's own error outcome.
    try (Sidecar s = Sidecar.with().bundle(bundle).failureStatus(503)
        .evaluation((p, call, r, steps, deadline) -> p.tryDecide(AuthorizerOutcomesTest.broken(r), steps, deadline))
        .start()) {
      DecideRequest explain = DecideRequest.newBuilder().setClaims(Structs.of(AuthorizerOutcomesTest.ALICE))
          .setHttp(HttpTarget.newBuilder().setMethod("GET").setPath("/items/1")).setExplain(true).build();
      DecideResponse r = refused(s, explain, Status.Code.INTERNAL, "internal error");
      assertThat(r.getOutcome()).isEqualTo("error");
      assertThat(r.getStatus()).isEqualTo(503);
      assertThat(r.getReason()).isEqualTo("internal error");
      assertThat(r.getExplanation()).isEmpty();
      assertThat(r.getErrorsList()).singleElement().satisfies(e -> {
        assertThat(e.getKind()).isEqualTo("internal");
        assertThat(e.getMessage()).isEqualTo("internal error");
      });
      assertThat(r.toString()).doesNotContain("Exception").doesNotContain("secret");
      assertThat(s.value(decisions("decide", "error", 503))).isEqualTo(1.0);
      assertThat(s.value("warden_internal_errors_total")).isEqualTo(1.0);
    }
    // An exception anywhere in deciding.
    try (Sidecar s = Sidecar.with().bundle(bundle).evaluation((p, call, r, steps, deadline) -> {
      throw new IllegalStateException("secret state");
    }).start()) {
      DecideResponse r = refused(s, route("work.calc", null), Status.Code.INTERNAL, "internal error");
      assertThat(r.getOutcome()).isEqualTo("error");
      assertThat(r.toString()).doesNotContain("secret");
    }
  }

  /**
   * Asserts the call fails with {@code code}, a description holding {@code message} and the
   * decision id, and no internals; returns the DecideResponse among the details.
   */
  private static DecideResponse refused(Sidecar s, DecideRequest request, Status.Code code, String message) {
    DecideResponse[] detail = new DecideResponse[1];
    assertThatThrownBy(() -> s.decisions().decide(request)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      com.google.rpc.Status status = StatusProto.fromThrowable(e);
      assertThat(status).isNotNull();
      List<DecideResponse> details = status.getDetailsList().stream().map(a -> {
        try {
          return a.unpack(DecideResponse.class);
        } catch (com.google.protobuf.InvalidProtocolBufferException x) {
          throw new AssertionError(x);
        }
      }).toList();
      assertThat(details).hasSize(1);
      detail[0] = details.get(0);
      assertThat(e.getStatus().getDescription()).contains(message)
          .endsWith(", decision " + detail[0].getDecisionId()).doesNotContain("secret").doesNotContain("Exception");
      assertThat(detail[0].getDecisionId()).matches("[0-9a-f]{32}");
    });
    return detail[0];
  }
}
