package dev.warden.server.telemetry;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.warden.server.ServerConfig;
import dev.warden.server.decisionlog.LogSink;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporterBuilder;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.logs.data.Body;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.resources.Resource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The decision log as OpenTelemetry log records over OTLP (`decision_log.otlp.endpoint`): each
 * line becomes one record whose body is the JSON line itself, with the attributes
 * `warden.decision_id`, `warden.outcome` and `warden.bundle.revision`, the decision's time as its
 * timestamp, and the trace and span ids of the caller's `traceparent` when it had one.
 *
 * <p>A {@link #write} is one OTLP export of the whole batch, and returns only when the collector
 * has accepted it: it throws when the collector refused it, failed, or did not answer within
 * `decision_log.otlp.timeout`, and the pipeline retries the batch. The SDK's own retries are off,
 * so that the pipeline's counts (`delivered`, `failedWrites`) are what happened. A batch whose
 * export timed out but then arrived is sent again: delivery is at least once, as for every sink.
 *
 * <p>The fields are read back from the encoded line, on the pipeline's writer thread: the Check
 * path only encodes, as for every sink.
 */
public final class OtlpLogSink implements LogSink {
  static final AttributeKey<String> DECISION_ID = AttributeKey.stringKey("warden.decision_id");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("warden.outcome");
  static final AttributeKey<String> REVISION = AttributeKey.stringKey("warden.bundle.revision");
  private static final JsonFactory JSON = new JsonFactory();
  /** How long past the exporter's own timeout a write waits for it to say so. */
  private static final Duration GRACE = Duration.ofSeconds(1);

  private final LogRecordExporter exporter;
  private final String endpoint;
  private final Duration timeout;
  private final Resource resource;
  private final InstrumentationScopeInfo scope;
  private final Clock clock;

  /** A sink for {@code exporter}, which sends to {@code endpoint} (for logs) within {@code timeout}. */
  OtlpLogSink(LogRecordExporter exporter, String endpoint, Duration timeout, String serviceName, Clock clock) {
    this.exporter = exporter;
    this.endpoint = endpoint;
    this.timeout = timeout;
    this.resource = Telemetry.resource(serviceName);
    this.scope = InstrumentationScopeInfo.builder(Telemetry.SCOPE).setVersion(Telemetry.version()).build();
    this.clock = clock;
  }

  /**
   * The sink `decision_log.otlp.*` configures, exporting over OTLP/HTTP with the JDK's client.
   *
   * @throws IllegalArgumentException when `decision_log.otlp.headers_file` cannot be read
   */
  public static OtlpLogSink of(ServerConfig.Otlp otlp, String serviceName, Clock clock) {
    OtlpHttpLogRecordExporterBuilder b = OtlpHttpLogRecordExporter.builder().setEndpoint(otlp.endpoint())
        .setTimeout(otlp.timeout()).setConnectTimeout(otlp.timeout())
        // The pipeline retries, with its backoff, and counts each failed write.
        .setRetryPolicy(null);
    OtlpHeaders.read("decision_log.otlp.headers_file", otlp.headersFile()).forEach(b::addHeader);
    return new OtlpLogSink(b.build(), otlp.endpoint(), otlp.timeout(), serviceName, clock);
  }

  @Override
  public void write(List<byte[]> lines) throws IOException {
    Instant now = clock.instant();
    long observed = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    List<LogRecordData> records = new ArrayList<>(lines.size());
    for (byte[] line : lines) {
      records.add(record(line, observed));
    }
    CompletableResultCode done = exporter.export(records)
        .join(timeout.plus(GRACE).toMillis(), TimeUnit.MILLISECONDS);
    if (!done.isDone()) {
      throw new IOException("the OTLP collector did not answer within " + timeout + " for " + lines.size() + " records");
    }
    if (!done.isSuccess()) {
      Throwable why = done.getFailureThrowable();
      throw new IOException("the OTLP collector did not take " + lines.size() + " records"
          + (why == null || why.getMessage() == null ? " (the exporter's warning says why)" : ": " + why.getMessage()),
          why);
    }
  }

  /** Nothing to do: a write returns once its records are exported. */
  @Override
  public void flush() {}

  @Override
  public String describe() {
    return "OTLP " + endpoint;
  }

  @Override
  public void close() {
    exporter.shutdown().join(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * One line as a log record: its body the line, its fields read back from it. A line that is not
   * the JSON object it should be is still sent, as its body alone: one bad line must not hold
   * back the batch for ever.
   */
  LogRecordData record(byte[] line, long observedNanos) {
    Fields f;
    try {
      f = fields(line);
    } catch (IOException e) {
      f = new Fields();
    }
    AttributesBuilder a = Attributes.builder();
    if (f.decisionId != null) {
      a.put(DECISION_ID, f.decisionId);
    }
    if (f.outcome != null) {
      a.put(OUTCOME, f.outcome);
    }
    if (f.revision != null) {
      a.put(REVISION, f.revision);
    }
    Attributes attributes = a.build();
    SpanContext span = f.traceId != null && f.spanId != null && TraceId.isValid(f.traceId) && SpanId.isValid(f.spanId)
        ? SpanContext.createFromRemoteParent(f.traceId, f.spanId, TraceFlags.getDefault(), TraceState.getDefault())
        : SpanContext.getInvalid();
    boolean error = "error".equals(f.outcome);
    return new Entry(resource, scope, f.timeNanos != 0 ? f.timeNanos : observedNanos, observedNanos, span,
        error ? Severity.ERROR : Severity.INFO, error ? "ERROR" : "INFO",
        Body.string(new String(line, StandardCharsets.UTF_8)), attributes, attributes.size());
  }

  /** The fields of a line that a log record carries besides its body. */
  private static final class Fields {
    String decisionId;
    String outcome;
    String revision;
    String traceId;
    String spanId;
    long timeNanos;
  }

  /** Reads the top-level fields and those of `bundle` and `trace`; skips the rest whole. */
  private static Fields fields(byte[] line) throws IOException {
    Fields f = new Fields();
    try (JsonParser p = JSON.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("a decision log line is not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        switch (name) {
          case "decisionId" -> f.decisionId = p.getValueAsString();
          case "outcome" -> f.outcome = p.getValueAsString();
          case "time" -> f.timeNanos = nanos(p.getValueAsString());
          case "bundle", "trace" -> {
            if (t != JsonToken.START_OBJECT) {
              p.skipChildren();
              continue;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String inner = p.currentName();
              p.nextToken();
              if (name.equals("bundle") && inner.equals("revision")) {
                f.revision = p.getValueAsString();
              } else if (name.equals("trace") && inner.equals("traceId")) {
                f.traceId = p.getValueAsString();
              } else if (name.equals("trace") && inner.equals("parentSpanId")) {
                f.spanId = p.getValueAsString();
              } else {
                p.skipChildren();
              }
            }
          }
          default -> p.skipChildren();
        }
      }
    }
    return f;
  }

  private static long nanos(String time) {
    if (time == null) {
      return 0;
    }
    try {
      Instant t = Instant.parse(time);
      return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    } catch (DateTimeParseException e) {
      return 0;
    }
  }

  /** A log record as the exporter reads it; immutable. */
  private record Entry(Resource getResource, InstrumentationScopeInfo getInstrumentationScopeInfo,
      long getTimestampEpochNanos, long getObservedTimestampEpochNanos, SpanContext getSpanContext,
      Severity getSeverity, String getSeverityText, Body getBody, Attributes getAttributes,
      int getTotalAttributeCount) implements LogRecordData {}
}
