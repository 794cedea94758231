package dev.warden.policy.runtime;

import java.util.Objects;

/**
 * How strictly a bundle reads requests where upstream servers disagree, from bundle.yaml's
 * `requests:` settings. The same rules apply in the sidecar, `warden eval` and `warden test`,
 * because they belong to the bundle. The defaults protect every upstream in the compatibility
 * table of docs/security.md.
 */
public record RequestRules(PathParameters pathParameters, MethodOverride methodOverride) {
  public static final RequestRules DEFAULT = new RequestRules(PathParameters.REJECT, MethodOverride.STRIP);

  /** What to do with `;` path parameters (`/a;jsessionid=1/b`). */
  public enum PathParameters {
    /** A path with `;` is a 400: servers disagree on what `..;` or `a;b` is. */
    REJECT,
    /** Cut each segment at its first `;`, as Tomcat does (`/static/..;/admin` is `/admin`). */
    STRIP
  }

  /**
   * What to do with method overrides (`X-HTTP-Method-Override`, `X-HTTP-Method`,
   * `X-Method-Override` headers, a `_method` query parameter or form field), which frameworks
   * such as Express, ASP.NET Core, Laravel, Symfony and Rails honour instead of the real method.
   */
  public enum MethodOverride {
    /** Decide on the real method and strip the override from the upstream request. */
    STRIP,
    /** A request carrying an override is a 400. */
    DENY,
    /** Decide on the overridden method, which only a POST may carry; keep it for the upstream. */
    DECIDE
  }

  public RequestRules {
    Objects.requireNonNull(pathParameters, "pathParameters");
    Objects.requireNonNull(methodOverride, "methodOverride");
  }
}
