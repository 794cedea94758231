/**
 * The syntax tree of a policy file: one record per construct, free of parser-generator types.
 *
 * <p><b>Internal:</b> this package is part of Warden's implementation and may change in any
 * release. Embed Warden through {@link dev.warden.policy.api.PolicyEngine} instead.
 */
package dev.warden.policy.ast;
