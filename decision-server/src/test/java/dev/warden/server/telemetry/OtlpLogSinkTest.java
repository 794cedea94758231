package dev.warden.server.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Outcome;
import dev.warden.server.ServerConfig;
import dev.warden.server.authz.DecisionRecord;
import dev.warden.server.decisionlog.DecisionLogPipeline;
import dev.warden.server.decisionlog.Masking;
import dev.warden.server.decisionlog.RecordEncoder;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OTLP decision log sink against a loopback OTLP/HTTP collector, through the real pipeline:
 * every record arrives once, as one log record with its fields; a collector that fails is retried
 * until it takes the batch, and the pipeline's counts stay exact.
 */
class OtlpLogSinkTest {
  private static final Instant TIME = Instant.parse("2026-12-02T06:40:00.123456789Z");
  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String PARENT = "00f067aa0ba902b7";
  @TempDir Path dir;
  private OtlpReceiver receiver;

  @BeforeEach
  void receiver() throws IOException {
    receiver = OtlpReceiver.start();
  }

  @AfterEach
  void stop() {
    receiver.close();
  }

  /** A line as RecordEncoder writes one: fields in the proto's order, `request` among them. */
  static byte[] line(int i) {
    String trace = i % 2 == 0 ? ",\"trace\":{\"traceId\":\"" + TRACE + "\",\"parentSpanId\":\"" + PARENT + "\"}" : "";
    return ("{\"version\":1,\"decisionId\":\"d-" + i + "\",\"time\":\"" + TIME + "\",\"api\":\"ext_authz\","
        + "\"bundle\":{\"name\":\"work\",\"revision\":\"rev-a@sha256:0123456789ab\",\"digest\":\"sha256:00\"}" + trace
        + ",\"request\":{\"method\":\"GET\",\"path\":\"/items/" + i + "\",\"headers\":{\"traceId\":\"not-this\"}},"
        + "\"outcome\":\"" + (i % 3 == 0 ? "forbid" : "allow") + "\",\"status\":200,\"rules\":[{\"id\":\"r\"}]}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private OtlpLogSink sink(Path headers) {
    return OtlpLogSink.of(new ServerConfig.Otlp(receiver.url() + "/v1/logs", Duration.ofSeconds(5), headers),
        "warden-test", Clock.systemUTC());
  }

  private static String attribute(LogRecord r, String key) {
    return r.getAttributesList().stream().filter(a -> a.getKey().equals(key)).map(a -> a.getValue().getStringValue())
        .findFirst().orElse(null);
  }

  private static Map<String, Integer> byDecisionId(List<LogRecord> records) {
    Map<String, Integer> seen = new HashMap<>();
    records.forEach(r -> seen.merge(attribute(r, "warden.decision_id"), 1, Integer::sum));
    return seen;
  }

  private static boolean await(Duration wait, BooleanSupplier done) throws InterruptedException {
    long end = System.nanoTime() + wait.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > end) {
        return false;
      }
      Thread.sleep(10);
    }
    return true;
  }

  @Test
  void everyRecordArrivesOnceAsOneLogRecordWithItsFields() throws Exception {
    DecisionLogPipeline pipeline = new DecisionLogPipeline(sink(null), 4096, 512, Duration.ofSeconds(1));
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 1500; i++) {
      byte[] line = line(i);
      lines.add(new String(line, StandardCharsets.UTF_8));
      assertThat(pipeline.offer(line)).isTrue();
    }
    DecisionLogPipeline.Counts c = pipeline.close(Duration.ofSeconds(30));
    assertThat(c).isEqualTo(new DecisionLogPipeline.Counts(1500, 1500, 0, 0, 0));

    List<LogRecord> got = receiver.logRecords();
    assertThat(got).hasSize(1500);
    assertThat(byDecisionId(got).values()).containsOnly(1);
    assertThat(byDecisionId(got)).hasSize(1500);
    // Batched: 1500 records in a few exports, never one per record.
    assertThat(receiver.exports()).isBetween(3, 100);
    assertThat(got.stream().map(r -> r.getBody().getStringValue()).collect(Collectors.toSet()))
        .isEqualTo(Set.copyOf(lines));
    for (LogRecord r : got) {
      int i = Integer.parseInt(attribute(r, "warden.decision_id").substring(2));
      assertThat(r.getBody().getStringValue()).isEqualTo(lines.get(i));
      assertThat(attribute(r, "warden.outcome")).isEqualTo(i % 3 == 0 ? "forbid" : "allow");
      assertThat(attribute(r, "warden.bundle.revision")).isEqualTo("rev-a@sha256:0123456789ab");
      assertThat(r.getTimeUnixNano()).isEqualTo(TIME.getEpochSecond() * 1_000_000_000L + TIME.getNano());
      assertThat(r.getObservedTimeUnixNano()).isPositive();
      assertThat(r.getSeverityNumber()).isEqualTo(SeverityNumber.SEVERITY_NUMBER_INFO);
      if (i % 2 == 0) {
        assertThat(r.getTraceId()).isEqualTo(ByteString.copyFrom(HexFormat.of().parseHex(TRACE)));
        assertThat(r.getSpanId()).isEqualTo(ByteString.copyFrom(HexFormat.of().parseHex(PARENT)));
      } else {
        assertThat(r.getTraceId()).isEmpty();
        assertThat(r.getSpanId()).isEmpty();
      }
    }
    List<KeyValue> resource = receiver.resourceLogs().get(0).getResource().getAttributesList();
    assertThat(resource).anySatisfy(a -> {
      assertThat(a.getKey()).isEqualTo("service.name");
      assertThat(a.getValue().getStringValue()).isEqualTo("warden-test");
    });
    assertThat(resource).anySatisfy(a -> assertThat(a.getKey()).isEqualTo("service.version"));
  }

  @Test
  void aFailingCollectorIsRetriedAndEveryRecordStillArrivesExactlyOnce() throws Exception {
    receiver.failNext(3);
    DecisionLogPipeline pipeline = new DecisionLogPipeline(sink(null), 1024, 100, Duration.ofSeconds(1));
    for (int i = 0; i < 300; i++) {
      assertThat(pipeline.offer(line(i))).isTrue();
    }
    DecisionLogPipeline.Counts c = pipeline.close(Duration.ofSeconds(30));
    assertThat(receiver.refused()).isEqualTo(3);
    // Each refused export is one failed write of the pipeline, retried with the same batch.
    assertThat(c).isEqualTo(new DecisionLogPipeline.Counts(300, 300, 0, 0, 3));
    assertThat(byDecisionId(receiver.logRecords())).hasSize(300).allSatisfy((id, n) -> assertThat(n).isOne());
  }

  @Test
  void whileTheCollectorIsDownRecordsStayBufferedAndCountedThenAllArriveOnce() throws Exception {
    receiver.failing(true);
    DecisionLogPipeline pipeline = new DecisionLogPipeline(sink(null), 64, 16, Duration.ofSeconds(1));
    for (int i = 0; i < 100; i++) {
      pipeline.offer(line(i));
    }
    assertThat(await(Duration.ofSeconds(20), () -> pipeline.counts().failedWrites() >= 2)).isTrue();
    DecisionLogPipeline.Counts during = pipeline.counts();
    assertThat(during.produced()).isEqualTo(100);
    assertThat(during.delivered()).isZero();
    assertThat(during.buffered()).isEqualTo(64);
    assertThat(during.dropped()).isEqualTo(36);
    receiver.failing(false);
    DecisionLogPipeline.Counts after = pipeline.close(Duration.ofSeconds(30));
    assertThat(after.produced()).isEqualTo(after.delivered() + after.dropped() + after.buffered());
    assertThat(after.delivered()).isEqualTo(64);
    assertThat(after.buffered()).isZero();
    assertThat(byDecisionId(receiver.logRecords())).hasSize(64).allSatisfy((id, n) -> assertThat(n).isOne());
  }

  @Test
  void aWriteThrowsWhenNoCollectorAnswersAndNamesTheCount() throws Exception {
    OtlpLogSink sink = sink(null);
    receiver.close();
    assertThatThrownBy(() -> sink.write(List.of(line(1), line(2))))
        .isInstanceOf(IOException.class).hasMessageContaining("did not take 2 records");
    sink.close();
  }

  @Test
  void theHeadersFileIsSentWithEveryExport() throws Exception {
    Path headers = Files.writeString(dir.resolve("otlp-headers"), "# the collector's token\n"
        + "Authorization: Bearer s3cret\n\nX-Tenant: blue\n");
    OtlpLogSink sink = sink(headers);
    sink.write(List.of(line(1)));
    sink.close();
    assertThat(receiver.headers()).hasSize(1);
    assertThat(receiver.headers().get(0).get("Authorization")).containsExactly("Bearer s3cret");
    assertThat(receiver.headers().get(0).get("X-tenant")).containsExactly("blue");
  }

  @Test
  void aLineThatIsNotAnObjectIsStillDeliveredAsItsBodyAlone() throws Exception {
    OtlpLogSink sink = sink(null);
    sink.write(List.of("[1,".getBytes(StandardCharsets.UTF_8), line(4)));
    sink.close();
    List<LogRecord> got = receiver.logRecords();
    assertThat(got).hasSize(2);
    assertThat(got.get(0).getBody().getStringValue()).isEqualTo("[1,");
    assertThat(got.get(0).getAttributesList()).isEmpty();
    assertThat(attribute(got.get(1), "warden.decision_id")).isEqualTo("d-4");
  }

  @Test
  void aRecordTheEncoderWroteKeepsItsOutcomeAndAnErrorIsAnErrorRecord() throws Exception {
    RecordEncoder encoder = new RecordEncoder(Masking.defaults("x-api-key", dev.warden.server.decisionlog.ValueHasher.random()),
        revision -> null, TIME, 0);
    DecisionRecord none = new DecisionRecord("d-no-policy", DecisionRecord.Api.DECIDE,
        Decision.refused(Outcome.ERROR, 503, "no policy is loaded", "no bundle is active", null),
        DecisionRecord.Cause.NO_POLICY, null, 0, 10_000, false, null);
    OtlpLogSink sink = sink(null);
    sink.write(List.of(encoder.line(none)));
    sink.close();
    LogRecord r = receiver.logRecords().get(0);
    assertThat(r.getBody().getStringValue()).isEqualTo(new String(encoder.line(none), StandardCharsets.UTF_8));
    assertThat(attribute(r, "warden.decision_id")).isEqualTo("d-no-policy");
    assertThat(attribute(r, "warden.outcome")).isEqualTo("error");
    assertThat(attribute(r, "warden.bundle.revision")).isNull();
    assertThat(r.getSeverityNumber()).isEqualTo(SeverityNumber.SEVERITY_NUMBER_ERROR);
    assertThat(r.getTimeUnixNano()).isEqualTo(TIME.getEpochSecond() * 1_000_000_000L + TIME.getNano());
    assertThat(r.getTraceId()).isEmpty();
  }
}
