package dev.warden.server.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The image manifest of a bundle: schema version 2, an OCI or Docker v2 manifest (not an index),
 * whose layers hold exactly one bundle layer ({@link #BUNDLE_LAYER_TYPES}). {@link #write}
 * builds the manifest {@code warden bundle push} uploads; {@link #parse} reads any manifest a
 * bundle could be pulled from.
 */
public final class OciManifest {
  /** The OCI image manifest media type. */
  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  /** The Docker v2 schema 2 manifest media type, read too since some tools still write it. */
  public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  /** The layer type OPA uses for bundles, read so bundles pushed by generic tools pull. */
  public static final String OPA_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
  /** The layer type Warden pushes, so OPA never mistakes a Warden bundle for one of its own. */
  public static final String WARDEN_LAYER = "application/vnd.warden.bundle.layer.v1.tar+gzip";
  /** The config media type Warden pushes (with the config {@code {}}). */
  public static final String CONFIG = "application/vnd.oci.image.config.v1+json";
  /** The config blob Warden pushes. */
  public static final byte[] EMPTY_CONFIG = {'{', '}'};
  /** The layer annotation that names the file. */
  public static final String TITLE = "org.opencontainers.image.title";
  /** The layer types a bundle is found in. */
  public static final Set<String> BUNDLE_LAYER_TYPES = Set.of(WARDEN_LAYER, OPA_LAYER);
  /** The largest manifest read, in bytes. */
  public static final int MAX_BYTES = 4 << 20;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A blob as a manifest points at it. */
  public record Descriptor(String mediaType, String digest, long size) {}

  private final List<Descriptor> layers;

  private OciManifest(List<Descriptor> layers) {
    this.layers = List.copyOf(layers);
  }

  /** The manifest's layers, in order. */
  public List<Descriptor> layers() {
    return layers;
  }

  /**
   * Reads a manifest; {@code where} names it in messages (the registry and the reference).
   *
   * @throws OciException when it is not JSON, an index, not schema version 2, or a layer is malformed
   */
  static OciManifest parse(byte[] bytes, String where) throws OciException {
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (IOException e) {
      throw new OciException(where + ": the manifest is not JSON");
    }
    if (root == null || !root.isObject()) {
      throw new OciException(where + ": the manifest is not a JSON object");
    }
    String mediaType = root.path("mediaType").asText("");
    if (root.has("manifests") || mediaType.endsWith("index.v1+json") || mediaType.endsWith("manifest.list.v2+json")) {
      throw new OciException(where + ": the reference names an image index (a list of manifests), not a bundle's"
          + " manifest; push the bundle with `warden bundle push` or name one manifest by digest");
    }
    if (!mediaType.isEmpty() && !mediaType.equals(OCI_MANIFEST) && !mediaType.equals(DOCKER_MANIFEST)) {
      throw new OciException(where + ": the manifest's media type `" + mediaType + "` is neither " + OCI_MANIFEST
          + " nor " + DOCKER_MANIFEST);
    }
    if (root.path("schemaVersion").asInt(0) != 2) {
      throw new OciException(where + ": the manifest is not schema version 2");
    }
    JsonNode layers = root.path("layers");
    if (!layers.isArray()) {
      throw new OciException(where + ": the manifest has no `layers` list");
    }
    List<Descriptor> out = new ArrayList<>();
    for (JsonNode l : layers) {
      String digest = l.path("digest").asText("");
      JsonNode size = l.path("size");
      if (!size.canConvertToLong() || !size.isIntegralNumber() || size.asLong() < 0) {
        throw new OciException(where + ": layer " + out.size() + " has no valid `size`");
      }
      out.add(new Descriptor(l.path("mediaType").asText(""), digest, size.asLong()));
    }
    return new OciManifest(out);
  }

  /**
   * The one bundle layer: exactly one layer of a {@link #BUNDLE_LAYER_TYPES} type (other layers
   * are ignored), with a sha256 digest.
   */
  Descriptor bundleLayer(String where) throws OciException {
    List<Descriptor> bundles = layers.stream().filter(l -> BUNDLE_LAYER_TYPES.contains(l.mediaType())).toList();
    if (bundles.isEmpty()) {
      throw new OciException(where + ": the manifest has no bundle layer (media type " + WARDEN_LAYER + " or "
          + OPA_LAYER + "); its layers are " + layers.stream().map(Descriptor::mediaType).toList());
    }
    if (bundles.size() > 1) {
      throw new OciException(where + ": the manifest has " + bundles.size() + " bundle layers; a bundle is"
          + " exactly one layer");
    }
    Descriptor layer = bundles.get(0);
    if (!OciDigest.valid(layer.digest())) {
      throw new OciException(where + ": the bundle layer's digest `" + layer.digest() + "` is not a sha256 digest");
    }
    return layer;
  }

  /** The manifest {@code push} uploads: the config, then the bundle layer titled {@code title}. */
  static byte[] write(Descriptor config, Descriptor layer, String title) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("schemaVersion", 2);
    m.put("mediaType", OCI_MANIFEST);
    m.put("config", descriptor(config, null));
    m.put("layers", List.of(descriptor(layer, title)));
    try {
      return JSON.writeValueAsBytes(m);
    } catch (IOException e) {
      throw new IllegalStateException("a map of strings and numbers always writes", e);
    }
  }

  private static Map<String, Object> descriptor(Descriptor d, String title) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mediaType", d.mediaType());
    m.put("digest", d.digest());
    m.put("size", d.size());
    if (title != null) {
      m.put("annotations", Map.of(TITLE, title));
    }
    return m;
  }
}
