package dev.warden.policy.runtime;

/**
 * What kind of answer a decision is. The status says what the client sees; the outcome says why,
 * for metrics, decision logs and tests: two denials with the same 403 can be a forbid that applied
 * or no rule that allowed, and a 401 can be a missing identity or a forbid about the principal.
 */
public enum Outcome {
  /** A grant or permit allowed the request. */
  ALLOW(true),
  /** A forbid applied (or could not be evaluated, which counts as applying). */
  FORBID(false),
  /** A route matched and no grant or permit allowed: the default deny. */
  DEFAULT_DENY(false),
  /** No route is declared for the method and path. */
  NO_ROUTE(false),
  /** The route is declared but not available yet (`since` is in the future). */
  NOT_YET(false),
  /** The route was retired (410). */
  RETIRED(false),
  /** The request line or the request itself is malformed or ambiguous (400). */
  BAD_REQUEST(false),
  /**
   * The request does not match its route's schema: a field of the wrong shape or undeclared (400),
   * a body too large or cut short (413), a body of another content type (415).
   */
  SCHEMA(false),
  /** A quota refused the request (429): its bucket did not hold the tokens the request costs. */
  QUOTA(false),
  /** The credentials were missing where required, invalid, or do not make a principal (401). */
  UNAUTHENTICATED(false),
  /** The decision reached the step budget or its deadline. */
  BUDGET(false),
  /** Something failed that is not the request's fault: no policy, overload, an internal error. */
  ERROR(false);

  private final boolean allowed;

  Outcome(boolean allowed) {
    this.allowed = allowed;
  }

  public boolean allowed() {
    return allowed;
  }

  /** The name used in metrics, logs and JSON: lower case with underscores (`default_deny`). */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
