package dev.warden.server;

import dev.warden.server.admin.ServerMetrics;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * Counts every RPC of every service on the gRPC listener ({@link ServerMetrics.GrpcCalls}):
 * started when the call arrives, handled once, with the status the server closed it with, or
 * CANCELLED when the client (or its deadline) ended it first, and the time in between.
 *
 * <p>Costs a call two small objects (the call and listener wrappers) and no lock: the method's
 * series are looked up once and kept.
 */
final class GrpcMetricsInterceptor implements ServerInterceptor {
  private final ServerMetrics.GrpcCalls calls;

  GrpcMetricsInterceptor(ServerMetrics.GrpcCalls calls) {
    this.calls = calls;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
      ServerCallHandler<Q, A> next) {
    ServerMetrics.GrpcCalls.Method method = calls.method(call.getMethodDescriptor());
    method.started();
    Counted<Q, A> counted = new Counted<>(call, method, System.nanoTime());
    ServerCall.Listener<Q> listener;
    try {
      listener = next.startCall(counted, headers);
    } catch (RuntimeException | Error e) {
      // grpc-java closes the call as UNKNOWN, past this interceptor: count it here.
      counted.done(Status.Code.UNKNOWN);
      throw e;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onCancel() {
        counted.done(Status.Code.CANCELLED);
        super.onCancel();
      }
    };
  }

  /** The call, counted as handled exactly once: by its close, or by its cancellation. */
  private static final class Counted<Q, A> extends ForwardingServerCall.SimpleForwardingServerCall<Q, A> {
    private static final AtomicIntegerFieldUpdater<Counted<?, ?>> DONE =
        AtomicIntegerFieldUpdater.newUpdater(castClass(), "done");

    private final ServerMetrics.GrpcCalls.Method method;
    private final long startNanos;
    private volatile int done;

    Counted(ServerCall<Q, A> call, ServerMetrics.GrpcCalls.Method method, long startNanos) {
      super(call);
      this.method = method;
      this.startNanos = startNanos;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Class<Counted<?, ?>> castClass() {
      return (Class) Counted.class;
    }

    @Override
    public void close(Status status, Metadata trailers) {
      done(status.getCode());
      super.close(status, trailers);
    }

    void done(Status.Code code) {
      if (DONE.compareAndSet(this, 0, 1)) {
        method.handled(code, System.nanoTime() - startNanos);
      }
    }
  }
}
