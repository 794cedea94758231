package dev.warden.server.quota;

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
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throwaway CA and a server certificate for 127.0.0.1, as PEM files, for a TLS Redis. */
final class TestCertificates {
  final Path caCert;
  final Path serverCert;
  final Path serverKey;

  TestCertificates(Path dir) throws Exception {
    Files.createDirectories(dir);
    KeyPair ca = keys();
    X509Certificate caX509 = cert("CN=Warden Redis Test CA", ca, "CN=Warden Redis Test CA", ca, true, null);
    KeyPair server = keys();
    X509Certificate serverX509 = cert("CN=Warden Redis Test CA", ca, "CN=redis", server, false,
        new GeneralNames(new GeneralName[] {new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
    caCert = pem(dir.resolve("ca.pem"), caX509);
    serverCert = pem(dir.resolve("redis.pem"), serverX509);
    serverKey = pem(dir.resolve("redis-key.pem"), new JcaPKCS8Generator(server.getPrivate(), null));
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
      w.writeObject(value);
    }
    Files.writeString(file, s.toString());
    return file;
  }
}
