package dev.warden.bundle;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.util.Base64URL;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Set;

/**
 * JWS `EdDSA` with Ed25519 through the JDK's own `Signature.getInstance("Ed25519")` (Java 15+).
 * nimbus-jose-jwt's Ed25519Signer and Ed25519Verifier need Google Tink, which this build cannot
 * have; the JDK signs and verifies exactly the same RFC 8032 signatures, and nimbus still does
 * all of the JWS encoding. Package-private: {@link BundleSignatures} is the door.
 */
final class JdkEd25519 implements JWSSigner, JWSVerifier {
  private final Key key;
  private final JCAContext jca = new JCAContext();

  private JdkEd25519(Key key) {
    this.key = key;
  }

  static JdkEd25519 signer(PrivateKey key) {
    return new JdkEd25519(key);
  }

  static JdkEd25519 verifier(PublicKey key) {
    return new JdkEd25519(key);
  }

  static boolean isEd25519(Key key) {
    return key.getAlgorithm().equals("EdDSA") || key.getAlgorithm().equals("Ed25519");
  }

  @Override
  public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
    check(header);
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign((PrivateKey) key);
      s.update(signingInput);
      return Base64URL.encode(s.sign());
    } catch (GeneralSecurityException e) {
      throw new JOSEException("Ed25519 signing failed: " + e.getMessage(), e);
    }
  }

  @Override
  public boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature) throws JOSEException {
    check(header);
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify((PublicKey) key);
      s.update(signingInput);
      return s.verify(signature.decode());
    } catch (java.security.SignatureException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new JOSEException("Ed25519 verification failed: " + e.getMessage(), e);
    }
  }

  private static void check(JWSHeader header) throws JOSEException {
    if (!JWSAlgorithm.EdDSA.equals(header.getAlgorithm())) {
      throw new JOSEException("an Ed25519 key signs with `EdDSA`, not `" + header.getAlgorithm() + "`");
    }
  }

  @Override
  public Set<JWSAlgorithm> supportedJWSAlgorithms() {
    return Set.of(JWSAlgorithm.EdDSA);
  }

  @Override
  public JCAContext getJCAContext() {
    return jca;
  }
}
