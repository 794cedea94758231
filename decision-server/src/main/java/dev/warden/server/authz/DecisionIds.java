package dev.warden.server.authz;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * Decision ids: 32 hex digits, unique within a process and unlinkable outside it. Each id is a
 * counter encrypted with AES under a key drawn at start: AES is a permutation, so no two ids of a
 * process are equal, and without the key nobody can tell from two ids how many decisions lay
 * between them. (A plain counter, or a fast non-cryptographic random generator whose state can
 * be recovered from its output, reveals the sidecar's traffic to any client that sees two ids.)
 * One encryption of a block costs some 30 ns.
 */
public final class DecisionIds {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final AtomicLong counter = new AtomicLong();
  private final ThreadLocal<Cipher> ciphers;

  public DecisionIds() {
    byte[] key = new byte[16];
    new SecureRandom().nextBytes(key);
    SecretKey secret = new SecretKeySpec(key, "AES");
    this.ciphers = ThreadLocal.withInitial(() -> {
      try {
        Cipher c = Cipher.getInstance("AES/ECB/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, secret);
        return c;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES is always available", e);
      }
    });
  }

  public String next() {
    long n = counter.incrementAndGet();
    byte[] block = new byte[16];
    for (int i = 0; i < 8; i++) {
      block[i] = (byte) (n >>> (8 * i));
    }
    try {
      ciphers.get().doFinal(block, 0, 16, block, 0);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("one AES block cannot fail to encrypt", e);
    }
    char[] out = new char[32];
    for (int i = 0; i < 16; i++) {
      out[2 * i] = HEX[(block[i] >> 4) & 0xf];
      out[2 * i + 1] = HEX[block[i] & 0xf];
    }
    return new String(out);
  }
}
