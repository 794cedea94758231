/**
 * A bundle's files as bytes: the input of compiling. Public API, with {@link
 * dev.warden.policy.api} and {@link dev.warden.policy.diag}. Readers of directories and archives
 * live outside the pure language module (module bundle-reader, `dev.warden.bundle.BundleReader`).
 */
package dev.warden.policy.source;
