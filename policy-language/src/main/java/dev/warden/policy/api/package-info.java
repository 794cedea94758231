/**
 * The front door for embedding Warden: {@link dev.warden.policy.api.PolicyEngine} compiles a
 * bundle and decides requests, by HTTP request ({@link dev.warden.policy.api.HttpRequest}) or by
 * route name with typed parameters. With {@link dev.warden.policy.source} (a bundle's files) and
 * {@link dev.warden.policy.diag} (what compiling reports), this is the public API of the
 * language module; every other package is internal and may change in any release.
 */
package dev.warden.policy.api;
