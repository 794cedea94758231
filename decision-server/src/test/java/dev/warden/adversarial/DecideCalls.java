package dev.warden.adversarial;

import dev.warden.proto.v1.DecideRequest;
import dev.warden.proto.v1.DecideResponse;
import dev.warden.proto.v1.DecisionsGrpc;
import dev.warden.proto.v1.HttpTarget;
import dev.warden.proto.v1.RouteTarget;
import dev.warden.server.Structs;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Sends a case to `warden.v1.Decisions/Decide` over a real gRPC connection, as an application
 * asks about a caller: a route by name with its parameters, or an HTTP target that Warden must
 * read exactly as ext_authz reads Envoy's request.
 */
final class DecideCalls {
  private static final Pattern DECISION_ID_FORMAT = Pattern.compile("[0-9a-f]{32}");

  private final DecisionsGrpc.DecisionsBlockingStub stub;
  private final Duration deadline;

  DecideCalls(DecisionsGrpc.DecisionsBlockingStub stub, Duration deadline) {
    this.stub = stub;
    this.deadline = deadline;
  }

  Answer send(Corpus.Decide d) {
    DecideResponse r;
    try {
      r = stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).decide(request(d));
    } catch (StatusRuntimeException e) {
      return Answer.failed(e.getStatus().getCode().name(), e.getStatus().getDescription());
    }
    List<String> problems = DECISION_ID_FORMAT.matcher(r.getDecisionId()).matches() ? List.of()
        : List.of("decision id `" + r.getDecisionId() + "` is not 32 hex digits");
    return new Answer(r.getStatus(), r.getRoute().isEmpty() ? null : r.getRoute(), r.getAllowed() ? null : r.getReason(),
        List.of(), List.of(), java.util.Map.of(), java.util.Map.of(), null, null, problems);
  }

  static DecideRequest request(Corpus.Decide d) {
    DecideRequest.Builder b = DecideRequest.newBuilder()
        .setTime(Structs.timestamp(d.at() == null ? Callers.DEFAULT_TIME : Instant.parse(d.at())));
    if (d.route() != null) {
      b.setRoute(RouteTarget.newBuilder().setName(d.route()).putAllParams(d.params() == null ? Map.of() : d.params()));
    } else if (d.method() != null || d.path() != null) {
      b.setHttp(HttpTarget.newBuilder().setMethod(d.method() == null ? "" : d.method())
          .setPath(d.path() == null ? "" : d.path()));
    }
    Map<String, Object> claims = Callers.claims(d.as(), d.claims());
    if (claims != null) {
      b.setClaims(Structs.of(claims));
    }
    if (d.peer() != null) {
      b.setPeer(d.peer());
    }
    if (d.headers() != null) {
      b.putAllHeaders(d.headers());
    }
    if (d.body() != null) {
      b.setBody(com.google.protobuf.ByteString.copyFromUtf8(d.body()));
    }
    return b.build();
  }
}
