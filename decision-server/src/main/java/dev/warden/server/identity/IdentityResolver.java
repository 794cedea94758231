package dev.warden.server.identity;

import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.Identity;
import dev.warden.server.authz.MappedRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Decides who the caller is, before any policy runs: a bearer token verified here, or claims
 * Envoy's jwt_authn filter verified (when trusted), or an API key, plus the mTLS peer's SPIFFE
 * id. A credential that is present but does not verify is an error (401), never an anonymous
 * caller.
 *
 * <p>API keys are never stored in clear: the bundle's API key document maps the SHA-256 of each
 * key (hex) to the key's record, whose fields the policy reads as `apikey.<field>`.
 */
public final class IdentityResolver {
  private final JwtVerifier jwt;
  private final String apiKeyHeader;
  private final String apiKeyData;

  /** The identity, or why the presented credentials are invalid (for logs only). */
  public record Result(Identity identity, String error) {}

  /**
   * @param jwt the verifier, or null when Warden does not verify tokens itself
   * @param apiKeyHeader the header that carries API keys (lower case)
   * @param apiKeyData the data document of hashed API keys
   */
  public IdentityResolver(JwtVerifier jwt, String apiKeyHeader, String apiKeyData) {
    this.jwt = jwt;
    this.apiKeyHeader = apiKeyHeader;
    this.apiKeyData = apiKeyData;
  }

  public Result resolve(MappedRequest m, Program program) {
    String peer = m.sourcePrincipal();
    if (m.bearer() != null && jwt != null) {
      try {
        return new Result(new Identity(jwt.verify(m.bearer()), Identity.Credential.JWT, peer), null);
      } catch (JwtVerifier.InvalidToken e) {
        return new Result(null, "invalid bearer token: " + e.getMessage());
      }
    }
    if (m.envoyClaims() != null) {
      return new Result(new Identity(m.envoyClaims(), Identity.Credential.JWT, peer), null);
    }
    String key = m.headers().get(apiKeyHeader);
    if (key != null && program.hasData(apiKeyData)) {
      Optional<Map<String, Object>> record = program.dataEntry(apiKeyData, sha256(key.trim()));
      if (record.isEmpty()) {
        return new Result(null, "unknown API key");
      }
      return new Result(new Identity(record.get(), Identity.Credential.API_KEY, peer), null);
    }
    return new Result(new Identity(null, null, peer), null);
  }

  static String sha256(String key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
