package dev.warden.server.source;

import dev.warden.bundle.BundleArchive;
import dev.warden.bundle.BundleReadException;

/**
 * Where the sidecar's bundle comes from: a local directory or archive, an HTTP(S) bundle server,
 * or an OCI registry. The reloader asks for the bundle ({@link #fetch}) and tells the source which
 * fetched bundle it took ({@link #accept}), so that a remote source can ask "changed since that
 * one?" ({@code If-None-Match}, a manifest digest) instead of downloading it again.
 *
 * <p>Invariant: only a bundle the reloader accepted (activated, or found equal to the active one)
 * is ever the base of a conditional fetch. A bundle that failed to activate is fetched whole
 * again on the next check, so its failure is reported again rather than hidden behind a
 * "not modified".
 *
 * <p>Called on the reload thread only; implementations need not be thread-safe.
 */
public interface BundleSource {
  /**
   * One fetched bundle.
   *
   * @param version what the source calls this content (an `ETag`, a manifest digest), or null
   */
  record Fetched(BundleArchive.Signed signed, String version) {}

  /** `directory`, `archive`, `http` or `oci`, as `/status` shows it. */
  String kind();

  /** Where the bundle is, for log lines: no credentials, no query string. */
  String location();

  /** Whether the source is a local path, watched by its fingerprint rather than polled on a timer. */
  boolean local();

  /**
   * Reads the bundle.
   *
   * @return the bundle, or null when the source answers that it is the one last {@link #accept}ed
   * @throws BundleReadException when it cannot be read or fetched: unreachable, refused, too big, not an archive
   */
  Fetched fetch() throws BundleReadException;

  /** The reloader took {@code fetched} (it is active now, or equal to the active bundle). */
  void accept(Fetched fetched);

  /** The pipeline stage a failed {@link #fetch} is reported as: `read` for a local path, `fetch` otherwise. */
  default String stage() {
    return local() ? "read" : "fetch";
  }
}
