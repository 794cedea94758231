package dev.warden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/** `log.format: json`: what one event becomes, the hard parts included (a stack trace with a cause, client text). */
class LogFormatTest {
  @Test
  void anEventWithACauseKeyValuesAndClientTextIsOneLineOfJson() throws Exception {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    IllegalStateException failure = new IllegalStateException("outer \"quoted\"", new RuntimeException("inner\ncause"));
    failure.addSuppressed(new IllegalArgumentException("suppressed"));
    LoggingEvent event = new LoggingEvent("x", context.getLogger("dev.warden.server.authz.DecisionRecorder"),
        Level.ERROR, "decision {}: GET /a\"b\\c\u0001\u2028: internal error", failure, new Object[] {"abc"});
    event.addKeyValuePair(new KeyValuePair("decision_id", "abc"));

    String line = new String(LogFormat.json(context).encode(event), StandardCharsets.UTF_8);

    assertThat(line).endsWith("\n");
    assertThat(line.strip()).doesNotContain("\n");
    JsonNode n = new ObjectMapper().readTree(line);
    assertThat(n.path("level").asText()).isEqualTo("ERROR");
    assertThat(n.path("loggerName").asText()).isEqualTo("dev.warden.server.authz.DecisionRecorder");
    assertThat(n.path("formattedMessage").asText()).isEqualTo("decision abc: GET /a\"b\\c\u0001\u2028: internal error");
    assertThat(n.path("kvpList").path(0).path("decision_id").asText()).isEqualTo("abc");
    assertThat(n.path("throwable").path("message").asText()).isEqualTo("outer \"quoted\"");
    assertThat(n.path("throwable").path("cause").path("message").asText()).isEqualTo("inner\ncause");
    assertThat(n.has("message")).as("the raw pattern is left out").isFalse();
    assertThat(n.has("arguments")).isFalse();
    assertThat(n.has("context")).isFalse();
    assertThat(n.has("sequenceNumber")).isFalse();
  }
}
