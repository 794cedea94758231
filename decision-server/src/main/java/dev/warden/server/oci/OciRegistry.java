package dev.warden.server.oci;

import dev.warden.bundle.BundleReader;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Pulls a bundle from, and pushes one to, an OCI registry (the distribution spec), as OPA does.
 *
 * <p>What {@link #pull} returns is verified end to end: the manifest's digest is the sha256 of
 * its bytes (and equals the registry's {@code Docker-Content-Digest}, and the reference's digest
 * when the reference names one); the bundle layer's bytes are exactly its declared size and
 * their sha256 is the layer's digest. Sizes are bounded before anything is read: a manifest by
 * {@link OciManifest#MAX_BYTES}, a layer by {@link #MAX_LAYER_BYTES}, refused when it declares
 * more. The archive itself is not read here; the caller reads it as any other bundle archive.
 *
 * <p>One instance talks to one repository and may be used again (it keeps the token the
 * registry gave); it is safe to use from one thread at a time.
 */
public final class OciRegistry {
  /** The largest bundle layer pulled or pushed, in bytes: the most a bundle's files may hold. */
  public static final long MAX_LAYER_BYTES = BundleReader.MAX_TOTAL_BYTES;
  /** Connect and request timeouts when none are given. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);

  private static final String ACCEPT = OciManifest.OCI_MANIFEST + ", " + OciManifest.DOCKER_MANIFEST;

  /**
   * What a pull found: the manifest's digest always; the layer digest and the archive's bytes
   * unless {@link #unchanged} (the manifest was the one asked about, and no layer was fetched).
   */
  public record Pulled(String manifestDigest, String layerDigest, byte[] archive) {
    static Pulled unchanged(String manifestDigest) {
      return new Pulled(manifestDigest, null, null);
    }

    /** Whether the manifest digest is the one given to {@link #pull}, so nothing was downloaded. */
    public boolean unchanged() {
      return archive == null;
    }
  }

  private final OciReference reference;
  private final RegistryTransport transport;

  /**
   * A client for {@code reference}'s repository.
   *
   * @param plainHttp use http instead of https: for a registry on loopback in tests, or when the
   *     configuration says so explicitly
   * @param credentials a token or a user and password, or null for anonymous access
   */
  public OciRegistry(OciReference reference, boolean plainHttp, OciCredentials credentials, Duration connectTimeout,
      Duration requestTimeout) {
    this.reference = Objects.requireNonNull(reference, "reference");
    this.transport = new RegistryTransport(reference, plainHttp, credentials, connectTimeout, requestTimeout);
  }

  /** A client with the default timeouts. */
  public OciRegistry(OciReference reference, boolean plainHttp, OciCredentials credentials) {
    this(reference, plainHttp, credentials, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT);
  }

  public OciReference reference() {
    return reference;
  }

  /**
   * Pulls the bundle the reference names. When {@code ifManifestDigest} is not null and the
   * manifest's digest equals it, returns {@link Pulled#unchanged} without downloading the
   * layer: a HEAD answers that when the registry sends {@code Docker-Content-Digest}, else the
   * manifest is fetched and hashed.
   *
   * @throws OciException when a step fails (not found, refused, a digest or size that does not
   *     match, no bundle layer or more than one)
   */
  public Pulled pull(String ifManifestDigest) throws IOException {
    URI manifestUri = transport.uri("/v2/" + reference.repository() + "/manifests/" + reference.reference());
    Map<String, String> accept = Map.of("Accept", ACCEPT);
    if (ifManifestDigest != null) {
      RegistryTransport.Response head = transport.send("check the manifest", "HEAD", manifestUri, accept, null, 0);
      if (head.status() == 404) {
        throw notFound("check the manifest", head);
      }
      Optional<String> digest = head.header("Docker-Content-Digest");
      if (head.status() == 200 && digest.isPresent() && digest.get().equals(ifManifestDigest)) {
        return Pulled.unchanged(ifManifestDigest);
      }
    }
    String step = "fetch the manifest";
    RegistryTransport.Response m = transport.send(step, "GET", manifestUri, accept, null, OciManifest.MAX_BYTES);
    expect(step, m, 200);
    String manifestDigest = OciDigest.of(m.body());
    Optional<String> claimed = m.header("Docker-Content-Digest");
    if (claimed.isPresent() && !claimed.get().equals(manifestDigest)) {
      throw new OciException(where() + ": the manifest's sha256 is " + manifestDigest + " but the registry says "
          + claimed.get() + "; the manifest was altered in transit or the registry is broken");
    }
    if (reference.digest() != null && !reference.digest().equals(manifestDigest)) {
      throw new OciException(where() + ": the manifest's sha256 is " + manifestDigest
          + ", not the digest the reference names");
    }
    if (manifestDigest.equals(ifManifestDigest)) {
      return Pulled.unchanged(manifestDigest);
    }
    OciManifest.Descriptor layer = OciManifest.parse(m.body(), where()).bundleLayer(where());
    return new Pulled(manifestDigest, layer.digest(), blob(layer));
  }

  /**
   * Pushes {@code archive} (a bundle archive the caller has read) to the reference's tag: the
   * layer blob, the config blob {@code {}}, then the manifest. Blobs the registry already holds
   * are not uploaded again.
   *
   * @param title the layer's {@code org.opencontainers.image.title}, such as the file name
   * @return the manifest's digest
   */
  public String push(byte[] archive, String title) throws IOException {
    if (reference.tag() == null) {
      throw new OciException(reference + ": push to a tag; a digest reference names a manifest that already exists");
    }
    if (archive.length > MAX_LAYER_BYTES) {
      throw new OciException(reference + ": the archive is " + archive.length + " bytes, more than the "
          + MAX_LAYER_BYTES + " a pull accepts");
    }
    OciManifest.Descriptor layer = new OciManifest.Descriptor(OciManifest.WARDEN_LAYER, OciDigest.of(archive),
        archive.length);
    OciManifest.Descriptor config = new OciManifest.Descriptor(OciManifest.CONFIG,
        OciDigest.of(OciManifest.EMPTY_CONFIG), OciManifest.EMPTY_CONFIG.length);
    upload(layer, archive);
    upload(config, OciManifest.EMPTY_CONFIG);
    byte[] manifest = OciManifest.write(config, layer, title);
    String digest = OciDigest.of(manifest);
    String step = "put the manifest";
    RegistryTransport.Response r = transport.send(step, "PUT",
        transport.uri("/v2/" + reference.repository() + "/manifests/" + reference.tag()),
        Map.of("Content-Type", OciManifest.OCI_MANIFEST), manifest, 0);
    expect(step, r, 201);
    Optional<String> claimed = r.header("Docker-Content-Digest");
    if (claimed.isPresent() && !claimed.get().equals(digest)) {
      throw new OciException(where() + ": the registry stored the manifest as " + claimed.get() + ", not as its sha256 "
          + digest);
    }
    return digest;
  }

  private byte[] blob(OciManifest.Descriptor layer) throws OciException {
    long bound = MAX_LAYER_BYTES;
    if (layer.size() > bound) {
      throw new OciException(where() + ": the bundle layer declares " + layer.size() + " bytes, more than the "
          + bound + " a bundle may hold; not downloading it");
    }
    String step = "fetch the bundle layer " + layer.digest();
    RegistryTransport.Response r = transport.send(step, "GET",
        transport.uri("/v2/" + reference.repository() + "/blobs/" + layer.digest()), Map.of(), null, layer.size());
    expect(step, r, 200);
    if (r.body().length != layer.size()) {
      throw new OciException(where() + ": the bundle layer is " + r.body().length + " bytes, not the " + layer.size()
          + " its manifest declares");
    }
    String actual = OciDigest.of(r.body());
    if (!actual.equals(layer.digest())) {
      throw new OciException(where() + ": the bundle layer's sha256 is " + actual + ", not the manifest's "
          + layer.digest() + "; it was altered or the registry is broken");
    }
    return r.body();
  }

  private void upload(OciManifest.Descriptor blob, byte[] bytes) throws OciException {
    String repo = "/v2/" + reference.repository();
    RegistryTransport.Response head = transport.send("check the blob " + blob.digest(), "HEAD",
        transport.uri(repo + "/blobs/" + blob.digest()), Map.of(), null, 0);
    if (head.status() == 200) {
      return;
    }
    String step = "start the upload of " + blob.digest();
    RegistryTransport.Response start = transport.send(step, "POST", transport.uri(repo + "/blobs/uploads/"),
        Map.of(), new byte[0], 0);
    expect(step, start, 202);
    String location = start.header("Location").orElseThrow(() ->
        new OciException(where() + ": " + "start the upload: the registry answered without a Location"));
    URI put = start.uri().resolve(location);
    put = URI.create(put + (put.getRawQuery() == null ? "?" : "&") + "digest=" + blob.digest().replace(":", "%3A"));
    step = "upload " + blob.digest();
    RegistryTransport.Response done = transport.send(step, "PUT", put,
        Map.of("Content-Type", "application/octet-stream"), bytes, 0);
    expect(step, done, 201);
  }

  private void expect(String step, RegistryTransport.Response r, int status) throws OciException {
    if (r.status() == status) {
      return;
    }
    if (r.status() == 404) {
      throw notFound(step, r);
    }
    String detail = RegistryTransport.errorDetail(r);
    throw new OciException(where() + ": " + step + ": HTTP " + r.status() + (detail.isEmpty() ? "" : " (" + detail + ")")
        + ", expected " + status, r.status(), null);
  }

  private OciException notFound(String step, RegistryTransport.Response r) {
    String detail = RegistryTransport.errorDetail(r);
    return new OciException(where() + ": " + step + ": HTTP 404" + (detail.isEmpty() ? "" : " (" + detail + ")")
        + "; check the repository `" + reference.repository() + "` and the " + (reference.digest() != null ? "digest"
            : "tag `" + reference.tag() + "`"), 404, null);
  }

  private String where() {
    return transport.registry() + ", " + reference;
  }
}
