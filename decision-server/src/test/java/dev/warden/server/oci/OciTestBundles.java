package dev.warden.server.oci;

import dev.warden.bundle.BundleArchive;
import dev.warden.bundle.BundleReader;
import dev.warden.policy.source.Bundle;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** Archives of the example bundle for the registry tests, and a variant with one file changed. */
final class OciTestBundles {
  static final Path EXAMPLE = Path.of("..", "policies", "shop");

  private OciTestBundles() {}

  static byte[] example() throws Exception {
    return archive(BundleReader.read(EXAMPLE));
  }

  /** The example with a README added, so its archive (and digest) differ. */
  static byte[] variant(String readme) throws Exception {
    Bundle b = BundleReader.read(EXAMPLE);
    Map<String, byte[]> files = new TreeMap<>();
    for (String p : b.paths()) {
      files.put(p, b.bytes(p));
    }
    files.put("README.md", readme.getBytes(StandardCharsets.UTF_8));
    return archive(Bundle.ofBytes(files));
  }

  static byte[] archive(Bundle b) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BundleArchive.write(b, null, out);
    return out.toByteArray();
  }
}
