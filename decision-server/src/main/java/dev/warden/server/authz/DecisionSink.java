package dev.warden.server.authz;

/**
 * Where answered decisions go besides the answer, the metrics and the log line: the hook for
 * decision logs (and anything else that wants every decision). The exit of each API calls every
 * sink once per call, after the answer has gone out, on whichever thread answered (usually the
 * transport thread), so a sink must not block: it queues (bounded, counting what it drops) and
 * returns. A sink that throws is logged and does not affect the call.
 */
@FunctionalInterface
public interface DecisionSink {
  void offer(DecisionRecord record);
}
