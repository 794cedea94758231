/**
 * The compile stage and the evaluator: a checked bundle becomes a {@link
 * dev.warden.policy.compile.Program} of small closures that decides requests.
 *
 * <p><b>Internal:</b> this package is part of Warden's implementation and may change in any
 * release. Embed Warden through {@link dev.warden.policy.api.PolicyEngine} instead.
 */
package dev.warden.policy.compile;
