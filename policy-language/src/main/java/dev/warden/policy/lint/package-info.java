/**
 * The lint stage: warnings about rules that cannot matter.
 *
 * <p><b>Internal:</b> this package is part of Warden's implementation and may change in any
 * release. Embed Warden through {@link dev.warden.policy.api.PolicyEngine} instead.
 */
package dev.warden.policy.lint;
