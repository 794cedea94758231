package dev.warden.server.source;

import dev.warden.server.oci.OciReference;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;

/** The source that a `bundle` setting names: an `oci://` reference, an `http(s)://` URL, or a path. */
public final class BundleSources {
  private BundleSources() {}

  /**
   * @throws IllegalArgumentException when {@code location} is an `oci://` reference or a URL that does not parse
   */
  public static BundleSource of(String location, Remote remote) {
    String l = location.toLowerCase(Locale.ROOT);
    if (l.startsWith("oci://")) {
      return new OciSource(OciReference.parse(location), remote);
    }
    if (l.startsWith("http://") || l.startsWith("https://")) {
      return new HttpSource(URI.create(location), remote);
    }
    return new LocalSource(Path.of(location));
  }
}
