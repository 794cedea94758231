package dev.warden.server.identity;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.warden.policy.runtime.FrozenMap;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.Collectors;

/**
 * Verifies bearer tokens: signature with a key from the JWKS and an allowed algorithm, then
 * `iss`, `aud`, `exp` and `nbf` with a bounded clock skew. Unsigned (`alg: none`) and
 * HMAC-signed tokens never verify.
 *
 * <p>A token that verified is remembered, so that a client sending the same token on every
 * request (as clients do) costs one signature check, not one per request (RS256 some 76 µs, ES256
 * some 2 ms, on the transport thread). A remembered token is good until its `exp` and for at most
 * one JWKS refresh interval, so a key withdrawn from the JWKS stops verifying within that
 * interval; the cache holds at most {@link #CACHE_CHARS} characters of tokens. Tokens that fail
 * are not remembered: an attacker cannot fill the cache without valid tokens.
 */
public final class JwtVerifier {
  /** Tokens longer than this are rejected before parsing. */
  public static final int MAX_TOKEN_LENGTH = 16 * 1024;
  /** The most characters of verified tokens kept (some 8 MiB; a typical token is 1 KB). */
  static final long CACHE_CHARS = 4L << 20;
  /** The weight of a cached token beyond its characters: its claims. */
  private static final int ENTRY_OVERHEAD = 512;

  private final DefaultJWTProcessor<SecurityContext> processor;
  private final JwksSource keys;
  private final Clock clock;
  private final Duration refresh;
  private final Cache<String, Verified> verified;

  /** A token that verified, and until when that holds without checking again. */
  private record Verified(Map<String, Object> claims, Instant until) {}

  /** Thrown for a token that does not verify; the message is for logs, never for clients. */
  public static final class InvalidToken extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidToken(String message) {
      super(message, null, false, false);
    }
  }

  public JwtVerifier(JwtConfig config, Clock clock) {
    this(config, clock, ForkJoinPool.commonPool());
  }

  /** @param refreshes where the JWKS and the cache do their background work */
  JwtVerifier(JwtConfig config, Clock clock, Executor refreshes) {
    this.clock = clock;
    this.refresh = config.refresh();
    this.keys = new JwksSource(config.jwksFile(), config.jwksUrl(), config.refresh(), config.jwksMaxAge(), clock,
        refreshes);
    this.verified = Caffeine.newBuilder()
        .ticker(JwksSource.ticker(clock))
        .executor(refreshes)
        .maximumWeight(CACHE_CHARS)
        .weigher((String token, Verified v) -> token.length() + ENTRY_OVERHEAD)
        .expireAfter(Expiry.creating((String token, Verified v) -> {
          Duration left = Duration.between(clock.instant(), v.until());
          return left.isNegative() ? Duration.ZERO : left;
        }))
        .recordStats()
        .build();
    Set<JWSAlgorithm> algorithms = config.algorithms().stream().map(JWSAlgorithm::parse).collect(Collectors.toSet());
    processor = new DefaultJWTProcessor<>();
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
    Set<String> audiences = config.audiences().isEmpty() ? null : new HashSet<>(config.audiences());
    DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
        audiences, new JWTClaimsSet.Builder().issuer(config.issuer()).build(), Set.of("exp"), null) {
      @Override
      protected Date currentTime() {
        return Date.from(clock.instant());
      }
    };
    claims.setMaxClockSkew((int) config.clockSkew().toSeconds());
    processor.setJWTClaimsSetVerifier(claims);
  }

  /** Loads the keys; throws when they cannot be read, so that start-up fails loudly. */
  public void preload() {
    keys.preload();
  }

  /** The verified claims as plain JSON values. */
  public Map<String, Object> verify(String token) throws InvalidToken {
    if (token.length() > MAX_TOKEN_LENGTH) {
      throw new InvalidToken("token longer than " + MAX_TOKEN_LENGTH + " characters");
    }
    Instant now = clock.instant();
    Verified known = verified.getIfPresent(token);
    if (known != null && now.isBefore(known.until())) {
      return known.claims();
    }
    JWTClaimsSet claims;
    try {
      claims = processor.process(token, null);
    } catch (ParseException | BadJOSEException | JOSEException e) {
      throw new InvalidToken(e.getMessage());
    } catch (RuntimeException e) {
      throw new InvalidToken("malformed token: " + e.getClass().getSimpleName());
    }
    // Frozen: nothing changes a remembered token's claims, so no request copies them again.
    Map<String, Object> out = FrozenMap.view(java.util.Collections.unmodifiableMap(claims.toJSONObject()));
    // `exp` is required, so every verified token has one.
    Instant until = claims.getExpirationTime().toInstant();
    Instant nextRefresh = now.plus(refresh);
    verified.put(token, new Verified(out, until.isBefore(nextRefresh) ? until : nextRefresh));
    return out;
  }

  /** How often a token was found verified and how often it had to be checked, for tests. */
  CacheStats cacheStats() {
    return verified.stats();
  }
}
