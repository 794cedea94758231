package dev.warden.server.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.text.ParseException;
import java.time.Clock;
import java.util.Date;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Verifies bearer tokens: signature with a key from the JWKS and an allowed algorithm, then
 * `iss`, `aud`, `exp` and `nbf` with a bounded clock skew. Unsigned (`alg: none`) and
 * HMAC-signed tokens never verify.
 */
public final class JwtVerifier {
  /** Tokens longer than this are rejected before parsing. */
  public static final int MAX_TOKEN_LENGTH = 16 * 1024;

  private final DefaultJWTProcessor<SecurityContext> processor;
  private final JwksSource keys;

  /** Thrown for a token that does not verify; the message is for logs, never for clients. */
  public static final class InvalidToken extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidToken(String message) {
      super(message, null, false, false);
    }
  }

  public JwtVerifier(JwtConfig config, Clock clock) {
    this.keys = new JwksSource(config.jwksFile(), config.jwksUrl(), config.refresh());
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
    try {
      return processor.process(token, null).toJSONObject();
    } catch (ParseException | BadJOSEException | JOSEException e) {
      throw new InvalidToken(e.getMessage());
    } catch (RuntimeException e) {
      throw new InvalidToken("malformed token: " + e.getClass().getSimpleName());
    }
  }
}
