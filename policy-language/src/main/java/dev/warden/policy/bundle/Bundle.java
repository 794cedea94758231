package dev.warden.policy.bundle;

import dev.warden.policy.diag.SourceFile;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The files of a policy bundle, as text, keyed by their path relative to the bundle root
 * (always with `/`). Pure data: reading a directory or an HTTP source is the server's job.
 *
 * <p>Layout: `*.warden` files anywhere are policies; `data/NAME.json` (or `.yaml`, `.yml`) is
 * the data document `data.NAME`; `bundle.yaml` is the optional manifest. Other files are kept
 * for later stages (schemas) and otherwise ignored.
 */
public final class Bundle {
  public static final String MANIFEST = "bundle.yaml";

  private final Map<String, String> files;

  private Bundle(Map<String, String> files) {
    this.files = Collections.unmodifiableMap(new TreeMap<>(files));
  }

  public static Bundle of(Map<String, String> files) {
    return new Bundle(files);
  }

  public Map<String, String> files() {
    return files;
  }

  public List<SourceFile> policies() {
    List<SourceFile> out = new ArrayList<>();
    files.forEach((path, text) -> {
      if (path.endsWith(".warden")) {
        out.add(new SourceFile(path, text));
      }
    });
    return out;
  }

  /** Data files: `data/NAME.json|yaml|yml`, one level deep. */
  public List<DataFile> dataFiles() {
    List<DataFile> out = new ArrayList<>();
    files.forEach((path, text) -> {
      if (!path.startsWith("data/") || path.indexOf('/', 5) >= 0) {
        return;
      }
      String file = path.substring(5);
      for (String ext : List.of(".json", ".yaml", ".yml")) {
        if (file.endsWith(ext)) {
          out.add(new DataFile(path, file.substring(0, file.length() - ext.length()), text, !ext.equals(".json")));
        }
      }
    });
    return out;
  }

  /** A digest of every file's path and content: two bundles with the same digest are the same. */
  public String digest() {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      files.forEach((path, text) -> {
        sha.update(path.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(text.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
      });
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  /**
   * One data file.
   *
   * @param path where it is in the bundle
   * @param name the document name: `data.NAME`
   */
  public record DataFile(String path, String name, String text, boolean yaml) {}
}
