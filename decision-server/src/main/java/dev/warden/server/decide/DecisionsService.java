package dev.warden.server.decide;

import com.google.protobuf.Any;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.EvalError;
import dev.warden.policy.runtime.Obligations;
import dev.warden.policy.runtime.RuleRef;
import dev.warden.proto.v1.DecideRequest;
import dev.warden.proto.v1.DecideResponse;
import dev.warden.proto.v1.DecisionsGrpc;
import dev.warden.proto.v1.EvaluationError;
import dev.warden.proto.v1.Header;
import dev.warden.proto.v1.Rule;
import dev.warden.server.authz.Authorizer;
import dev.warden.server.authz.CallTracing;
import dev.warden.server.authz.DecisionRecord;
import dev.warden.server.authz.DecisionRecord.Api;
import dev.warden.server.authz.DecisionRecorder;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.trace.Span;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * `warden.v1.Decisions/Decide`: the same decision as ext_authz, asked by an application about a
 * caller, an HTTP request or a route by name, through the same {@link Authorizer}. The claims are
 * the application's word, as the jwt_authn payload is Envoy's: serve this only where ext_authz is
 * served.
 *
 * <p>{@link #answer} is the one exit. A decision the program made is a DecideResponse with its
 * outcome and evaluation errors. A refusal Warden made around the program keeps its gRPC status:
 * INVALID_ARGUMENT for a request that cannot be read (with the message naming what is wrong),
 * UNAVAILABLE with no policy loaded, RESOURCE_EXHAUSTED for an overload, INTERNAL for an error
 * inside Warden (the program's own `error` outcome included); each names the decision id and
 * carries the DecideResponse (outcome, status, reason, decision id) among its status details.
 */
public final class DecisionsService extends DecisionsGrpc.DecisionsImplBase {
  private static final Logger log = LoggerFactory.getLogger(DecisionsService.class);

  private final Authorizer authorizer;
  private final DecisionRecorder recorder;
  private final CallTracing tracing;

  public DecisionsService(Authorizer authorizer, DecisionRecorder recorder) {
    this(authorizer, recorder, CallTracing.OFF);
  }

  /** @param tracing the span of each call: started when it arrives, ended once it is answered */
  public DecisionsService(Authorizer authorizer, DecisionRecorder recorder, CallTracing tracing) {
    this.authorizer = authorizer;
    this.recorder = recorder;
    this.tracing = tracing;
  }

  @Override
  public void decide(DecideRequest request, StreamObserver<DecideResponse> observer) {
    boolean explain = request.getExplain();
    Span span = tracing.startDecide(request);
    CompletionStage<DecisionRecord> stage;
    try {
      stage = authorizer.decide(request);
    } catch (RuntimeException | StackOverflowError e) {
      answer(observer, span, authorizer.lost(Api.DECIDE, e), explain);
      return;
    }
    if (stage instanceof CompletableFuture<DecisionRecord> f && f.isDone() && !f.isCompletedExceptionally()) {
      answer(observer, span, f.join(), explain);
      return;
    }
    stage.whenComplete((r, e) -> answer(observer, span, r != null ? r : authorizer.lost(Api.DECIDE, e), explain));
  }

  /** The one exit: the record's answer, sent once; then the span ended, and the record counted, logged and offered. */
  private void answer(StreamObserver<DecideResponse> observer, Span span, DecisionRecord r, boolean explain) {
    DecideResponse response;
    Status refusal;
    try {
      refusal = refusal(r);
      response = response(r, explain && refusal == null);
    } catch (RuntimeException | StackOverflowError e) {
      r = authorizer.failed(r, e);
      refusal = refusal(r);
      response = DecideResponse.newBuilder().setDecisionId(r.id()).setOutcome(r.decision().outcome().label())
          .setStatus(r.decision().status()).setReason(r.decision().reason()).build();
    }
    long answered = System.nanoTime();
    try {
      if (refusal == null) {
        observer.onNext(response);
        observer.onCompleted();
      } else {
        observer.onError(StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
            .setCode(refusal.getCode().value()).setMessage(refusal.getDescription()).addDetails(Any.pack(response))
            .build()));
      }
    } catch (RuntimeException e) {
      log.debug("decision {}: the answer could not be sent", r.id(), e);
    }
    tracing.end(span, r);
    recorder.answered(r, answered);
  }

  /** The gRPC status of a refusal Warden made around the program, or null for an answer. */
  private static Status refusal(DecisionRecord r) {
    String id = ", decision " + r.id();
    if (r.internalError()) {
      return Status.INTERNAL.withDescription("internal error" + id);
    }
    return switch (r.cause()) {
      // The mapper's message names what is wrong with the caller's own input.
      case BAD_REQUEST -> Status.INVALID_ARGUMENT.withDescription(r.decision().explanation() + id);
      case NO_POLICY -> Status.UNAVAILABLE.withDescription("no policy is loaded" + id);
      case STALE_POLICY -> Status.UNAVAILABLE.withDescription("the policy is stale" + id);
      case OVERLOADED -> Status.RESOURCE_EXHAUSTED.withDescription("overloaded" + id);
      case BAD_CREDENTIALS -> Status.UNAUTHENTICATED.withDescription("invalid credentials" + id);
      case POLICY, INTERNAL -> null;
    };
  }

  private static DecideResponse response(DecisionRecord r, boolean explain) {
    Decision d = r.decision();
    DecideResponse.Builder out = DecideResponse.newBuilder()
        .setAllowed(d.allowed()).setStatus(d.status()).setReason(d.reason()).setDecisionId(r.id())
        .setOutcome(d.outcome().label());
    if (d.revision() != null) {
      out.setRevision(d.revision());
    }
    if (d.route() != null) {
      out.setRoute(d.route());
    }
    if (explain) {
      out.setExplanation(d.explanation());
    }
    for (RuleRef ref : d.rules()) {
      out.addRules(Rule.newBuilder().setId(ref.id()).setKind(ref.kind()).setLocation(ref.location()));
    }
    for (EvalError e : d.errors()) {
      out.addErrors(EvaluationError.newBuilder().setKind(e.kind().label())
          .setRule(e.rule() == null ? "" : e.rule().id()).setLocation(e.location())
          // An internal error's message names Java types: it stays in the log.
          .setMessage(e.kind() == EvalError.Kind.INTERNAL ? "internal error" : e.message()));
    }
    if (!d.obligations().isEmpty()) {
      out.setObligations(obligations(d.obligations()));
    }
    for (dev.warden.policy.runtime.Violation v : d.violations()) {
      out.addViolations(dev.warden.proto.v1.Violation.newBuilder().setPath(v.path()).setProblem(v.problem()));
    }
    return out.build();
  }

  /** The obligations as the decide API tells them; see `Obligations` in decisions.proto. */
  private static dev.warden.proto.v1.Obligations obligations(Obligations o) {
    dev.warden.proto.v1.Obligations.Builder out = dev.warden.proto.v1.Obligations.newBuilder()
        .addAllHeadersToRemove(o.removeUpstreamHeaders())
        .addAllHeaderPatternsToRemove(o.removeUpstreamPatterns())
        .addAllQueryParametersToRemove(o.removeQueryParameters());
    o.upstream(Map.of()).forEach((name, values) ->
        out.addHeadersToSet(Header.newBuilder().setName(name).setValue(values.get(0))));
    o.response().forEach((name, values) ->
        out.addResponseHeaders(Header.newBuilder().setName(name).setValue(values.get(0))));
    return out.build();
  }
}
