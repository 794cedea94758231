package dev.warden.server.oci;

import static dev.warden.server.oci.FakeRegistry.answer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a real registry never sends: bad digests and sizes, odd manifests, auth challenges, redirects. */
class OciRegistryFakeTest {
  FakeRegistry fake;
  byte[] archive;
  String layerDigest;

  @BeforeEach
  void start() throws Exception {
    fake = new FakeRegistry();
    archive = OciTestBundles.example();
    layerDigest = OciDigest.of(archive);
  }

  @AfterEach
  void stop() {
    fake.close();
  }

  private static String manifest(String... layers) {
    return "{\"schemaVersion\":2,\"mediaType\":\"" + OciManifest.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + OciManifest.CONFIG + "\",\"digest\":\"" + OciDigest.of(OciManifest.EMPTY_CONFIG) + "\",\"size\":2},"
        + "\"layers\":[" + String.join(",", layers) + "]}";
  }

  private static String layer(String mediaType, String digest, long size) {
    return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
  }

  /** Serves {@code manifest} at shop:v1 (with its true Docker-Content-Digest) and the archive at its digest. */
  private String serve(String manifest) {
    byte[] m = manifest.getBytes(StandardCharsets.UTF_8);
    fake.route("GET /v2/shop/manifests/v1", answer(200, m, "Content-Type", OciManifest.OCI_MANIFEST,
        "Docker-Content-Digest", OciDigest.of(m)));
    fake.route("GET /v2/shop/blobs/" + layerDigest, answer(200, archive));
    return OciDigest.of(m);
  }

  private OciRegistry client() {
    return new OciRegistry(fake.ref("shop:v1"), true, null);
  }

  @Test
  void aGoodManifestPullsAndAnUnchangedOneFetchesNoLayer() throws Exception {
    String digest = serve(manifest(layer("application/vnd.oci.image.config.v1+json", "sha256:" + OciReferenceTest.HEX,
        5), layer(OciManifest.OPA_LAYER, layerDigest, archive.length)));
    OciRegistry.Pulled p = client().pull(null);
    assertThat(p.archive()).isEqualTo(archive);
    assertThat(p.manifestDigest()).isEqualTo(digest);

    fake.requests.clear();
    assertThat(client().pull(digest).unchanged()).isTrue();
    assertThat(fake.requests).extracting(FakeRegistry.Request::method).containsExactly("HEAD");
  }

  @Test
  void withoutADigestHeaderUnchangedIsFoundByHashingTheManifest() throws Exception {
    byte[] m = manifest(layer(OciManifest.WARDEN_LAYER, layerDigest, archive.length)).getBytes(StandardCharsets.UTF_8);
    fake.route("GET /v2/shop/manifests/v1", answer(200, m));
    assertThat(client().pull(OciDigest.of(m)).unchanged()).isTrue();
    assertThat(fake.count("GET", "/v2/shop/blobs/")).isZero();
    assertThat(fake.count("GET", "/v2/shop/manifests/v1")).isEqualTo(1);
  }

  @Test
  void aTamperedLayerIsRefused() throws Exception {
    serve(manifest(layer(OciManifest.WARDEN_LAYER, layerDigest, archive.length)));
    byte[] tampered = archive.clone();
    tampered[tampered.length / 2] ^= 1;
    fake.route("GET /v2/shop/blobs/" + layerDigest, answer(200, tampered));
    assertThatThrownBy(() -> client().pull(null)).isInstanceOf(OciException.class)
        .hasMessageContaining("the bundle layer's sha256 is " + OciDigest.of(tampered) + ", not the manifest's "
            + layerDigest);
  }

  @Test
  void aManifestThatIsNotWhatTheRegistrySaysIsRefused() throws Exception {
    serve(manifest(layer(OciManifest.WARDEN_LAYER, layerDigest, archive.length)));
    fake.route("GET /v2/shop/manifests/v1", answer(200, manifest().getBytes(StandardCharsets.UTF_8),
        "Docker-Content-Digest", "sha256:" + OciReferenceTest.HEX));
    assertThatThrownBy(() -> client().pull(null)).isInstanceOf(OciException.class)
        .hasMessageContaining("but the registry says sha256:" + OciReferenceTest.HEX);
    assertThat(fake.count("GET", "/v2/shop/blobs/")).isZero();
  }

