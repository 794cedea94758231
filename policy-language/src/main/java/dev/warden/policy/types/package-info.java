/**
 * The types of the language.
 *
 * <p><b>Internal:</b> this package is part of Warden's implementation and may change in any
 * release. Embed Warden through {@link dev.warden.policy.api.PolicyEngine} instead.
 */
package dev.warden.policy.types;
