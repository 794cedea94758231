package dev.warden.server.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.warden.server.ServerConfig;
import dev.warden.server.Tokens;
import dev.warden.server.WardenServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

class JwtVerifierTest {
  static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");
  @TempDir Path dir;

  @Test
  void verifiesWithKeysFetchedFromAUrlAndCachesThem() throws Exception {
    Tokens tokens = new Tokens(NOW);
    byte[] jwks = Files.readString(tokens.writeJwks(dir)).getBytes(StandardCharsets.UTF_8);
    AtomicInteger fetches = new AtomicInteger();
    HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.createContext("/jwks", ex -> {
      fetches.incrementAndGet();
      ex.sendResponseHeaders(200, jwks.length);
      ex.getResponseBody().write(jwks);
      ex.close();
    });
    http.start();
    try {
      JwtConfig config = new JwtConfig(Tokens.ISSUER, List.of(Tokens.AUDIENCE), List.of("RS256"), null,
          URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/jwks"), Duration.ofMinutes(5),
          Duration.ofSeconds(30), true);
      JwtVerifier verifier = new JwtVerifier(config, Clock.fixed(NOW, ZoneOffset.UTC));
      verifier.preload();
      Map<String, Object> claims = verifier.verify(tokens.valid("alice", List.of("customer"), "acme"));
      assertThat(claims).containsEntry("sub", "alice").containsEntry("roles", List.of("customer"));
      verifier.verify(tokens.valid("bob", List.of("customer"), "acme"));
      assertThat(fetches.get()).isEqualTo(1);
      assertThatThrownBy(() -> verifier.verify(tokens.expired("alice"))).isInstanceOf(JwtVerifier.InvalidToken.class);
    } finally {
      http.stop(0);
    }
  }

  @Test
  void clockSkewIsHonouredWithinItsBound() throws Exception {
    Tokens tokens = new Tokens(NOW.minus(Duration.ofMinutes(10)).minusSeconds(20));
    JwtConfig config = new JwtConfig(Tokens.ISSUER, List.of(Tokens.AUDIENCE), List.of("RS256"),
        tokens.writeJwks(dir), null, Duration.ofMinutes(5), Duration.ofSeconds(30), false);
    // The token expired 20 s ago; 30 s of skew still accepts it, 10 s does not.
    String token = tokens.valid("alice", List.of("customer"), "acme");
    assertThat(new JwtVerifier(config, Clock.fixed(NOW, ZoneOffset.UTC)).verify(token)).containsEntry("sub", "alice");
    JwtConfig strict = new JwtConfig(Tokens.ISSUER, List.of(Tokens.AUDIENCE), List.of("RS256"),
        tokens.writeJwks(dir), null, Duration.ofMinutes(5), Duration.ofSeconds(10), false);
    assertThatThrownBy(() -> new JwtVerifier(strict, Clock.fixed(NOW, ZoneOffset.UTC)).verify(token))
        .isInstanceOf(JwtVerifier.InvalidToken.class);
  }

  @ParameterizedTest(name = "{0} (loopback http allowed: {1}): {2}")
  @CsvSource(delimiter = '|', value = {
      "http://idp.example.com/jwks     | true  | must use https",
      "http://10.0.0.5/jwks            | true  | must use https",
      "http://127.0.0.1.nip.io/jwks    | true  | must use https",
      "http://127.0.0.1:8080/jwks      | false | allow_loopback_http",
      "http://localhost/jwks           | false | allow_loopback_http",
      "ftp://idp.example.com/jwks      | true  | must be an https:// URL",
      "/jwks                           | true  | must be an https:// URL",
  })
  void jwksUrlsMustBeHttpsButForAllowedLoopback(String url, boolean allowLoopback, String why) {
    assertThatThrownBy(() -> new JwtConfig(Tokens.ISSUER, List.of(), List.of("RS256"), null, URI.create(url),
        Duration.ofMinutes(5), Duration.ofSeconds(30), allowLoopback))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(why);
  }

  @Test
  void httpsAndAllowedLoopbackJwksUrlsAreAccepted() {
    for (String url : new String[] {"https://idp.example.com/jwks", "http://127.0.0.1:9/jwks", "http://[::1]:9/jwks",
        "http://localhost:9/jwks"}) {
      new JwtConfig(Tokens.ISSUER, List.of(), List.of("RS256"), null, URI.create(url), Duration.ofMinutes(5),
          Duration.ofSeconds(30), !url.startsWith("https"));
    }
  }

  @Test
  void aPlainHttpJwksUrlIsAConfigErrorNamingTheKey() {
    Map<String, String> flags = Map.of("bundle", "../policies/shop", "identity.jwt.issuer", Tokens.ISSUER,
        "identity.jwt.jwks_url", "http://idp.example.com/jwks");
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), flags)).isInstanceOf(ServerConfig.ConfigException.class)
        .hasMessageContaining("`identity.jwt.jwks_url` must use https");
  }

  @Test
  void anUnreachableJwksFailsStartUpLoudly() throws Exception {
    Map<String, String> flags = Map.of("bundle", "../policies/shop", "grpc.listen", "127.0.0.1:0",
        "http.listen", "127.0.0.1:0", "identity.jwt.issuer", Tokens.ISSUER,
        "identity.jwt.jwks_file", dir.resolve("missing.json").toString());
    WardenServer server = new WardenServer(ServerConfig.load(null, Map.of(), flags), Clock.systemUTC());
    assertThatThrownBy(server::start).isInstanceOf(WardenServer.StartException.class)
        .hasMessageContaining("cannot read `identity.jwt.jwks_file` `" + dir.resolve("missing.json") + "`: no such file");
    server.close();
  }

  @Test
  void aJwksFileThatIsNotAKeySetFailsStartUpNamingIt() throws Exception {
    java.nio.file.Files.writeString(dir.resolve("jwks.json"), "{\"keys\": 7}");
    Map<String, String> flags = Map.of("bundle", "../policies/shop", "grpc.listen", "127.0.0.1:0",
        "http.listen", "127.0.0.1:0", "identity.jwt.issuer", Tokens.ISSUER,
        "identity.jwt.jwks_file", dir.resolve("jwks.json").toString());
    WardenServer server = new WardenServer(ServerConfig.load(null, Map.of(), flags), Clock.systemUTC());
    assertThatThrownBy(server::start).isInstanceOf(WardenServer.StartException.class)
        .hasMessageContaining("cannot load the JWKS from `identity.jwt.jwks_file` `" + dir.resolve("jwks.json") + "`: ");
    server.close();
  }
}