  @Test
  void aReferenceByDigestGetsExactlyThatManifest() throws Exception {
    byte[] m = manifest(layer(OciManifest.WARDEN_LAYER, layerDigest, archive.length)).getBytes(StandardCharsets.UTF_8);
    String other = "sha256:" + OciReferenceTest.HEX;
    fake.route("GET /v2/shop/manifests/" + other, answer(200, m));
    OciRegistry client = new OciRegistry(fake.ref("shop@" + other), true, null);
    assertThatThrownBy(() -> client.pull(null)).hasMessageContaining("not the digest the reference names");
  }

  @Test
  void aLayerDeclaredOverTheBoundIsNotDownloaded() throws Exception {
    serve(manifest(layer(OciManifest.WARDEN_LAYER, layerDigest, OciRegistry.MAX_LAYER_BYTES + 1)));
    assertThatThrownBy(() -> client().pull(null)).isInstanceOf(OciException.class)
        .hasMessageContaining("declares " + (OciRegistry.MAX_LAYER_BYTES + 1) + " bytes, more than the "
            + OciRegistry.MAX_LAYER_BYTES);
    assertThat(fake.count("GET", "/v2/shop/blobs/")).isZero();
  }

  @Test
  void aLayerLongerOrShorterThanDeclaredIsRefused() throws Exception {
    serve(manifest(layer(OciManifest.WARDEN_LAYER, layerDigest, archive.length - 10)));
    assertThatThrownBy(() -> client().pull(null)).hasMessageContaining("the answer is larger than "
        + (archive.length - 10) + " bytes");
    serve(manifest(layer(OciManifest.WARDEN_LAYER, layerDigest, archive.length)));
    fake.route("GET /v2/shop/blobs/" + layerDigest, answer(200, Arrays.copyOf(archive, archive.length - 1)));
    assertThatThrownBy(() -> client().pull(null)).hasMessageContaining("the bundle layer is " + (archive.length - 1)
        + " bytes, not the " + archive.length);
  }

  @Test
  void aManifestNeedsExactlyOneBundleLayer() throws Exception {
    serve(manifest(layer("application/vnd.oci.image.layer.v1.tar", layerDigest, archive.length)));
    assertThatThrownBy(() -> client().pull(null)).hasMessageContaining("has no bundle layer")
        .hasMessageContaining("[application/vnd.oci.image.layer.v1.tar]");
    serve(manifest(layer(OciManifest.WARDEN_LAYER, layerDigest, archive.length),
        layer(OciManifest.OPA_LAYER, layerDigest, archive.length)));
    assertThatThrownBy(() -> client().pull(null)).hasMessageContaining("has 2 bundle layers");
    serve(manifest(layer(OciManifest.WARDEN_LAYER, "md5:abc", archive.length)));
    assertThatThrownBy(() -> client().pull(null)).hasMessageContaining("digest `md5:abc` is not a sha256 digest");
  }

  @Test
  void indexesAndOtherDocumentsAreNotManifests() throws Exception {
    serve("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}");
    assertThatThrownBy(() -> client().pull(null)).hasMessageContaining("names an image index");
    serve("not json");
    assertThatThrownBy(() -> client().pull(null)).hasMessageContaining("the manifest is not JSON");
    serve("{\"schemaVersion\":1,\"layers\":[]}");
    assertThatThrownBy(() -> client().pull(null)).hasMessageContaining("not schema version 2");
    fake.route("GET /v2/shop/manifests/v1", answer(200, new byte[OciManifest.MAX_BYTES + 1]));
    assertThatThrownBy(() -> client().pull(null)).hasMessageContaining("larger than " + OciManifest.MAX_BYTES);
  }

