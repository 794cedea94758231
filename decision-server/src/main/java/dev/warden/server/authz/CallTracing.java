package dev.warden.server.authz;

import dev.warden.proto.v1.DecideRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.opentelemetry.api.trace.Span;

/**
 * The span of one call, for the exit of each API: {@link #startCheck} or {@link #startDecide} when
 * the call arrives, {@link #end} once it is answered, exactly once, on whichever thread answered.
 * Neither may block or throw.
 *
 * <p>{@link #OFF} (no `tracing.otlp.endpoint`) touches nothing: it returns the API's invalid span,
 * allocates nothing and starts no SDK; the SDK-backed tracing is {@code telemetry.OtlpTracing}.
 */
public interface CallTracing {
  /** No tracing: no span, no SDK, nothing allocated. */
  CallTracing OFF = new CallTracing() {
    @Override
    public Span startCheck(CheckRequest request) {
      return Span.getInvalid();
    }

    @Override
    public Span startDecide(DecideRequest request) {
      return Span.getInvalid();
    }

    @Override
    public void end(Span span, DecisionRecord record) {}
  };

  /** A server span `warden.check`, child of the request's W3C `traceparent` when it has one. */
  Span startCheck(CheckRequest request);

  /** A server span `warden.decide`, child of the `traceparent` among the request's headers when it has one. */
  Span startDecide(DecideRequest request);

  /** Ends {@code span} with what was decided: route, outcome, allowed, revision, decision id; ERROR for an internal error. */
  void end(Span span, DecisionRecord record);
}
