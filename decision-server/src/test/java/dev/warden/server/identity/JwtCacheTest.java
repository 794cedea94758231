package dev.warden.server.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.server.Tokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verified-token cache and the key set's life: a token verified once is remembered until its
 * `exp` and for one refresh interval at most; an unknown key id starts one refresh, at most every
 * 30 s; keys that could not be refreshed for `jwks_max_age` are no longer trusted. Time is a clock
 * the test moves, and background work runs on the calling thread, so nothing here waits.
 */
class JwtCacheTest {
  static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");
  @TempDir Path dir;

  /** A clock the test moves. */
  static final class MovingClock extends Clock {
    private volatile Instant now;

    MovingClock(Instant start) {
      this.now = start;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  private JwtVerifier verifier(Path jwks, MovingClock clock, Duration refresh, Duration maxAge, Duration skew) {
    JwtConfig config = new JwtConfig(Tokens.ISSUER, List.of(Tokens.AUDIENCE), List.of("RS256"), jwks, null, refresh,
        skew, false, maxAge);
    JwtVerifier v = new JwtVerifier(config, clock, Runnable::run);
    v.preload();
    return v;
  }

  @Test
  void aTokenSentAgainIsNotCheckedAgain() throws Exception {
    Tokens tokens = new Tokens(T0);
    MovingClock clock = new MovingClock(T0);
    JwtVerifier v = verifier(tokens.writeJwks(dir), clock, Duration.ofMinutes(5), Duration.ofHours(1), Duration.ZERO);
    String token = tokens.valid("alice", List.of("customer"), "acme");
    assertThat(v.verify(token)).containsEntry("sub", "alice");
    assertThat(v.verify(token)).containsEntry("sub", "alice");
    assertThat(v.verify(token)).containsEntry("sub", "alice");
    assertThat(v.cacheStats().missCount()).isEqualTo(1);
    assertThat(v.cacheStats().hitCount()).isEqualTo(2);
  }

  @Test
  void aRememberedTokenExpiresWithItsExp() throws Exception {
    Tokens tokens = new Tokens(T0);
    MovingClock clock = new MovingClock(T0);
    JwtVerifier v = verifier(tokens.writeJwks(dir), clock, Duration.ofMinutes(5), Duration.ofHours(1), Duration.ZERO);
    String token = tokens.sign(tokens.claims("alice", List.of("customer"), "acme")
        .expirationTime(Date.from(T0.plusSeconds(120))).build());
    v.verify(token);
    clock.advance(Duration.ofSeconds(119));
    assertThat(v.verify(token)).containsEntry("sub", "alice");
    clock.advance(Duration.ofSeconds(2));
    assertThatThrownBy(() -> v.verify(token)).isInstanceOf(JwtVerifier.InvalidToken.class)
        .hasMessageContaining("Expired");
  }

  @Test
  void aRememberedTokenIsCheckedAgainAfterOneRefreshInterval() throws Exception {
    Tokens tokens = new Tokens(T0);
    MovingClock clock = new MovingClock(T0);
    JwtVerifier v = verifier(tokens.writeJwks(dir), clock, Duration.ofMinutes(1), Duration.ofHours(1), Duration.ZERO);
    String token = tokens.valid("alice", List.of("customer"), "acme");
    v.verify(token);
    clock.advance(Duration.ofSeconds(61));
    v.verify(token);
    assertThat(v.cacheStats().missCount()).isEqualTo(2);
  }

  @Test
  void anUnknownKeyIdStartsOneRefreshEveryThirtySecondsAtMost() throws Exception {
    Tokens a = new Tokens(T0, "a");
    Tokens b = new Tokens(T0, "b");
    MovingClock clock = new MovingClock(T0);
    Path jwks = Tokens.writeJwks(dir.resolve("jwks.json"), a);
    JwtVerifier v = verifier(jwks, clock, Duration.ofHours(1), Duration.ofHours(2), Duration.ZERO);
    String byB = b.valid("bob", List.of("customer"), "acme");
    // The identity provider rotates to key b; its JWKS gains b only now.
    assertThatThrownBy(() -> v.verify(byB)).isInstanceOf(JwtVerifier.InvalidToken.class);
    Tokens.writeJwks(jwks, a, b);
    clock.advance(Duration.ofSeconds(10));
    // Within 30 s of the first refresh an unknown key starts none.
    assertThatThrownBy(() -> v.verify(byB)).isInstanceOf(JwtVerifier.InvalidToken.class);
    clock.advance(Duration.ofSeconds(25));
    // This one starts a refresh, which loads b for the next token.
    assertThatThrownBy(() -> v.verify(byB)).isInstanceOf(JwtVerifier.InvalidToken.class);
    assertThat(v.verify(byB)).containsEntry("sub", "bob");
    assertThat(v.verify(a.valid("alice", List.of("customer"), "acme"))).containsEntry("sub", "alice");
  }

  @Test
  void keysThatCouldNotBeRefreshedForTheirMaxAgeAreNoLongerTrusted() throws Exception {
    Tokens tokens = new Tokens(T0);
    MovingClock clock = new MovingClock(T0);
    Path jwks = tokens.writeJwks(dir);
    String saved = Files.readString(jwks);
    JwtVerifier v = verifier(jwks, clock, Duration.ofMinutes(1), Duration.ofMinutes(3), Duration.ZERO);
    assertThat(v.verify(tokens.valid("u1", List.of("customer"), "acme"))).containsEntry("sub", "u1");
    Files.delete(jwks);
    clock.advance(Duration.ofMinutes(2));
    // The refresh fails; the keys loaded two minutes ago still verify.
    assertThat(v.verify(tokens.valid("u2", List.of("customer"), "acme"))).containsEntry("sub", "u2");
    clock.advance(Duration.ofMinutes(2));
    assertThatThrownBy(() -> v.verify(tokens.valid("u3", List.of("customer"), "acme")))
        .isInstanceOf(JwtVerifier.InvalidToken.class).hasMessageContaining("stale");
    // Once the JWKS is back, the next read of the keys refreshes them (in the background, so
    // that read may still see the stale keys), and tokens verify again.
    Files.writeString(jwks, saved);
    String u4 = tokens.valid("u4", List.of("customer"), "acme");
    try {
      v.verify(u4);
    } catch (JwtVerifier.InvalidToken stillStale) {
      assertThat(stillStale).hasMessageContaining("stale");
    }
    assertThat(v.verify(tokens.valid("u5", List.of("customer"), "acme"))).containsEntry("sub", "u5");
  }

  @Test
  void aMaxAgeNotLongerThanTheRefreshIsAConfigError() {
    assertThatThrownBy(() -> new JwtConfig(Tokens.ISSUER, List.of(), List.of("RS256"), dir.resolve("j.json"), null,
        Duration.ofMinutes(5), Duration.ZERO, false, Duration.ofMinutes(5)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("`identity.jwt.jwks_max_age` must be longer");
  }
}
