package dev.warden.server.source;

import dev.warden.bundle.BundleArchive;
import dev.warden.bundle.BundleReadException;
import dev.warden.bundle.BundleReader;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * A bundle archive served over HTTP(S), polled with `If-None-Match`: a server that answers `304`
 * for the `ETag` of the bundle that is active costs one small round trip per check. Any other
 * answer than `200` or `304` is a failed fetch naming the status; a body longer than
 * {@link #MAX_ARCHIVE_BYTES} (by `Content-Length`, or while reading) is refused before it is
 * read whole; the body is then read as any archive, under the same limits.
 */
public final class HttpSource implements BundleSource {
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
        .followRedirects(HttpClient.Redirect.NORMAL).build();
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
    HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(settings.timeout()).GET()
        .header("Accept", "application/gzip, application/x-gzip, application/octet-stream");
    String token = token(settings.tokenFile());
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (acceptedEtag != null) {
      request.header("If-None-Match", acceptedEtag);
    }
    HttpResponse<InputStream> response;
    try {
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (HttpTimeoutException e) {
      throw new BundleReadException("GET " + shown + ": no answer within " + settings.timeout().toMillis() + " ms");
    } catch (IOException e) {
      throw new BundleReadException("GET " + shown + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BundleReadException("GET " + shown + ": interrupted (Warden is stopping)");
    }
    try (InputStream body = response.body()) {
      int status = response.statusCode();
      if (status == 304 && acceptedEtag != null) {
        return null;
      }
      if (status != 200) {
        throw new BundleReadException("GET " + shown + " answered " + status + (status == 304
            ? " (not modified) to a request that was not conditional" : status == 401 || status == 403
            ? ": check `reload.remote.token_file`" : ""));
      }
      OptionalLong length = response.headers().firstValueAsLong("content-length");
      if (length.isPresent() && length.getAsLong() > MAX_ARCHIVE_BYTES) {
        throw new BundleReadException("GET " + shown + ": the archive is " + length.getAsLong()
            + " bytes, more than the " + MAX_ARCHIVE_BYTES + " a bundle may have");
      }
      byte[] archive = readBounded(body);
      BundleArchive.Signed signed = BundleArchive.readSigned(new java.io.ByteArrayInputStream(archive), shown);
      return new Fetched(signed, response.headers().firstValue("etag").orElse(null));
    } catch (IOException e) {
      throw new BundleReadException("GET " + shown + ": the body broke off: " + e.getMessage());
    }
  }

  private byte[] readBounded(InputStream body) throws IOException, BundleReadException {
    byte[] bytes = body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, MAX_ARCHIVE_BYTES + 1));
    if (bytes.length > MAX_ARCHIVE_BYTES) {
      throw new BundleReadException("GET " + shown + ": the archive is more than the " + MAX_ARCHIVE_BYTES
          + " bytes a bundle may have");
    }
    return bytes;
  }

  /** The token in {@code file}, trimmed; null without a file. Never part of a message. */
  static String token(Path file) throws BundleReadException {
    if (file == null) {
      return null;
    }
    try {
      String t = Files.readString(file).trim();
      if (t.isEmpty() || t.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
        throw new BundleReadException("`reload.remote.token_file` `" + file
            + "` must hold one token of visible ASCII characters (it is sent in a header)");
      }
      return t;
    } catch (IOException e) {
      throw new BundleReadException("cannot read `reload.remote.token_file` `" + file + "`: " + e.getMessage());
    }
  }

  @Override
  public void accept(Fetched fetched) {
    acceptedEtag = fetched.version();
  }

  @Override
  public void forget() {
    acceptedEtag = null;
  }
}
