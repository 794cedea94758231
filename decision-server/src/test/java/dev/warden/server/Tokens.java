package dev.warden.server;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;

/** Test tokens: a real RSA key, its JWKS file, and tokens good and bad. */
public final class Tokens {
  public static final String ISSUER = "https://issuer.test";
  public static final String AUDIENCE = "shop";

  private final RSAKey key;
  private final Instant now;
  private final String kid;

  public Tokens(Instant now) throws JOSEException {
    this(now, "k1");
  }

  /** Tokens signed by a key of its own, named {@code kid}: another key of the same issuer. */
  public Tokens(Instant now, String kid) throws JOSEException {
    this.key = new RSAKeyGenerator(2048).keyID(kid).generate();
    this.now = now;
    this.kid = kid;
  }

  /** A JWKS file holding the public keys of all of {@code tokens}. */
  public static Path writeJwks(Path file, Tokens... tokens) throws IOException {
    List<com.nimbusds.jose.jwk.JWK> keys = new java.util.ArrayList<>();
    for (Tokens t : tokens) {
      keys.add(t.key.toPublicJWK());
    }
    Files.writeString(file, new JWKSet(keys).toString());
    return file;
  }

  public Path writeJwks(Path dir) throws IOException {
    Path file = dir.resolve("jwks.json");
    Files.writeString(file, new JWKSet(key.toPublicJWK()).toString());
    return file;
  }

  public String valid(String sub, List<String> roles, String tenant) throws JOSEException {
    return sign(claims(sub, roles, tenant).build());
  }

  public JWTClaimsSet.Builder claims(String sub, List<String> roles, String tenant) {
    return new JWTClaimsSet.Builder().issuer(ISSUER).audience(AUDIENCE).subject(sub)
        .claim("roles", roles).claim("tenant", tenant)
        .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(Duration.ofMinutes(10))));
  }

  public String sign(JWTClaimsSet claims) throws JOSEException {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).build(), claims);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  public String expired(String sub) throws JOSEException {
    return sign(claims(sub, List.of("customer"), "acme")
        .expirationTime(Date.from(now.minus(Duration.ofMinutes(10)))).build());
  }

  public String wrongAudience(String sub) throws JOSEException {
    return sign(claims(sub, List.of("customer"), "acme").audience("other").build());
  }

  public String wrongIssuer(String sub) throws JOSEException {
    return sign(claims(sub, List.of("customer"), "acme").issuer("https://evil.test").build());
  }

  public String unsigned(String sub) {
    return new PlainJWT(claims(sub, List.of("admin"), "acme").build()).serialize();
  }

  /** HS256 keyed with the public key's modulus: the classic algorithm-confusion attack. */
  public String hmacConfusion(String sub) throws JOSEException {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k1").build(),
        claims(sub, List.of("admin"), "acme").build());
    jwt.sign(new MACSigner(key.toPublicJWK().getModulus().decode()));
    return jwt.serialize();
  }

  public static Map<String, String> config(Path jwks) {
    return Map.of(
        "identity.jwt.issuer", ISSUER,
        "identity.jwt.audiences", AUDIENCE,
        "identity.jwt.jwks_file", jwks.toString());
  }
}
