package dev.warden.server.oci;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Content digests as OCI writes them, {@code sha256:} and 64 lowercase hex digits; the only kind Warden verifies. */
public final class OciDigest {
  private static final Pattern SHA256 = Pattern.compile("sha256:[a-f0-9]{64}");

  private OciDigest() {}

  /** The digest of {@code bytes}. */
  public static String of(byte[] bytes) {
    try {
      return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** Whether {@code digest} is a well-formed sha256 digest. */
  public static boolean valid(String digest) {
    return digest != null && SHA256.matcher(digest).matches();
  }
}
