/**
 * The bundle pipeline: an ordered list of named stages (load, parse, check, lint, compile) with
 * their timings, which tools run in part or extend ({@link dev.warden.policy.bundle.BundleCompiler}).
 *
 * <p><b>Internal:</b> this package is part of Warden's implementation and may change in any
 * release. Embed Warden through {@link dev.warden.policy.api.PolicyEngine} instead.
 */
package dev.warden.policy.bundle;
