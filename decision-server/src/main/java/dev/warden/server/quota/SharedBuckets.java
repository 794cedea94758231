package dev.warden.server.quota;

import dev.warden.policy.runtime.QuotaCharge;
import dev.warden.policy.runtime.QuotaResult;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The buckets of `scope global` quotas, shared by every replica of the sidecar. The authorizer
 * calls {@link #admit} once a request, with that request's global charges; what it does when the
 * store cannot answer (the quota's `fallback`) is the authorizer's business, not the store's.
 */
public interface SharedBuckets extends AutoCloseable {
  /**
   * Charges {@code charges} with the semantics of
   * {@link dev.warden.policy.runtime.QuotaAdmission#admit QuotaAdmission.admit} and
   * {@link QuotaResult.Via#GLOBAL}: the enforced charges all or none (those not charged because
   * another refused are marked {@link QuotaResult.Via#NOT_CHARGED}), each shadow charge alone;
   * the answers in the order of the charges.
   *
   * <p>Never blocks the caller. The stage completes exceptionally with {@link RedisUnavailable}
   * (its message for humans) when the store cannot answer within the timeout, is not connected,
   * or answers with an error; it may complete on the client's I/O thread, so dependent actions
   * must not block either.
   */
  CompletionStage<List<QuotaResult>> admit(List<QuotaCharge> charges);

  /** For /status and metrics: whether the store answers, since when, and the last trouble. */
  Health health();

  /** Closes the connections; later admits complete exceptionally. */
  @Override
  void close();

  /**
   * The store's health.
   *
   * @param reachable whether the last thing heard of the store (a connection event or an answer) was good
   * @param since when {@code reachable} last changed (or the store was opened)
   * @param lastError the last trouble, for humans (never a password); null when there was none
   * @param reconnectAttempts attempts to connect again since the store was opened (monotonic, a counter)
   */
  record Health(boolean reachable, Instant since, String lastError, long reconnectAttempts) {}
}
