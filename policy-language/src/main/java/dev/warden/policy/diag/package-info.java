/**
 * Diagnostics: one type for every problem found in a bundle (severity, stable code, span,
 * message, help), and the renderer that shows the source line with a caret. Public API, with
 * {@link dev.warden.policy.api} and {@link dev.warden.policy.source}: the codes are listed in
 * docs/errors.md and do not change.
 */
package dev.warden.policy.diag;
