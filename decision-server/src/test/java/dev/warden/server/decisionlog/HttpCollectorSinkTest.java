package dev.warden.server.decisionlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.warden.server.decisionlog.LoopbackCollector.Answer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** One write is one OPA-style post; the collector's answer decides delivered, retried or refused. */
@Timeout(20)
class HttpCollectorSinkTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  @TempDir Path dir;
  private LoopbackCollector collector;

  @BeforeEach
  void start() throws IOException {
    collector = new LoopbackCollector();
  }

  @AfterEach
  void stop() {
    collector.close();
  }

  @Test
  void aWriteIsOneGzipJsonArrayOfExactlyTheRecordsWithTheBearerToken() throws Exception {
    Path token = dir.resolve("token");
    Files.writeString(token, "  s3cret-token\n");
    HttpCollectorSink sink = new HttpCollectorSink(collector.url(), 1 << 20, TIMEOUT, token);

    sink.write(List.of(line("{\"decisionId\":\"a\",\"n\":1}"), line("{\"decisionId\":\"b\",\"masked\":[\"x\"]}"),
        line("{\"decisionId\":\"c\"}")));

    assertThat(collector.posts()).isEqualTo(1);
    assertThat(collector.records()).extracting(r -> r.path("decisionId").asText()).containsExactly("a", "b", "c");
    assertThat(collector.records().get(1).path("masked").get(0).asText()).isEqualTo("x");
    Map<String, List<String>> h = collector.headers().get(0);
    assertThat(h.get("Content-type")).containsExactly("application/json");
    assertThat(h.get("Content-encoding")).containsExactly("gzip");
    assertThat(h.get("Authorization")).containsExactly("Bearer s3cret-token");
    assertThat(sink.maxBatchBytes()).isEqualTo(1 << 20);
    assertThat(sink.describe()).isEqualTo("collector " + collector.url());
  }

  @Test
  void serverErrorsTimeoutsAnd429AreRetriedAndOtherClientErrorsAreRefusals() throws Exception {
    HttpCollectorSink sink = new HttpCollectorSink(collector.url(), 1 << 20, TIMEOUT, null);
    List<byte[]> batch = List.of(line("{\"decisionId\":\"a\"}"));

    collector.thenAnswer(new Answer(500, null, 0), new Answer(503, "7", 0), new Answer(429, "3", 0),
        new Answer(408, null, 0), new Answer(400, null, 0), new Answer(413, null, 0), new Answer(401, null, 0),
        new Answer(302, null, 0));

    assertThatThrownBy(() -> sink.write(batch)).isExactlyInstanceOf(IOException.class)
        .hasMessageContaining("answered 500: answer 500");
    assertThatThrownBy(() -> sink.write(batch)).isInstanceOfSatisfying(LogSink.RetryLater.class,
        e -> assertThat(e.after()).isEqualTo(Duration.ofSeconds(7)));
    assertThatThrownBy(() -> sink.write(batch)).isInstanceOfSatisfying(LogSink.RetryLater.class,
        e -> assertThat(e.after()).isEqualTo(Duration.ofSeconds(3)));
    assertThatThrownBy(() -> sink.write(batch)).isExactlyInstanceOf(IOException.class).hasMessageContaining("408");
    assertThatThrownBy(() -> sink.write(batch)).isInstanceOf(LogSink.Refused.class).hasMessageContaining("400");
    assertThatThrownBy(() -> sink.write(batch)).isInstanceOf(LogSink.Refused.class)
        .hasMessageContaining("decision_log.http.max_batch_bytes");
    assertThatThrownBy(() -> sink.write(batch)).isInstanceOf(LogSink.Refused.class)
        .hasMessageContaining("decision_log.http.token_file");
    assertThatThrownBy(() -> sink.write(batch)).isInstanceOf(LogSink.Refused.class)
        .hasMessageContaining("redirects are not followed");
    assertThat(collector.records()).isEmpty();
    sink.write(batch);
    assertThat(collector.records()).hasSize(1);
  }

  @Test
  void aSlowCollectorTimesOutAndAStoppedOneFailsToConnect() throws Exception {
    HttpCollectorSink sink = new HttpCollectorSink(collector.url(), 1 << 20, Duration.ofMillis(300), null);
    collector.thenAnswer(new Answer(204, null, 3_000));
    assertThatThrownBy(() -> sink.write(List.of(line("{}")))).isExactlyInstanceOf(IOException.class)
        .hasMessageContaining("no answer within 300 ms");

    URI closed;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = URI.create("http://127.0.0.1:" + s.getLocalPort() + "/logs");
    }
    HttpCollectorSink nowhere = new HttpCollectorSink(closed, 1 << 20, Duration.ofMillis(500), null);
    assertThatThrownBy(() -> nowhere.write(List.of(line("{}")))).isExactlyInstanceOf(IOException.class)
        .hasMessageStartingWith("POST " + closed);
  }

  @Test
  void aTokenFileWithoutATokenIsRefusedAtStartAndItsContentIsNeverShown() throws Exception {
    Path token = dir.resolve("token");
    Files.writeString(token, "two words");
    assertThatThrownBy(() -> new HttpCollectorSink(collector.url(), 1 << 20, TIMEOUT, token))
        .hasMessageContaining("decision_log.http.token_file").hasMessageNotContaining("two words");
    assertThatThrownBy(() -> new HttpCollectorSink(collector.url(), 1 << 20, TIMEOUT, dir.resolve("absent")))
        .hasMessageContaining("cannot read `decision_log.http.token_file`");
  }

  @Test
  void retryAfterIsSecondsOrAnHttpDate() {
    assertThat(HttpCollectorSink.retryAfter("120")).contains(Duration.ofSeconds(120));
    assertThat(HttpCollectorSink.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).contains(Duration.ZERO);
    assertThat(HttpCollectorSink.retryAfter("-1")).isEmpty();
    assertThat(HttpCollectorSink.retryAfter("soon")).isEmpty();
    assertThat(HttpCollectorSink.retryAfter(null)).isEmpty();
  }

  @Test
  void theBodyIsTheRecordsAsOneJsonArray() throws Exception {
    byte[] gz = HttpCollectorSink.body(List.of(line("{\"a\":1}"), line("{\"b\":[2]}")),
        java.util.function.UnaryOperator.identity());
    byte[] raw = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gz)).readAllBytes();
    assertThat(new String(raw, StandardCharsets.UTF_8)).isEqualTo("[{\"a\":1},{\"b\":[2]}]");
    JsonNode parsed = new com.fasterxml.jackson.databind.ObjectMapper().readTree(raw);
    assertThat(parsed.size()).isEqualTo(2);
  }

  static byte[] line(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
