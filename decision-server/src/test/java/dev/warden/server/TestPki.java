package dev.warden.server;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throwaway CA with a server certificate (127.0.0.1) and a client certificate (SPIFFE URI). */
public final class TestPki {
  public final Path caCert;
  public final Path serverCert;
  public final Path serverKey;
  public final Path clientCert;
  public final Path clientKey;

  /** Writes the CA, server and client files into {@code dir}, created when missing. */
  public TestPki(Path dir) throws Exception {
    java.nio.file.Files.createDirectories(dir);
    KeyPair ca = keys();
    X509Certificate caX509 = cert("CN=Warden Test CA", ca, "CN=Warden Test CA", ca, true, null);
    KeyPair server = keys();
    X509Certificate serverX509 = cert("CN=Warden Test CA", ca, "CN=localhost", server, false,
        new GeneralNames(new GeneralName[] {new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
            new GeneralName(GeneralName.dNSName, "localhost")}));
    KeyPair client = keys();
    X509Certificate clientX509 = cert("CN=Warden Test CA", ca, "CN=envoy", client, false,
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://test/ns/a/sa/envoy")));
    caCert = pem(dir.resolve("ca.pem"), caX509);
    serverCert = pem(dir.resolve("server.pem"), serverX509);
    serverKey = pem(dir.resolve("server-key.pem"), server.getPrivate());
    clientCert = pem(dir.resolve("client.pem"), clientX509);
    clientKey = pem(dir.resolve("client-key.pem"), client.getPrivate());
  }

  private static KeyPair keys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    return g.generateKeyPair();
  }

  private static X509Certificate cert(String issuer, KeyPair issuerKeys, String subject, KeyPair subjectKeys,
      boolean isCa, GeneralNames san) throws Exception {
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name(issuer),
        BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(Duration.ofMinutes(5))),
        Date.from(now.plus(Duration.ofDays(1))), new X500Name(subject), subjectKeys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
    if (san != null) {
      b.addExtension(Extension.subjectAlternativeName, false, san);
    }
    return new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
  }

  private static Path pem(Path file, Object value) throws IOException {
    StringWriter s = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(s)) {
      // Keys as PKCS#8, the form Netty reads.
      w.writeObject(value instanceof java.security.PrivateKey k
          ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null) : value);
    }
    Files.writeString(file, s.toString());
    return file;
  }
}
