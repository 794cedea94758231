package dev.warden.server.identity;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.List;

/**
 * The verification keys, from a JWKS file or URL, held in a Caffeine cache that refreshes in the
 * background: a request never waits for a refresh once keys are loaded, and a failed refresh
 * keeps the previous keys.
 */
final class JwksSource implements JWKSource<SecurityContext> {
  private static final String KEY = "jwks";
  private static final int MAX_BYTES = 1 << 20;

  private final LoadingCache<String, JWKSet> cache;

  JwksSource(Path file, URI url, Duration refresh) {
    HttpClient http = url == null ? null : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    this.cache = Caffeine.newBuilder()
        .refreshAfterWrite(refresh)
        .build(k -> file != null ? readFile(file) : fetch(http, url));
  }

  private static JWKSet readFile(Path file) throws IOException, ParseException {
    if (Files.size(file) > MAX_BYTES) {
      throw new IOException("JWKS file " + file + " is larger than 1 MiB");
    }
    return JWKSet.parse(Files.readString(file));
  }

  private static JWKSet fetch(HttpClient http, URI url) throws IOException, InterruptedException, ParseException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("JWKS " + url + " answered " + r.statusCode());
    }
    if (r.body().length() > MAX_BYTES) {
      throw new IOException("JWKS " + url + " is larger than 1 MiB");
    }
    return JWKSet.parse(r.body());
  }

  /** Loads the keys now, so that a bad JWKS fails at start rather than on the first request. */
  void preload() {
    cache.get(KEY);
  }

  @Override
  public List<JWK> get(JWKSelector selector, SecurityContext context) throws KeySourceException {
    try {
      return selector.select(cache.get(KEY));
    } catch (RuntimeException e) {
      throw new KeySourceException("verification keys are unavailable: " + e.getMessage(), e);
    }
  }
}
