package dev.warden.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** `tracing.*` and `decision_log.otlp.*`: off by default, HTTPS or loopback only, bounded, located messages. */
class TelemetryConfigTest {
  private static ServerConfig load(String yaml, Map<String, String> env) throws ServerConfig.ConfigException {
    return ServerConfig.load(yaml, Path.of("/etc/warden"), env, Map.of());
  }

  private static void assertError(String yaml, String message) {
    assertThatThrownBy(() -> load(yaml, Map.of())).isInstanceOf(ServerConfig.ConfigException.class)
        .hasMessageContaining(message);
  }

  @Test
  void offByDefault() throws Exception {
    ServerConfig c = load("bundle: b\n", Map.of());
    assertThat(c.tracing().on()).isFalse();
    assertThat(c.tracing()).isEqualTo(ServerConfig.Tracing.OFF);
    assertThat(c.decisionLogOtlp()).isNull();
  }

  @Test
  void aBaseUrlGetsTheSignalsPathAndAFullUrlIsKept() throws Exception {
    ServerConfig c = load("bundle: b\ntracing:\n  otlp:\n    endpoint: https://collector.example.com:4318/\n"
        + "  sample_ratio: 0.25\n  timeout: 2s\n  service_name: warden-shop\n  headers_file: otlp-headers\n"
        + "decision_log:\n  otlp:\n    endpoint: https://logs.example.com/custom/path\n    timeout: 500ms\n", Map.of());
    assertThat(c.tracing()).isEqualTo(new ServerConfig.Tracing(new ServerConfig.Otlp(
        "https://collector.example.com:4318/v1/traces", Duration.ofSeconds(2), Path.of("/etc/warden/otlp-headers")),
        0.25, "warden-shop"));
    assertThat(c.decisionLogOtlp()).isEqualTo(new ServerConfig.Otlp("https://logs.example.com/custom/path",
        Duration.ofMillis(500), null));
    ServerConfig env = load("bundle: b\n", Map.of("WARDEN_TRACING_OTLP_ENDPOINT", "http://127.0.0.1:4318",
        "WARDEN_DECISION_LOG_OTLP_ENDPOINT", "http://localhost:4318"));
    assertThat(env.tracing().otlp().endpoint()).isEqualTo("http://127.0.0.1:4318/v1/traces");
    assertThat(env.tracing().sampleRatio()).isEqualTo(1.0);
    assertThat(env.decisionLogOtlp().endpoint()).isEqualTo("http://localhost:4318/v1/logs");
    assertThat(env.decisionLogOtlp().timeout()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void plainHttpGoesOnlyToLoopback() {
    assertError("bundle: b\ntracing:\n  otlp:\n    endpoint: http://collector:4318\n",
        "`tracing.otlp.endpoint` `http://collector:4318` is plain HTTP");
    assertError("bundle: b\ndecision_log:\n  otlp:\n    endpoint: http://10.0.0.5:4318\n",
        "use HTTPS (plain HTTP to 127.0.0.1, ::1 or localhost is allowed)");
  }

  @Test
  void anEndpointIsAnHttpsUrlWithoutCredentials() {
    assertError("bundle: b\ntracing:\n  otlp:\n    endpoint: collector:4318\n",
        "`tracing.otlp.endpoint` `collector:4318` must be `https://HOST[:PORT][/PATH]`");
    assertError("bundle: b\ntracing:\n  otlp:\n    endpoint: https://user:pw@collector\n",
        "without credentials in it: put them in `tracing.headers_file`");
    assertThatThrownBy(() -> load("bundle: b\ndecision_log:\n  otlp:\n    endpoint: https://c/v1/logs?token=s3cret\n",
        Map.of())).hasMessageContaining("`decision_log.otlp.headers_file`").hasMessageNotContaining("s3cret");
    assertError("bundle: b\ntracing:\n  otlp:\n    endpoint: https://c/a b\n", "`tracing.otlp.endpoint` is not a URL");
  }

  @Test
  void grpcIsRefusedWithTheReasonAndTheWayOut() {
    assertError("bundle: b\ntracing:\n  protocol: grpc\n  otlp:\n    endpoint: https://c\n",
        "`tracing.protocol` must be `http/protobuf`, found `grpc`: Warden exports OTLP with the JDK's HTTP client");
    assertError("bundle: b\ndecision_log:\n  otlp:\n    protocol: thrift\n", "`decision_log.otlp.protocol` must be");
  }

  @Test
  void boundsAndSinksSideBySide() throws Exception {
    assertError("bundle: b\ntracing:\n  sample_ratio: 1.5\n", "`tracing.sample_ratio` must be a fraction from 0 to 1");
    assertError("bundle: b\ntracing:\n  timeout: 5m\n", "`tracing.timeout` must be from 100ms to 1m");
    assertError("bundle: b\ntracing:\n  service_name: my warden\n", "`tracing.service_name` must be 1 to 255");
    // The OTLP sink is one more sink beside the file (each with its own buffer).
    ServerConfig both = ServerConfig.load("bundle: b\ndecision_log:\n  path: stdout\n  otlp:\n    endpoint: https://c\n",
        java.util.Map.of(), java.util.Map.of());
    org.assertj.core.api.Assertions.assertThat(both.decisionLog().path()).isEqualTo("stdout");
    org.assertj.core.api.Assertions.assertThat(both.decisionLogOtlp().endpoint()).isEqualTo("https://c/v1/logs");
  }
}
