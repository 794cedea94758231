package dev.warden.policy.source;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The files of a policy bundle, as bytes, keyed by their path relative to the bundle root
 * (always with `/`). Pure data: reading a directory or an archive is a reader's job
 * (`dev.warden.bundle.BundleReader` in the bundle-reader module); decoding the text, and saying
 * where a file is not UTF-8, is the load stage's.
 *
 * <p>Layout: `*.warden` files anywhere are policies; `data/NAME.json` (or `.yaml`, `.yml`) is
 * the data document `data.NAME`; `bundle.yaml` is the optional manifest. Other files are kept
 * for later stages (schemas) and otherwise ignored.
 */
public final class Bundle {
  public static final String MANIFEST = "bundle.yaml";

  // Invariant: nobody outside this class holds one of these arrays; bytes() hands out copies.
  private final Map<String, byte[]> files;

  private Bundle(Map<String, byte[]> files) {
    this.files = Collections.unmodifiableMap(files);
  }

  /** A bundle of files given as text (tests, generated bundles): each is stored as UTF-8. */
  public static Bundle of(Map<String, String> files) {
    Map<String, byte[]> bytes = new TreeMap<>();
    files.forEach((path, text) -> bytes.put(path, text.getBytes(StandardCharsets.UTF_8)));
    return new Bundle(bytes);
  }

  /** A bundle of files as read: bytes that may or may not be UTF-8 text. The arrays are copied. */
  public static Bundle ofBytes(Map<String, byte[]> files) {
    Map<String, byte[]> copy = new TreeMap<>();
    files.forEach((path, bytes) -> copy.put(path, bytes.clone()));
    return new Bundle(copy);
  }

  /** Every path, in order. */
  public Set<String> paths() {
    return files.keySet();
  }

  public boolean has(String path) {
    return files.containsKey(path);
  }

  /** A copy of a file's bytes, or null when the bundle has no such file. */
  public byte[] bytes(String path) {
    byte[] b = files.get(path);
    return b == null ? null : b.clone();
  }

  /** A file's size in bytes, or -1 when the bundle has no such file. */
  public int size(String path) {
    byte[] b = files.get(path);
    return b == null ? -1 : b.length;
  }

  /** A digest of every file's path and content: two bundles with the same digest are the same. */
  public String digest() {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      files.forEach((path, bytes) -> {
        sha.update(path.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(bytes);
        sha.update((byte) 0);
      });
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
