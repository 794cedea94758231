package dev.warden.server.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Push and pull against a real registry (CNCF distribution, Debian's docker-registry) on loopback. */
class OciRegistryRealTest {
  @TempDir static Path dir;
  static RealRegistry registry;

  @BeforeAll
  static void start() throws Exception {
    registry = RealRegistry.start(dir);
  }

  @BeforeEach
  void running() {
    RealRegistry.assumeRunning(registry);
  }

  @AfterAll
  static void stop() throws Exception {
    if (registry != null) {
      registry.close();
    }
  }

  private OciRegistry client(String repoAndRef) {
    return new OciRegistry(OciReference.parse("oci://" + registry.host() + "/" + repoAndRef), true, null);
  }

  @Test
  void pushThenPullGivesTheSameBytesAndDigests() throws Exception {
    byte[] archive = OciTestBundles.example();
    String digest = client("team/shop:v1").push(archive, "shop.tar.gz");
    assertThat(digest).matches("sha256:[0-9a-f]{64}");

    OciRegistry.Pulled pulled = client("team/shop:v1").pull(null);
    assertThat(pulled.unchanged()).isFalse();
    assertThat(pulled.archive()).isEqualTo(archive);
    assertThat(pulled.manifestDigest()).isEqualTo(digest);
    assertThat(pulled.layerDigest()).isEqualTo(OciDigest.of(archive));
    // pushing the same archive again gives the same manifest, and reuses the blobs already there
    long uploads = registry.awaitRequests("POST", "/v2/team/shop/blobs/uploads/", 2);
    assertThat(client("team/shop:v1").push(archive, "shop.tar.gz")).isEqualTo(digest);
    assertThat(registry.requests("POST", "/v2/team/shop/blobs/uploads/")).isEqualTo(uploads).isEqualTo(2);
  }

  @Test
  void anUnchangedManifestIsNotDownloadedAgain() throws Exception {
    OciRegistry client = client("team/unchanged:v1");
    String digest = client.push(OciTestBundles.example(), "shop.tar.gz");
    String blobs = "/v2/team/unchanged/blobs/sha256:";
    assertThat(client.pull(null).manifestDigest()).isEqualTo(digest);
    assertThat(registry.awaitRequests("GET", blobs, 1)).isEqualTo(1);

    OciRegistry.Pulled again = client.pull(digest);
    assertThat(again.unchanged()).isTrue();
    assertThat(again.manifestDigest()).isEqualTo(digest);
    assertThat(again.archive()).isNull();
    assertThat(registry.awaitRequests("HEAD", "/v2/team/unchanged/manifests/v1", 1)).isEqualTo(1);

    // a full pull after it is the second blob GET: the unchanged one made none
    client.pull("sha256:" + OciReferenceTest.HEX);
    assertThat(registry.awaitRequests("GET", blobs, 2)).isEqualTo(2);
    Thread.sleep(100);
    assertThat(registry.requests("GET", blobs)).isEqualTo(2);
    assertThat(registry.requests("GET", "/v2/team/unchanged/manifests/v1")).isEqualTo(2);
  }

  @Test
  void pullByDigestVerifiesTheManifestItNames() throws Exception {
    byte[] archive = OciTestBundles.variant("by digest");
    String digest = client("team/pinned:v1").push(archive, "pinned.tar.gz");

    OciRegistry.Pulled pulled = client("team/pinned@" + digest).pull(null);
    assertThat(pulled.archive()).isEqualTo(archive);
    assertThat(pulled.manifestDigest()).isEqualTo(digest);
    assertThat(client("team/pinned@" + digest).pull(digest).unchanged()).isTrue();

    assertThatThrownBy(() -> client("team/pinned@sha256:" + OciReferenceTest.HEX).pull(null))
        .isInstanceOf(OciException.class).hasMessageContaining("HTTP 404").hasMessageContaining("MANIFEST_UNKNOWN")
        .hasMessageContaining("check the repository `team/pinned` and the digest");
  }

  @Test
  void aMovedTagGivesTheNewBundleAndDigest() throws Exception {
    byte[] first = OciTestBundles.variant("first");
    byte[] second = OciTestBundles.variant("second");
    String one = client("team/moving:stable").push(first, "b.tar.gz");
    assertThat(client("team/moving:stable").pull(one).unchanged()).isTrue();

    String two = client("team/moving:stable").push(second, "b.tar.gz");
    assertThat(two).isNotEqualTo(one);
    OciRegistry.Pulled moved = client("team/moving:stable").pull(one);
    assertThat(moved.unchanged()).isFalse();
    assertThat(moved.manifestDigest()).isEqualTo(two);
    assertThat(moved.archive()).isEqualTo(second);
    // the old manifest is still there by digest
    assertThat(client("team/moving@" + one).pull(null).archive()).isEqualTo(first);
  }

  @Test
  void aMissingRepositoryOrTagIsAClearError() throws Exception {
    client("team/present:v1").push(OciTestBundles.example(), "shop.tar.gz");
    assertThatThrownBy(() -> client("team/absent:v1").pull(null)).isInstanceOf(OciException.class)
        .hasMessageContaining("registry " + registry.host() + ", oci://" + registry.host() + "/team/absent:v1")
        .hasMessageContaining("fetch the manifest: HTTP 404").hasMessageContaining("check the repository `team/absent`")
        .satisfies(e -> assertThat(((OciException) e).status()).isEqualTo(404));
    assertThatThrownBy(() -> client("team/present:v2").pull(null)).isInstanceOf(OciException.class)
        .hasMessageContaining("HTTP 404").hasMessageContaining("the tag `v2`");
    assertThatThrownBy(() -> client("team/present:v2").pull("sha256:" + OciReferenceTest.HEX))
        .hasMessageContaining("check the manifest: HTTP 404");
  }

  @Test
  void pushNeedsATag() throws Exception {
    assertThatThrownBy(() -> client("team/x@sha256:" + OciReferenceTest.HEX).push(OciTestBundles.example(), "x"))
        .isInstanceOf(OciException.class).hasMessageContaining("push to a tag");
  }
}
