package dev.warden.server.authz;

import dev.warden.policy.runtime.Decision;
import dev.warden.server.authz.DecisionRecord.Api;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.trace.Span;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envoy's `envoy.service.auth.v3.Authorization/Check`: the {@link Authorizer} decides, and
 * {@link #answer} — the one exit — maps the record to the CheckResponse, sends it, and has the
 * {@link DecisionRecorder} count, log and offer it. Nearly every call is decided and answered
 * before {@link #check} returns, on the transport thread; a heavy decision is answered from the
 * heavy pool when it completes. Never blocks and never fails the call: anything unexpected is a
 * denial with `authz.failure_status`, the generic reason "internal error" and a decision id, and
 * the details go to the log under that id.
 */
public final class ExtAuthzService extends AuthorizationGrpc.AuthorizationImplBase {
  private static final Logger log = LoggerFactory.getLogger(ExtAuthzService.class);

  private final Authorizer authorizer;
  private final ResponseMapper responses;
  private final DecisionRecorder recorder;
  private final CallTracing tracing;

  public ExtAuthzService(Authorizer authorizer, ResponseMapper responses, DecisionRecorder recorder) {
    this(authorizer, responses, recorder, CallTracing.OFF);
  }

  /** @param tracing the span of each Check: started when it arrives, ended once it is answered */
  public ExtAuthzService(Authorizer authorizer, ResponseMapper responses, DecisionRecorder recorder,
      CallTracing tracing) {
    this.authorizer = authorizer;
    this.responses = responses;
    this.recorder = recorder;
    this.tracing = tracing;
  }

  @Override
  public void check(CheckRequest request, StreamObserver<CheckResponse> observer) {
    Span span = tracing.startCheck(request);
    CompletionStage<DecisionRecord> stage;
    try {
      stage = authorizer.check(request);
    } catch (RuntimeException | StackOverflowError e) {
      answer(observer, span, authorizer.lost(Api.EXT_AUTHZ, e));
      return;
    }
    // The common case, decided on this thread: answered at once, with nothing more allocated.
    if (stage instanceof CompletableFuture<DecisionRecord> f && f.isDone() && !f.isCompletedExceptionally()) {
      answer(observer, span, f.join());
      return;
    }
    stage.whenComplete((r, e) -> answer(observer, span, r != null ? r : authorizer.lost(Api.EXT_AUTHZ, e)));
  }

  /** The one exit: the record's answer, sent once; then the span ended, and the record counted, logged and offered. */
  private void answer(StreamObserver<CheckResponse> observer, Span span, DecisionRecord r) {
    CheckResponse response;
    try {
      Decision d = r.decision();
      Map<String, String> headers = r.request() == null ? Map.of() : r.request().headers();
      response = responses.toResponse(d, r.id(), headers);
    } catch (RuntimeException | StackOverflowError e) {
      r = authorizer.failed(r, e);
      response = responses.denied(r.decision().status(), r.decision().reason(), r.id());
    }
    long answered = System.nanoTime();
    try {
      observer.onNext(response);
      observer.onCompleted();
    } catch (RuntimeException e) {
      // The call is gone (cancelled, or the server stopping): there is no one left to answer.
      log.debug("decision {}: the answer could not be sent", r.id(), e);
    }
    tracing.end(span, r);
    recorder.answered(r, answered);
  }
}
