package dev.warden.server.authz;

import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.Outcome;
import dev.warden.policy.runtime.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One call's decision with what it was made from, as the {@link Authorizer} hands it to the exit
 * of its API: the decision, the request as the policy saw it, the caller, the timings and the
 * decision id. Every call gets exactly one, whatever happened: a denial made outside the program
 * (no policy, credentials that do not verify, a request that cannot be read, an overload, an
 * internal error) is a {@link Decision#refused} decision whose {@link Cause} says which. The
 * exit maps it to the API's answer, counts it, logs it and offers it to the {@link DecisionSink}s.
 * Immutable.
 *
 * @param id the decision id, sent to the client and logged
 * @param api which API asked
 * @param decision the decision; its status is what the client is answered (an `error` outcome
 *     carries `authz.failure_status`)
 * @param cause who decided: the program, or why Warden refused before or around it
 * @param request the request as the policy saw it (with the caller's identity), or null when
 *     Warden refused before it could read one (no policy loaded, a request it cannot read, an
 *     internal error while reading)
 * @param arrivedNanos {@link System#nanoTime()} when the call arrived
 * @param decidedNanos {@link System#nanoTime()} when the decision was made
 * @param heavy whether the decision was made on the heavy pool, off the transport thread
 * @param failure the exception behind an internal error, for the log only; else null
 */
public record DecisionRecord(String id, Api api, Decision decision, Cause cause, Request request, long arrivedNanos,
    long decidedNanos, boolean heavy, Throwable failure, List<ShadowDecision> shadowBundles) {

  public DecisionRecord {
    shadowBundles = List.copyOf(shadowBundles);
  }

  /** A record without shadow bundles' decisions. */
  public DecisionRecord(String id, Api api, Decision decision, Cause cause, Request request, long arrivedNanos,
      long decidedNanos, boolean heavy, Throwable failure) {
    this(id, api, decision, cause, request, arrivedNanos, decidedNanos, heavy, failure, List.of());
  }

  /**
   * What a shadow bundle would have decided for the same request: never enforced, logged and
   * counted. {@code changed} when it answers otherwise than the decision that stood (allowed,
   * status or outcome).
   */
  public record ShadowDecision(String bundle, String revision, Decision decision, boolean changed) {}

  /** This record with the shadow bundles' decisions. */
  public DecisionRecord withShadowBundles(List<ShadowDecision> shadows) {
    return new DecisionRecord(id, api, decision, cause, request, arrivedNanos, decidedNanos, heavy, failure, shadows);
  }

  /** The APIs that ask the Authorizer, by the name metrics and logs use. */
  public enum Api {
    EXT_AUTHZ("ext_authz"),
    DECIDE("decide");

    private final String label;

    Api(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  /** Who decided: the program, or why Warden refused without (or despite) it. */
  public enum Cause {
    /** The program decided (any outcome, its own `error` included). */
    POLICY,
    /** No bundle is active. */
    NO_POLICY,
    /** The active bundle is stale (`reload.max_staleness` passed) and `reload.stale_action` is `deny`. */
    STALE_POLICY,
    /** The call cannot be read as a request (Envoy's, or the decide API's parameters). */
    BAD_REQUEST,
    /** Credentials were presented and did not verify. */
    BAD_CREDENTIALS,
    /** The heavy pool's queue was full. */
    OVERLOADED,
    /** Warden failed: an exception, or no decision within the call's time. */
    INTERNAL
  }

  /** Whether this is a failure of Warden's (the program's `error` outcome included), not a verdict. */
  public boolean internalError() {
    return cause == Cause.INTERNAL || decision.outcome() == Outcome.ERROR && cause == Cause.POLICY;
  }

  /** Nanoseconds from the call's arrival to its decision. */
  public long decideNanos() {
    return decidedNanos - arrivedNanos;
  }

  /**
   * The caller's id as its credential states it: the `sub` claim of its token or API key record,
   * else its mTLS peer's SPIFFE id; null for an anonymous caller or an unread request. This is
   * the credential's word, read when asked (nothing is built per Check), not the typed principal
   * of the bundle's `principal` block, which the language does not hand out.
   */
  public String principalId() {
    Identity who = request == null ? null : request.identity();
    if (who == null) {
      return null;
    }
    Object sub = who.claims() == null ? null : who.claims().get("sub");
    return sub instanceof String s ? s : who.peer();
  }

  /** The string values of the credential's `roles` claim, read when asked; empty when there are none. */
  public List<String> roles() {
    Map<String, Object> claims = request == null ? null : request.identity().claims();
    if (claims == null || !(claims.get("roles") instanceof List<?> list)) {
      return List.of();
    }
    List<String> out = new ArrayList<>(list.size());
    for (Object o : list) {
      if (o instanceof String s) {
        out.add(s);
      }
    }
    return List.copyOf(out);
  }
}
