package dev.warden.server.authz;

import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Deadline;
import dev.warden.server.ActiveBundle;
import dev.warden.server.BundleSet;
import dev.warden.server.authz.DecisionRecord.Api;
import dev.warden.server.authz.DecisionRecord.Cause;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Candidate bundles decided beside the enforcing ones, never enforced (`shadow_bundle`): for each
 * answered Check the enforcing policy decided, what each shadow bundle would have answered. The
 * recorder asks once the answer has gone out, so a shadow bundle adds nothing to a Check's
 * latency; its cost is bounded by its own step budget.
 *
 * <p>A shadow bundle named N shadows the enforcing bundle named N, or the only enforcing bundle
 * when there is one: it decides the Checks that bundle decided, and those no enforcing bundle
 * declares a route for but it does (new routes). Each decides the request exactly as the policy
 * saw it, the caller's identity as Warden resolved it included. Calls of the decide API are not
 * shadowed: a route call names a route of the enforcing bundle, not of the candidate.
 */
public final class ShadowBundles {
  private static final Logger log = LoggerFactory.getLogger(ShadowBundles.class);

  /** One shadow bundle: its name, the enforcing bundle it shadows, and its active program. */
  public record Member(String name, String shadows, ActiveBundle bundle) {
    public Member {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(bundle, "bundle");
    }
  }

  private final List<Member> members;
  private final BundleSet enforcing;

  public ShadowBundles(List<Member> members, BundleSet enforcing) {
    this.members = List.copyOf(members);
    this.enforcing = enforcing;
  }

  public boolean isEmpty() {
    return members.isEmpty();
  }

  public List<Member> members() {
    return members;
  }

  /** The record with every shadow bundle's would-be decision added; the record itself when none applies. */
  public DecisionRecord evaluate(DecisionRecord r) {
    if (members.isEmpty() || r.request() == null || r.api() != Api.EXT_AUTHZ || r.cause() != Cause.POLICY) {
      return r;
    }
    List<DecisionRecord.ShadowDecision> out = null;
    for (Member m : members) {
      Program candidate = m.bundle().snapshot().program();
      if (candidate == null || !shadows(m, r, candidate)) {
        continue;
      }
      Decision would;
      try {
        would = candidate.decide(r.request(), Deadline.NONE);
      } catch (RuntimeException | StackOverflowError e) {
        // Program.decide fails closed and never throws; should it, the candidate is at fault.
        log.warn("decision {}: shadow bundle `{}` failed to decide: {}", r.id(), m.name(), e.toString());
        continue;
      }
      if (out == null) {
        out = new ArrayList<>(members.size());
      }
      out.add(new DecisionRecord.ShadowDecision(m.name(), candidate.revision(), would, !r.decision().answersAs(would)));
    }
    return out == null ? r : r.withShadowBundles(out);
  }

  /** Whether member {@code m} decides the request of record {@code r}. */
  private boolean shadows(Member m, DecisionRecord r, Program candidate) {
    List<BundleSet.Member> served = enforcing.members();
    String revision = r.decision().revision();
    for (BundleSet.Member b : served) {
      boolean target = served.size() == 1 || b.name().equals(m.shadows());
      if (target && revision != null && revision.equals(b.bundle().snapshot().revision())) {
        return true;
      }
    }
    // A request none of the enforcing bundles routes, which the candidate routes: a new route.
    return r.decision().route() == null && candidate.declares(r.request());
  }
}
