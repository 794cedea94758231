package dev.warden.server.decisionlog;

import dev.warden.server.fetch.BoundedBody;
import dev.warden.server.fetch.TokenFile;
import dev.warden.server.source.HttpSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;

/**
 * Posts each batch to a decision log collector the way OPA's decision log plugin does, so that a
 * collector written for OPA takes it: {@code POST URL}, {@code Content-Type: application/json},
 * {@code Content-Encoding: gzip}, the body a gzip-compressed JSON array of the batch's records
 * (each a {@code warden.v1.DecisionLog} object, as the file sink writes them).
 *
 * <p>The answer decides what the pipeline does with the batch:
 * <ul>
 *   <li>2xx: delivered;
 *   <li>408, 429, 5xx, a timeout or a connection failure: an IOException, retried with the
 *       pipeline's backoff; a `Retry-After` (seconds or an HTTP date) is {@link RetryLater};
 *   <li>any other answer (a 4xx, a 3xx: redirects are not followed): {@link Refused}, counted
 *       dropped and never retried, since the collector would answer the same again.
 * </ul>
 * One batch is one request ({@link #maxBatchBytes} bounds its uncompressed body; the pipeline never
 * hands more, but a single longer record is sent alone), so a batch is all or nothing. The whole
 * exchange must end within the timeout ({@link BoundedBody}); at most {@link #MAX_ANSWER_BYTES} of
 * the answer are read, to quote in a log line.
 *
 * <p>A bearer token, read from its file once at construction, goes in `Authorization`; it is never
 * logged. {@code ServerConfig} refuses plain `http://` but to loopback. Not thread-safe: the
 * pipeline's one writer thread uses it.
 */
public final class HttpCollectorSink implements LogSink {
  /** How much of a collector's answer is kept, for the log line of a refusal. */
  static final int MAX_ANSWER_BYTES = 4096;

  private final URI url;
  private final String shown;
  private final long maxBatchBytes;
  private final Duration timeout;
  private final String token;
  private final HttpClient client;
  /** Each record's line as the collector takes it: itself, or {@link OpaEvents#of}. */
  private final java.util.function.UnaryOperator<byte[]> event;

  /**
   * @param maxBatchBytes the most bytes of one request's uncompressed JSON array
   * @param tokenFile a file holding the bearer token, or null for none
   * @throws IOException when the token file cannot be read or holds no token
   */
  public HttpCollectorSink(URI url, long maxBatchBytes, Duration timeout, Path tokenFile) throws IOException {
    this(url, maxBatchBytes, timeout, tokenFile, java.util.function.UnaryOperator.identity());
  }

  /**
   * As above, each record posted as {@code event} makes it of the record's line (an OPA event:
   * {@code decision_log.http.format: opa}).
   */
  public HttpCollectorSink(URI url, long maxBatchBytes, Duration timeout, Path tokenFile,
      java.util.function.UnaryOperator<byte[]> event) throws IOException {
    this.event = event;
    this.url = url;
    this.shown = HttpSource.shown(url);
    this.maxBatchBytes = maxBatchBytes;
    this.timeout = timeout;
    this.token = tokenFile == null ? null : TokenFile.read(tokenFile, "decision_log.http.token_file");
    this.client = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
  }

  @Override
  public void write(List<byte[]> lines) throws IOException {
    if (lines.isEmpty()) {
      return;
    }
    HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(timeout)
        .header("Content-Type", "application/json").header("Content-Encoding", "gzip")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body(lines, event)));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<byte[]> response;
    try {
      response = BoundedBody.send(client, request.build(), status -> MAX_ANSWER_BYTES, timeout).response();
    } catch (HttpTimeoutException e) {
      throw new IOException("POST " + shown + ": no answer within " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("POST " + shown + ": interrupted (Warden is stopping)");
    } catch (IOException e) {
      throw new IOException("POST " + shown + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
    }
    int status = response.statusCode();
    if (status / 100 == 2) {
      return;
    }
    String said = "POST " + shown + " answered " + status + answer(response.body());
    if (status == 408 || status == 429 || status / 100 == 5) {
      Optional<Duration> after = retryAfter(response.headers().firstValue("retry-after").orElse(null));
      if (after.isPresent()) {
        throw new RetryLater(said + " (Retry-After " + after.get().toSeconds() + " s)", after.get());
      }
      throw new IOException(said);
    }
    throw new Refused(said + (status == 401 || status == 403 ? ": check `decision_log.http.token_file`"
        : status == 413 ? ": lower `decision_log.http.max_batch_bytes`"
        : status / 100 == 3 ? ": redirects are not followed; set `decision_log.http.url` to where it leads" : ""));
  }

  /** Each line as OPA's decision log event, labelled with this process's instance id and Warden's version. */
  public static java.util.function.UnaryOperator<byte[]> opaEvents(String instanceId, String version) {
    return new OpaEvents(instanceId, version)::of;
  }

  /** The gzip-compressed JSON array {@code [event(line),event(line),…]}. */
  static byte[] body(List<byte[]> lines, java.util.function.UnaryOperator<byte[]> event) throws IOException {
    long raw = 2;
    for (byte[] l : lines) {
      raw += l.length + 1L;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(raw / 4 + 64, 1 << 20));
    try (GZIPOutputStream gzip = new GZIPOutputStream(out, 8192)) {
      gzip.write('[');
      for (int i = 0; i < lines.size(); i++) {
        if (i > 0) {
          gzip.write(',');
        }
        gzip.write(event.apply(lines.get(i)));
      }
      gzip.write(']');
    }
    return out.toByteArray();
  }

  /** `Retry-After` as seconds or an HTTP date; empty when absent or unreadable. */
  static Optional<Duration> retryAfter(String value) {
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    String v = value.trim();
    try {
      long seconds = Long.parseLong(v);
      return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(Math.min(seconds, 86_400)));
    } catch (NumberFormatException e) {
      try {
        java.time.ZonedDateTime at = java.time.ZonedDateTime.parse(v, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME);
        Duration d = Duration.between(java.time.Instant.now(), at.toInstant());
        return Optional.of(d.isNegative() ? Duration.ZERO : d);
      } catch (java.time.format.DateTimeParseException e2) {
        return Optional.empty();
      }
    }
  }

  /** The start of the collector's answer, one line of visible characters, for a log line. */
  private static String answer(byte[] body) {
    if (body == null || body.length == 0) {
      return "";
    }
    String s = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8)
        .replaceAll("[\\p{Cntrl}]+", " ").trim();
    return s.isEmpty() ? "" : ": " + s;
  }

  @Override
  public void flush() {
    // Every write is a request that returned: nothing is held here.
  }

  @Override
  public long maxBatchBytes() {
    return maxBatchBytes;
  }

  @Override
  public String describe() {
    return "collector " + shown;
  }

  @Override
  public void close() {
    // The client's connections are released with it; nothing is held here.
  }
}
