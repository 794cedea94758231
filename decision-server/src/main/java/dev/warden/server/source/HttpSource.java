package dev.warden.server.source;

import dev.warden.bundle.BundleArchive;
import dev.warden.bundle.BundleReadException;
import dev.warden.bundle.BundleReader;
import dev.warden.server.fetch.BoundedBody;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;

/**
 * A bundle archive served over HTTP(S), polled with `If-None-Match`: a server that answers `304`
 * for the `ETag` of the bundle that is active costs one small round trip per check. Any other
 * answer than `200` or `304` is a failed fetch naming the status; a body longer than
 * {@link #MAX_ARCHIVE_BYTES} is refused without being read further; the whole exchange must end
 * within `reload.remote.timeout` ({@link BoundedBody}); the body is then read as any archive,
 * under the same limits.
 *
 * <p>Redirects are followed here, at most {@link #MAX_REDIRECTS}, never from `https` to `http`:
 * the token goes only to the origin of the configured URL, never to the host a redirect names
 * (a CDN, object storage, or whoever answered the redirect).
 */
public final class HttpSource implements BundleSource {
  /** The most redirects one fetch follows. */
  static final int MAX_REDIRECTS = 5;

  /** The largest archive downloaded: the reader's bound on a whole bundle, compressed or not. */
  public static final long MAX_ARCHIVE_BYTES = BundleReader.MAX_TOTAL_BYTES;

  private final URI url;
  private final Remote settings;
  private final HttpClient client;
  private final String shown;
  /** The `ETag` of the last accepted bundle, or null: the next fetch is unconditional. */
  private String acceptedEtag;

  public HttpSource(URI url, Remote settings) {
    this.url = url;
    this.settings = settings;
    this.client = HttpClient.newBuilder().connectTimeout(settings.timeout())
        .followRedirects(HttpClient.Redirect.NEVER).build();
    this.shown = shown(url);
  }

  /** The URL without user info, query or fragment: those may hold credentials. */
  public static String shown(URI url) {
    return url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort())
        + (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath());
  }

  @Override
  public String kind() {
    return "http";
  }

  @Override
  public String location() {
    return shown;
  }

  @Override
  public boolean local() {
    return false;
  }

  @Override
  public Fetched fetch() throws BundleReadException {
    String token = token(settings.tokenFile());
    URI at = url;
    for (int hop = 0; ; hop++) {
      HttpRequest.Builder request = HttpRequest.newBuilder(at).timeout(settings.timeout()).GET()
          .header("Accept", "application/gzip, application/x-gzip, application/octet-stream");
      if (token != null && sameOrigin(at, url)) {
        request.header("Authorization", "Bearer " + token);
      }
      if (acceptedEtag != null) {
        request.header("If-None-Match", acceptedEtag);
      }
      BoundedBody.Result result;
      try {
        result = BoundedBody.send(client, request.build(), status -> status == 200 ? MAX_ARCHIVE_BYTES : 0,
            settings.timeout());
      } catch (HttpTimeoutException e) {
        throw new BundleReadException("GET " + shown + ": no complete answer within " + settings.timeout().toMillis()
            + " ms");
      } catch (IOException e) {
        throw new BundleReadException("GET " + shown + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BundleReadException("GET " + shown + ": interrupted (Warden is stopping)");
      }
      HttpResponse<byte[]> response = result.response();
      int status = response.statusCode();
      if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
        at = redirect(at, response, hop);
        continue;
      }
      if (status == 304 && acceptedEtag != null) {
        return null;
      }
      if (status != 200) {
        throw new BundleReadException("GET " + shown + " answered " + status + (status == 304
            ? " (not modified) to a request that was not conditional" : status == 401 || status == 403
            ? ": check `reload.remote.token_file`" : ""));
      }
      if (result.truncated()) {
        throw new BundleReadException("GET " + shown + ": the archive is more than the " + MAX_ARCHIVE_BYTES
            + " bytes a bundle may have");
      }
      BundleArchive.Signed signed = BundleArchive.readSigned(new java.io.ByteArrayInputStream(response.body()), shown);
      return new Fetched(signed, response.headers().firstValue("etag").orElse(null));
    }
  }

  /** Where a redirect leads: absolute, at most {@link #MAX_REDIRECTS}, never from https down to http. */
  private URI redirect(URI from, HttpResponse<?> response, int hop) throws BundleReadException {
    if (hop + 1 > MAX_REDIRECTS) {
      throw new BundleReadException("GET " + shown + ": more than " + MAX_REDIRECTS + " redirects");
    }
    String location = response.headers().firstValue("location").orElseThrow(() -> new BundleReadException(
        "GET " + shown + " answered " + response.statusCode() + " without a Location"));
    URI to;
    try {
      to = from.resolve(location);
    } catch (IllegalArgumentException e) {
      throw new BundleReadException("GET " + shown + ": the redirect's Location is not a URL");
    }
    String scheme = to.getScheme() == null ? "" : to.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!scheme.equals("https") && !(scheme.equals("http") && "http".equalsIgnoreCase(from.getScheme()))) {
      throw new BundleReadException("GET " + shown + ": refusing a redirect from " + from.getScheme() + " to "
          + (scheme.isEmpty() ? "a relative scheme" : scheme));
    }
    if (to.getHost() == null) {
      throw new BundleReadException("GET " + shown + ": the redirect names no host");
    }
    return to;
  }

  /** Same scheme, host and port: where the token may go. */
  static boolean sameOrigin(URI a, URI b) {
    return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
        && port(a) == port(b);
  }

  private static int port(URI u) {
    return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
  }

  /** The token in {@code file}, trimmed; null without a file. Never part of a message. */
  static String token(Path file) throws BundleReadException {
    if (file == null) {
      return null;
    }
    try {
      return dev.warden.server.fetch.TokenFile.read(file, "reload.remote.token_file");
    } catch (IOException e) {
      throw new BundleReadException(e.getMessage());
    }
  }

  @Override
  public void accept(Fetched fetched) {
    acceptedEtag = fetched.version();
  }

}
