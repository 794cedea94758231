/**
 * The load stage: a bundle's bytes decoded as UTF-8, its manifest and data documents read.
 *
 * <p><b>Internal:</b> this package is part of Warden's implementation and may change in any
 * release. Embed Warden through {@link dev.warden.policy.api.PolicyEngine} instead.
 */
package dev.warden.policy.load;
