package dev.warden.server.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * HTTP to one registry: every request bounded in time and in the bytes read, redirects followed
 * by hand (at most {@link #MAX_REDIRECTS}; the {@code Authorization} header goes only to the
 * registry's own host and port, never to a blob store it redirects to), and the registry's auth
 * answered once per request: a {@code Bearer} challenge by fetching a token from its realm (with
 * the basic credentials, if any), a {@code Basic} challenge with the basic credentials. The
 * token is kept for the next requests and fetched again when a request is challenged anew (a
 * push needs a wider scope than a pull). Credentials never appear in a message.
 */
final class RegistryTransport {
  static final int MAX_REDIRECTS = 5;
  /** The most bytes of an error body or token answer read. */
  private static final int MAX_SMALL_BODY = 64 << 10;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A response: status, headers, the body read (empty for HEAD or when not asked for) and the URI answered. */
  record Response(int status, HttpHeaders headers, byte[] body, URI uri) {
    Optional<String> header(String name) {
      return headers.firstValue(name);
    }
  }

  private final OciReference reference;
  private final boolean plainHttp;
  private final OciCredentials credentials;
  private final Duration requestTimeout;
  private final HttpClient http;
  private volatile String authorization;

  RegistryTransport(OciReference reference, boolean plainHttp, OciCredentials credentials, Duration connectTimeout,
      Duration requestTimeout) {
    this.reference = Objects.requireNonNull(reference, "reference");
    this.plainHttp = plainHttp;
    this.credentials = credentials;
    this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
    this.http = HttpClient.newBuilder().connectTimeout(connectTimeout).followRedirects(HttpClient.Redirect.NEVER)
        .version(HttpClient.Version.HTTP_1_1).build();
    this.authorization = credentials != null && credentials.isBearer() ? credentials.authorization() : null;
  }

  /** {@code path} on the registry, such as {@code /v2/REPO/manifests/TAG}. */
  URI uri(String path) {
    return URI.create((plainHttp ? "http://" : "https://") + reference.registry() + path);
  }

  /** The registry's name in messages. */
  String registry() {
    return "registry " + reference.registry();
  }

  /**
   * Sends a request and reads at most {@code maxBody} bytes of a 2xx body (an error body is read
   * up to 64 KiB, for its message); {@code step} names what this request does in messages.
   *
   * @throws OciException when the registry cannot be reached, times out, refuses the
   *     credentials, redirects too often, or sends more than {@code maxBody} bytes
   */
  Response send(String step, String method, URI uri, Map<String, String> headers, byte[] body, long maxBody)
      throws OciException {
    boolean challenged = false;
    String currentMethod = method;
    byte[] currentBody = body;
    URI current = uri;
    for (int hops = 0; ; ) {
      Response r = once(step, currentMethod, current, headers, currentBody, maxBody);
      if (r.status() == 401 && sameOrigin(current) && !challenged) {
        challenged = true;
        authorize(step, r);
        continue;
      }
      if (r.status() == 401) {
        throw new OciException(registry() + ": " + step + ": HTTP 401, the registry refused "
            + (credentials == null ? "anonymous access; give credentials (--token-file or --user-file)"
                : "the credentials; check them and their permissions on `" + reference.repository() + "`"), 401, null);
      }
      if (isRedirect(r.status())) {
        String location = r.header("Location").orElseThrow(() -> new OciException(registry() + ": " + step
            + ": HTTP " + r.status() + " redirect without a Location", r.status(), null));
        if (++hops > MAX_REDIRECTS) {
          throw new OciException(registry() + ": " + step + ": more than " + MAX_REDIRECTS + " redirects");
        }
        current = current.resolve(location);
        if (!current.getScheme().equals("https") && !(plainHttp && current.getScheme().equals("http"))) {
          throw new OciException(registry() + ": " + step + ": redirected to a " + current.getScheme()
              + " URL; only https is followed (http with plain HTTP)");
        }
        if (r.status() == 303) {
          currentMethod = "GET";
          currentBody = null;
        }
        continue;
      }
      return r;
    }
  }

  /** Reads the error a registry answered with, for messages: the first OCI error's code and message. */
  static String errorDetail(Response r) {
    try {
      JsonNode errors = JSON.readTree(r.body()).path("errors");
      if (errors.isArray() && !errors.isEmpty()) {
        JsonNode e = errors.get(0);
        String code = e.path("code").asText("");
        String message = e.path("message").asText("");
        String detail = (code + (message.isEmpty() ? "" : ": " + message)).strip();
        return detail.length() > 200 ? detail.substring(0, 200) + "…" : detail;
      }
    } catch (IOException | RuntimeException e) {
      // not an OCI error body: the status says enough
    }
    return "";
  }

  private Response once(String step, String method, URI uri, Map<String, String> headers, byte[] body, long maxBody)
      throws OciException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(requestTimeout)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(b::header);
    if (authorization != null && sameOrigin(uri)) {
      b.header("Authorization", authorization);
    }
    boolean head = method.equals("HEAD");
    dev.warden.server.fetch.BoundedBody.Result result;
    try {
      result = dev.warden.server.fetch.BoundedBody.send(http, b.build(),
          status -> head ? 0 : status / 100 == 2 ? maxBody : MAX_SMALL_BODY, requestTimeout);
    } catch (HttpTimeoutException e) {
      throw new OciException(registry() + ": " + step + ": no complete answer within " + requestTimeout.toMillis()
          + " ms", 0, e);
    } catch (IOException e) {
      throw new OciException(registry() + ": " + step + ": cannot reach " + uri.getHost() + ": " + e, 0, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OciException(registry() + ": " + step + ": interrupted", 0, e);
    }
    HttpResponse<byte[]> response = result.response();
    int status = response.statusCode();
    if (result.truncated() && status / 100 == 2) {
      throw new OciException(registry() + ": " + step + ": the answer is larger than " + maxBody + " bytes");
    }
    return new Response(status, response.headers(), response.body(), uri);
  }

  /** Answers a 401's challenge: sets {@link #authorization} or throws saying why it cannot. */
  private void authorize(String step, Response r) throws OciException {
    AuthChallenge c = AuthChallenge.parse(r.header("WWW-Authenticate").orElse(null)).orElseThrow(() ->
        new OciException(registry() + ": " + step + ": HTTP 401 without a WWW-Authenticate challenge", 401, null));
    if (c.scheme().equals("basic")) {
      if (credentials == null || credentials.isBearer()) {
        throw new OciException(registry() + ": " + step + ": the registry asks for a user and password (basic auth);"
            + " give them with --user-file", 401, null);
      }
      authorization = credentials.authorization();
      return;
    }
    if (!c.scheme().equals("bearer")) {
      throw new OciException(registry() + ": " + step + ": the registry asks for `" + c.scheme()
          + "` auth, which Warden does not speak (basic and bearer only)", 401, null);
    }
    if (credentials != null && credentials.isBearer()) {
      throw new OciException(registry() + ": " + step + ": HTTP 401, the registry refused the token; check it and"
          + " its permissions on `" + reference.repository() + "`", 401, null);
    }
    authorization = "Bearer " + token(step, c);
  }

  private String token(String step, AuthChallenge c) throws OciException {
    String realm = c.param("realm");
    URI uri;
    try {
      uri = realm == null ? null : URI.create(realm);
    } catch (IllegalArgumentException e) {
      uri = null;
    }
    if (uri == null || !uri.isAbsolute() || uri.getHost() == null) {
      throw new OciException(registry() + ": " + step + ": the bearer challenge has no valid realm URL", 401, null);
    }
    if (!uri.getScheme().equals("https") && !(plainHttp && uri.getScheme().equals("http"))) {
      throw new OciException(registry() + ": " + step + ": the token service " + uri.getHost()
          + " is not https; refusing to use it (plain http only with --plain-http)", 401, null);
    }
    StringBuilder q = new StringBuilder();
    for (String p : new String[] {"service", "scope"}) {
      if (c.param(p) != null) {
        q.append(q.length() == 0 && uri.getRawQuery() == null ? '?' : '&').append(p).append('=')
            .append(URLEncoder.encode(c.param(p), StandardCharsets.UTF_8));
      }
    }
    URI tokenUri = URI.create(uri + q.toString());
    HttpRequest.Builder b = HttpRequest.newBuilder(tokenUri).timeout(requestTimeout).GET()
        .header("Accept", "application/json");
    if (credentials != null) {
      b.header("Authorization", credentials.authorization());
    }
    String where = registry() + ": " + step + ": the token service " + uri.getHost();
    HttpResponse<byte[]> response;
    byte[] bytes;
    try {
      dev.warden.server.fetch.BoundedBody.Result result = dev.warden.server.fetch.BoundedBody.send(http, b.build(),
          status -> MAX_SMALL_BODY, requestTimeout);
      response = result.response();
      bytes = result.truncated() ? new byte[MAX_SMALL_BODY + 1] : result.body();
    } catch (HttpTimeoutException e) {
      throw new OciException(where + ": no complete answer within " + requestTimeout.toMillis() + " ms", 0, e);
    } catch (IOException e) {
      throw new OciException(where + " cannot be reached: " + e, 0, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OciException(where + ": interrupted", 0, e);
    }
    if (response.statusCode() != 200) {
      throw new OciException(where + " answered HTTP " + response.statusCode()
          + (credentials == null ? "; the repository may need credentials" : "; check the credentials"),
          response.statusCode(), null);
    }
    if (bytes.length > MAX_SMALL_BODY) {
      throw new OciException(where + ": its answer is larger than " + MAX_SMALL_BODY + " bytes");
    }
    String token;
    try {
      JsonNode json = JSON.readTree(bytes);
      token = json.path("token").asText(json.path("access_token").asText(""));
    } catch (IOException e) {
      token = "";
    }
    if (token.isEmpty() || token.chars().anyMatch(ch -> ch < 0x21 || ch > 0x7e)) {
      throw new OciException(where + " answered without a usable `token` or `access_token`");
    }
    return token;
  }

  private boolean sameOrigin(URI uri) {
    URI base = uri("/");
    return base.getScheme().equals(uri.getScheme()) && base.getHost().equalsIgnoreCase(uri.getHost())
        && port(base) == port(uri);
  }

  private static int port(URI uri) {
    return uri.getPort() >= 0 ? uri.getPort() : uri.getScheme().equals("https") ? 443 : 80;
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }
}
