package dev.warden.bench.load;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;

/**
 * The credentials of an `--identity token` run: an RS256 key, its JWKS in a temporary file, and
 * tokens signed with it, which Warden verifies itself, as it does when no Envoy `jwt_authn`
 * filter runs in front of it. A caller's token is signed once and sent on every request, as a
 * real client does; the tokens are valid from now on for the run's length, whatever the requests'
 * own time.
 */
final class BearerTokens {
  private final RSAKey key;
  private final Path jwks;

  private BearerTokens(RSAKey key, Path jwks) {
    this.key = key;
    this.jwks = jwks;
  }

  static BearerTokens create() {
    try {
      RSAKey key = new RSAKeyGenerator(2048).keyID("load").generate();
      Path jwks = Files.createTempFile("warden-load-jwks", ".json");
      jwks.toFile().deleteOnExit();
      Files.writeString(jwks, new JWKSet(key.toPublicJWK()).toString());
      return new BearerTokens(key, jwks);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot make an RSA key", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What Warden needs to verify the tokens: its `identity.jwt.*` settings. */
  Map<String, String> serverConfig() {
    return Map.of("identity.jwt.issuer", RequestMix.ISSUER, "identity.jwt.audiences", RequestMix.AUDIENCE,
        "identity.jwt.algorithms", "RS256", "identity.jwt.jwks_file", jwks.toString());
  }

  /** The claims as a signed token, valid from a minute ago for two hours. */
  String sign(Map<String, Object> claims) {
    JWTClaimsSet.Builder b = new JWTClaimsSet.Builder();
    claims.forEach(b::claim);
    Instant now = Instant.now();
    b.issueTime(Date.from(now.minusSeconds(60))).expirationTime(Date.from(now.plus(Duration.ofHours(2))));
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), b.build());
    try {
      jwt.sign(new RSASSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a token", e);
    }
    return jwt.serialize();
  }
}
