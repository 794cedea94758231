package dev.warden.adversarial;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.warden.server.Tokens;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.Set;

/**
 * Bearer tokens for the corpus: a good one for a caller's claims, signed with the key whose JWKS
 * the sidecar trusts, and bad ones of every kind an attacker tries. Every bad token carries the
 * caller's claims, so that only its defect can explain a 401.
 */
final class ForgedTokens {
  static final Set<String> KINDS = Set.of("expired", "wrong_audience", "wrong_issuer", "no_audience", "no_expiry",
      "not_yet_valid", "no_subject", "alg_none", "hs256_confusion", "oversized", "other_key", "unknown_kid",
      "jwk_injection");

  private final Tokens tokens;
  private final Instant now;
  private final RSAKey attacker;

  ForgedTokens(Tokens tokens, Instant now) throws JOSEException {
    this.tokens = tokens;
    this.now = now;
    this.attacker = new RSAKeyGenerator(2048).keyID("k1").generate();
  }

  /** A token that verifies, carrying {@code claims}. */
  String valid(Map<String, Object> claims) throws JOSEException {
    return tokens.sign(base(claims).build());
  }

  /** A token of one of the {@link #KINDS} for {@code claims}. */
  String forged(String kind, Map<String, Object> claims) throws JOSEException {
    String sub = String.valueOf(claims.getOrDefault("sub", "root"));
    return switch (kind) {
      case "expired" -> tokens.sign(base(claims).expirationTime(Date.from(now.minus(Duration.ofMinutes(10)))).build());
      case "wrong_audience" -> tokens.sign(base(claims).audience("other").build());
      case "wrong_issuer" -> tokens.sign(base(claims).issuer("https://evil.test").build());
      case "no_audience" -> tokens.sign(base(claims).audience((String) null).build());
      case "no_expiry" -> tokens.sign(base(claims).expirationTime(null).build());
      case "not_yet_valid" -> tokens.sign(base(claims).notBeforeTime(Date.from(now.plus(Duration.ofHours(1)))).build());
      case "no_subject" -> tokens.sign(base(claims).subject(null).build());
      case "alg_none" -> tokens.unsigned(sub);
      case "hs256_confusion" -> tokens.hmacConfusion(sub);
      // Validly signed, but longer than the 16 KiB Warden reads.
      case "oversized" -> tokens.sign(base(claims).claim("pad", "x".repeat(17 * 1024)).build());
      case "other_key" -> signWithAttackerKey(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").build(), claims);
      case "unknown_kid" -> signWithAttackerKey(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k2").build(), claims);
      // The attacker's own public key in the header (CVE-2018-0114 style): a verifier must never use it.
      case "jwk_injection" -> signWithAttackerKey(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1")
          .jwk(attacker.toPublicJWK()).build(), claims);
      default -> throw new IllegalArgumentException("no forged token `" + kind + "`; kinds are " + KINDS);
    };
  }

  private String signWithAttackerKey(JWSHeader header, Map<String, Object> claims) throws JOSEException {
    SignedJWT jwt = new SignedJWT(header, base(claims).build());
    jwt.sign(new RSASSASigner(attacker));
    return jwt.serialize();
  }

  private JWTClaimsSet.Builder base(Map<String, Object> claims) {
    JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().issuer(Tokens.ISSUER).audience(Tokens.AUDIENCE)
        .issueTime(Date.from(now.minusSeconds(60))).expirationTime(Date.from(now.plus(Duration.ofMinutes(30))));
    claims.forEach(b::claim);
    return b;
  }
}