  @Test
  void aBearerChallengeIsAnsweredWithATokenFromTheRealm() throws Exception {
    String digest = serve(manifest(layer(OciManifest.WARDEN_LAYER, layerDigest, archive.length)));
    FakeRegistry.Handler manifest = authorized(fake.routed("GET /v2/shop/manifests/v1"));
    FakeRegistry.Handler blob = authorized(fake.routed("GET /v2/shop/blobs/" + layerDigest));
    fake.route("GET /v2/shop/manifests/v1", manifest);
    fake.route("GET /v2/shop/blobs/" + layerDigest, blob);
    String basic = "Basic " + java.util.Base64.getEncoder().encodeToString("ci:s3cret".getBytes(StandardCharsets.UTF_8));
    fake.route("GET /token", ex -> {
      boolean ok = basic.equals(ex.getRequestHeaders().getFirst("Authorization"));
      FakeRegistry.send(ex, ok ? 200 : 401, ok ? "{\"token\":\"t0k3n\"}".getBytes() : new byte[0]);
    });

    OciRegistry client = new OciRegistry(fake.ref("shop:v1"), true, OciCredentials.parseBasic("ci:s3cret\n"));
    OciRegistry.Pulled p = client.pull(null);
    assertThat(p.manifestDigest()).isEqualTo(digest);
    assertThat(p.archive()).isEqualTo(archive);
    assertThat(fake.requests).extracting(FakeRegistry.Request::path).containsExactly("/v2/shop/manifests/v1",
        "/token?service=fake.registry&scope=repository%3Ashop%3Apull", "/v2/shop/manifests/v1",
        "/v2/shop/blobs/" + layerDigest);
    assertThat(fake.requests.get(3).authorization()).isEqualTo("Bearer t0k3n");

    OciRegistry wrong = new OciRegistry(fake.ref("shop:v1"), true, OciCredentials.basic("ci", "hunter2"));
    assertThatThrownBy(() -> wrong.pull(null)).isInstanceOf(OciException.class)
        .hasMessageContaining("the token service 127.0.0.1 answered HTTP 401; check the credentials")
        .message().doesNotContain("hunter2");
  }

  @Test
  void aBasicChallengeNeedsAUserAndAGivenTokenIsSentAsIs() throws Exception {
    serve(manifest(layer(OciManifest.WARDEN_LAYER, layerDigest, archive.length)));
    fake.route("GET /v2/shop/manifests/v1", answer(401, new byte[0], "WWW-Authenticate", "Basic realm=\"fake\""));
    assertThatThrownBy(() -> client().pull(null)).isInstanceOf(OciException.class)
        .hasMessageContaining("asks for a user and password (basic auth); give them with --user-file");

    OciRegistry withToken = new OciRegistry(fake.ref("shop:v1"), true, OciCredentials.bearer("my-token"));
    fake.route("GET /v2/shop/manifests/v1", answer(401, new byte[0], "WWW-Authenticate",
        "Bearer realm=\"http://" + fake.host() + "/token\""));
    fake.requests.clear();
    assertThatThrownBy(() -> withToken.pull(null)).hasMessageContaining("the registry refused the token")
        .message().doesNotContain("my-token");
    assertThat(fake.requests.get(0).authorization()).isEqualTo("Bearer my-token");
    assertThat(OciCredentials.bearer("my-token")).hasToString("bearer token (hidden)");
  }

  @Test
  void aRedirectedBlobIsFetchedWithoutTheRegistrysCredentials() throws Exception {
    serve(manifest(layer(OciManifest.WARDEN_LAYER, layerDigest, archive.length)));
    try (FakeRegistry store = new FakeRegistry()) {
      store.route("GET /blob", answer(200, archive));
      fake.route("GET /v2/shop/blobs/" + layerDigest, answer(307, new byte[0], "Location",
          "http://" + store.host() + "/blob"));
      OciRegistry client = new OciRegistry(fake.ref("shop:v1"), true, OciCredentials.bearer("registry-only"));
      assertThat(client.pull(null).archive()).isEqualTo(archive);
      assertThat(fake.requests.get(0).authorization()).isEqualTo("Bearer registry-only");
      assertThat(store.requests).singleElement().extracting(FakeRegistry.Request::authorization).isNull();
    }
  }

  @Test
  void anUnreachableRegistrySaysSo() throws Exception {
    String host = fake.host();
    fake.close();
    assertThatThrownBy(() -> new OciRegistry(OciReference.parse("oci://" + host + "/shop:v1"), true, null).pull(null))
        .isInstanceOf(OciException.class).hasMessageContaining("registry " + host + ": fetch the manifest: cannot reach");
  }

  /** Wraps a handler so it answers 401 with a bearer challenge unless the request carries the token. */
  private FakeRegistry.Handler authorized(FakeRegistry.Handler inner) {
    return ex -> {
      if ("Bearer t0k3n".equals(ex.getRequestHeaders().getFirst("Authorization"))) {
        inner.handle(ex);
      } else {
        FakeRegistry.send(ex, 401, new byte[0], "WWW-Authenticate", "Bearer realm=\"http://" + fake.host()
            + "/token\",service=\"fake.registry\",scope=\"repository:shop:pull\"");
      }
    };
  }
}
