package dev.warden.server.source;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How a remote source (HTTP, OCI) is polled and reached (`reload.remote.*`).
 *
 * @param interval the time between two checks that succeed
 * @param jitter each delay is drawn uniformly from {@code delay × (1 ± jitter)}, so that replicas
 *     started together do not poll the server together; 0 to 0.5
 * @param maxBackoff the longest delay after failed fetches (the delay doubles per failure from {@code interval})
 * @param timeout connect and whole-request time limit for one fetch
 * @param tokenFile a file whose content (trimmed) is sent as `Authorization: Bearer …` (HTTP) or
 *     used as the registry token (OCI); read at every fetch, so that a rotated token is used at
 *     once; null: no credentials
 * @param basicAuthFile OCI only: a file holding `user:password` for the registry's token service
 *     (what `docker login` takes); null: none
 * @param plainHttp OCI only: speak `http://` to the registry (a loopback registry, or one behind a
 *     mesh that encrypts); default HTTPS
 */
public record Remote(Duration interval, double jitter, Duration maxBackoff, Duration timeout, Path tokenFile,
    Path basicAuthFile, boolean plainHttp) {
  public static final Remote DEFAULTS = new Remote(Duration.ofSeconds(30), 0.2, Duration.ofMinutes(5),
      Duration.ofSeconds(10), null, null, false);

  /**
   * The delay before the next check: {@code interval} after a success; after {@code failures}
   * fetches in a row failed, {@code interval × 2^failures} up to {@code maxBackoff}; then jittered
   * by {@code u} (uniform in [0, 1)).
   */
  public Duration next(int failures, double u) {
    double base = interval.toNanos();
    if (failures > 0) {
      base = Math.min(base * Math.pow(2, Math.min(failures, 30)), (double) Math.max(maxBackoff.toNanos(), interval.toNanos()));
    }
    double factor = 1 + jitter * (2 * u - 1);
    return Duration.ofNanos(Math.max(1_000_000L, (long) (base * factor)));
  }
}
