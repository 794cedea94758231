package dev.warden.server.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisURI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code quota.redis} setting: what it accepts, and what it says about what it does not. */
class RedisUrlTest {
  static final Duration T = Duration.ofSeconds(2);

  @Test
  void aPlainUrlWithPortAndDatabase() {
    RedisURI u = RedisUrl.parse("redis://cache.internal:6380/2", false, T, null).uri();
    assertThat(u.getHost()).isEqualTo("cache.internal");
    assertThat(u.getPort()).isEqualTo(6380);
    assertThat(u.getDatabase()).isEqualTo(2);
    assertThat(u.isSsl()).isFalse();
    assertThat(credentials(u).hasPassword()).isFalse();
  }

  @Test
  void defaultsToPort6379AndDatabase0() {
    RedisURI u = RedisUrl.parse("redis://cache", false, T, null).uri();
    assertThat(u.getPort()).isEqualTo(6379);
    assertThat(u.getDatabase()).isZero();
  }

  @Test
  void aPasswordOrAUserAndPasswordAreTakenAndNeverShown() {
    RedisUrl pw = RedisUrl.parse("redis://:s3cret@cache:6379", false, T, null);
    assertThat(new String(credentials(pw.uri()).getPassword())).isEqualTo("s3cret");
    assertThat(credentials(pw.uri()).hasUsername()).isFalse();
    assertThat(pw.display()).isEqualTo("redis://:***@cache:6379");
    RedisUrl acl = RedisUrl.parse("rediss://warden:p%40ss@cache:6379", false, T, null);
    assertThat(credentials(acl.uri()).getUsername()).isEqualTo("warden");
    assertThat(new String(credentials(acl.uri()).getPassword())).isEqualTo("p@ss");
    assertThat(acl.uri().isSsl()).isTrue();
    assertThat(acl.display()).isEqualTo("rediss://warden:***@cache:6379");
  }

  @Test
  void anIpv6Host() {
    assertThat(RedisUrl.parse("redis://[::1]:7000", false, T, null).uri().getHost()).isEqualTo("::1");
  }

  @Test
  void tlsWithACaFile(@TempDir Path dir) throws Exception {
    Path ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
    assertThat(RedisUrl.parse("rediss://cache:6379", false, T, ca).uri().isSsl()).isTrue();
    assertThatThrownBy(() -> RedisUrl.parse("redis://cache:6379", false, T, ca))
        .hasMessageContaining("`quota.redis`").hasMessageContaining("use rediss://");
    assertThatThrownBy(() -> RedisUrl.parse("rediss://cache:6379", false, T, dir.resolve("missing.pem")))
        .hasMessageContaining("cannot be read");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "http://cache:6379          | `http://cache:6379` is not a Redis URL",
      "cache:6379                 | `cache:6379` is not a Redis URL",
      "redis://cache:abc          | has the port `abc`, not a number from 1 to 65535",
      "redis://:pw@cache:abc      | `redis://:***@cache:abc` has the port `abc`",
      "redis://cache:70000        | has port 70000, not one from 1 to 65535",
      "redis://cache:0            | has port 0, not one from 1 to 65535",
      "redis://cache/db1          | has the path `/db1`, not a database number",
      "redis://cache?timeout=10s  | has a query or fragment",
      "redis:///0                 | names no host",
      "redis://a b                | is not a URL",
  })
  void badUrlsNameTheSettingAndSayWhatIsWrong(String url, String message) {
    assertThatThrownBy(() -> RedisBuckets.connect(url, false, null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("`quota.redis` ")
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("pw@"));
  }

  @Test
  void emptyClusterDatabasesAndTimeouts() {
    assertThatThrownBy(() -> RedisBuckets.connect(" ", false, null, null)).hasMessageContaining("`quota.redis` is empty");
    assertThatThrownBy(() -> RedisBuckets.connect("redis://cache/3", true, null, null))
        .hasMessageContaining("Redis Cluster has only database 0");
    assertThatThrownBy(() -> RedisBuckets.connect("redis://cache", false, Duration.ZERO, null))
        .hasMessageContaining("timeout 0ms is not positive");
  }

  private static RedisCredentials credentials(RedisURI u) {
    return u.getCredentialsProvider().resolveCredentials().block(Duration.ofSeconds(1));
  }
}
