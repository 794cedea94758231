package dev.warden.server.identity;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import com.github.benmanes.caffeine.cache.Ticker;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The verification keys, from a JWKS file or URL, held in a Caffeine cache that refreshes in the
 * background: a request never waits for a refresh once keys are loaded, and a failed refresh
 * keeps the previous keys, but only for {@code maxAge} after the last refresh that worked: past
 * it no key is trusted, so a key the identity provider withdrew cannot stay good for ever while
 * its JWKS is unreachable. A token signed by a key the set does not hold (a new `kid`, as after
 * a key rotation) starts one refresh in the background, at most every {@link #UNKNOWN_KEY_REFRESH}.
 */
final class JwksSource implements JWKSource<SecurityContext> {
  /** The shortest time between two refreshes started by tokens with unknown keys. */
  static final Duration UNKNOWN_KEY_REFRESH = Duration.ofSeconds(30);
  private static final String KEY = "jwks";
  private static final int MAX_BYTES = 1 << 20;

  /** A key set and when it was loaded. */
  private record Keys(JWKSet set, Instant loadedAt) {}

  private final LoadingCache<String, Keys> cache;
  private final Clock clock;
  private final Ticker ticker;
  private final Duration maxAge;
  private final AtomicLong lastUnknownKeyRefresh;
  private final AtomicReference<String> lastFailure = new AtomicReference<>();

  /**
   * @param refreshes where background refreshes run (Caffeine's pool in the server; the calling
   *     thread in tests, so they can tell when one is done)
   */
  JwksSource(Path file, URI url, Duration refresh, Duration maxAge, Clock clock, Executor refreshes) {
    HttpClient http = url == null ? null : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    this.clock = clock;
    this.ticker = ticker(clock);
    this.maxAge = maxAge;
    this.lastUnknownKeyRefresh = new AtomicLong(ticker.read() - UNKNOWN_KEY_REFRESH.toNanos() - 1);
    this.cache = Caffeine.newBuilder()
        .ticker(ticker)
        .executor(refreshes)
        .refreshAfterWrite(refresh)
        .build(k -> {
          try {
            Keys keys = new Keys(file != null ? readFile(file) : fetch(http, url), clock.instant());
            lastFailure.set(null);
            return keys;
          } catch (IOException | ParseException | RuntimeException e) {
            lastFailure.set(e.getMessage());
            throw e;
          }
        });
  }

  /** Caffeine's clock, read from the verifier's, so that tests can move time for both. */
  static Ticker ticker(Clock clock) {
    return () -> {
      Instant now = clock.instant();
      return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    };
  }

  private static JWKSet readFile(Path file) throws IOException, ParseException {
    if (Files.size(file) > MAX_BYTES) {
      throw new IOException("JWKS file " + file + " is larger than 1 MiB");
    }
    return JWKSet.parse(Files.readString(file));
  }

  private static JWKSet fetch(HttpClient http, URI url) throws IOException, InterruptedException, ParseException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("JWKS " + url + " answered " + r.statusCode());
    }
    if (r.body().length() > MAX_BYTES) {
      throw new IOException("JWKS " + url + " is larger than 1 MiB");
    }
    return JWKSet.parse(r.body());
  }

  /** Loads the keys now, so that a bad JWKS fails at start rather than on the first request. */
  void preload() {
    cache.get(KEY);
  }

  @Override
  public List<JWK> get(JWKSelector selector, SecurityContext context) throws KeySourceException {
    Keys keys;
    try {
      keys = cache.get(KEY);
    } catch (RuntimeException e) {
      throw new KeySourceException("verification keys are unavailable: " + e.getMessage(), e);
    }
    if (clock.instant().isAfter(keys.loadedAt().plus(maxAge))) {
      cache.refresh(KEY);
      throw new KeySourceException("verification keys are stale: the JWKS was last loaded at " + keys.loadedAt()
          + ", more than " + maxAge + " ago (" + lastFailure.get() + ")");
    }
    List<JWK> found = selector.select(keys.set());
    if (found.isEmpty()) {
      refreshForUnknownKey();
    }
    return found;
  }

  /** One background refresh per {@link #UNKNOWN_KEY_REFRESH} at most, however many tokens ask. */
  private void refreshForUnknownKey() {
    long now = ticker.read();
    long last = lastUnknownKeyRefresh.get();
    if (now - last > UNKNOWN_KEY_REFRESH.toNanos() && lastUnknownKeyRefresh.compareAndSet(last, now)) {
      cache.refresh(KEY);
    }
  }
}
