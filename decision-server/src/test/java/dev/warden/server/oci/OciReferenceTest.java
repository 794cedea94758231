package dev.warden.server.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** References Warden reads, and the ones it refuses with a message saying why. */
class OciReferenceTest {
  static final String HEX = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      oci://ghcr.io/acme/shop:v1                         | ghcr.io          | -1    | acme/shop          | v1     |        | oci://ghcr.io/acme/shop:v1
      oci://ghcr.io/acme/shop                            | ghcr.io          | -1    | acme/shop          | latest |        | oci://ghcr.io/acme/shop:latest
      oci://127.0.0.1:5000/shop:2026.11_1-rc             | 127.0.0.1        | 5000  | shop               | 2026.11_1-rc |  | oci://127.0.0.1:5000/shop:2026.11_1-rc
      oci://localhost:65535/a/b/c-d/e.f_g:_x            | localhost        | 65535 | a/b/c-d/e.f_g     | _x     |        | oci://localhost:65535/a/b/c-d/e.f_g:_x
      oci://[::1]:5000/shop:v1                           | [::1]            | 5000  | shop               | v1     |        | oci://[::1]:5000/shop:v1
      oci://reg.example.com/team/shop@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef | reg.example.com | -1 | team/shop |  | sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef | oci://reg.example.com/team/shop@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
      """)
  void good(String text, String host, int port, String repo, String tag, String digest, String shown) {
    OciReference r = OciReference.parse(text);
    assertThat(r.host()).isEqualTo(host);
    assertThat(r.port()).isEqualTo(port);
    assertThat(r.repository()).isEqualTo(repo);
    assertThat(r.tag()).isEqualTo(tag);
    assertThat(r.digest()).isEqualTo(digest);
    assertThat(r.reference()).isEqualTo(digest != null ? digest : tag);
    assertThat(r).hasToString(shown);
    assertThat(OciReference.parse(r.toString())).isEqualTo(r);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      https://ghcr.io/acme/shop:v1                 | does not start with `oci://`
      ghcr.io/acme/shop                            | does not start with `oci://`
      oci://                                       | the host is empty
      oci:///acme/shop                             | the host is empty
      oci://ghcr.io                                | no repository after the host
      oci://ghcr.io/                               | no repository after the host
      oci://:5000/shop                             | the host is empty
      oci://ghcr.io:/shop                          | the port `` is not a number
      oci://ghcr.io:http/shop                      | the port `http` is not a number
      oci://ghcr.io:70000/shop                     | the port 70000 is not from 1 to 65535
      oci://ghcr.io:0/shop                         | the port 0 is not from 1 to 65535
      oci://bad_host/shop                          | the host `bad_host` is not a valid host name
      oci://ghcr..io/shop                          | the host `ghcr..io` is not a valid host name
      oci://user:secret@ghcr.io/shop               | user info before the host
      oci://ghcr.io/shop?x=1                       | a query (`?`) or a fragment (`#`)
      oci://ghcr.io/shop#v1                        | a query (`?`) or a fragment (`#`)
      oci://ghcr.io/Acme/shop                      | the repository `Acme/shop` is not a valid name
      oci://ghcr.io/acme//shop                     | the repository `acme//shop` is not a valid name
      oci://ghcr.io/acme/shop/                     | the repository `acme/shop/` is not a valid name
      oci://ghcr.io/acme/-shop                     | the repository `acme/-shop` is not a valid name
      oci://ghcr.io/acme/shop..x                   | the repository `acme/shop..x` is not a valid name
      oci://ghcr.io/acme/shop__x                   | the repository `acme/shop__x` is not a valid name
      oci://ghcr.io/:v1                            | the repository name is empty
      oci://ghcr.io/shop:                          | the tag `` is not valid
      oci://ghcr.io/shop:.v1                       | the tag `.v1` is not valid
      oci://ghcr.io/shop:-v1                       | the tag `-v1` is not valid
      oci://ghcr.io/shop:v/1                       | the repository `shop:v/1` is not a valid name
      oci://ghcr.io/shop:v1:v2                     | the tag `v1:v2` is not valid
      oci://ghcr.io/shop@sha256:abc                | the digest `sha256:abc` is not `sha256:` and 64 lowercase hex digits
      oci://ghcr.io/shop@                          | the digest `` is not `sha256:`
      oci://ghcr.io/shop@sha512:abc                | the digest algorithm `sha512` is not supported
      """)
  void bad(String text, String why) {
    assertThatThrownBy(() -> OciReference.parse(text)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(why);
  }

  @org.junit.jupiter.api.Test
  void tagsDigestsAndUserInfoAreCheckedInFull() {
    assertThatThrownBy(() -> OciReference.parse("oci://ghcr.io/shop:" + "v".repeat(129)))
        .hasMessageContaining("is not valid: a tag is 1 to 128");
    assertThat(OciReference.parse("oci://ghcr.io/shop:" + "v".repeat(128)).tag()).hasSize(128);
    assertThatThrownBy(() -> OciReference.parse("oci://ghcr.io/shop@sha256:" + HEX.toUpperCase()))
        .hasMessageContaining("64 lowercase hex digits");
    assertThatThrownBy(() -> OciReference.parse("oci://ghcr.io/shop:v1@sha256:" + HEX))
        .hasMessageContaining("both a tag and a digest");
    assertThatThrownBy(() -> OciReference.parse("oci://ghcr.io/" + "a/".repeat(128) + "b"))
        .hasMessageContaining("longer than 255");
    // the secret in user info is never repeated back
    assertThatThrownBy(() -> OciReference.parse("oci://me:hunter2@ghcr.io/shop")).message()
        .doesNotContain("hunter2").contains("credentials");
    assertThat(OciReference.parse("oci://ghcr.io/shop:v1").withDigest("sha256:" + HEX))
        .hasToString("oci://ghcr.io/shop@sha256:" + HEX);
  }
}
