package dev.warden.server.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.resources.Resource;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** What the OTLP exports share: the resource that names this Warden. */
public final class Telemetry {
  static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  static final AttributeKey<String> SERVICE_VERSION = AttributeKey.stringKey("service.version");
  /** The instrumentation scope of Warden's spans and log records. */
  static final String SCOPE = "dev.warden";
  /** Written by Maven's resource filtering; the one `warden --version` reads. */
  private static final String VERSION_RESOURCE = "/dev/warden/cli/version.properties";

  private Telemetry() {}

  /** The SDK's default resource (`telemetry.sdk.*`) with `service.name` and `service.version`. */
  public static Resource resource(String serviceName) {
    return Resource.getDefault().merge(Resource.create(
        Attributes.of(SERVICE_NAME, serviceName, SERVICE_VERSION, version())));
  }

  /**
   * The project version, as `warden --version` prints it, or `unknown` when the classes were
   * built without resource filtering.
   */
  public static String version() {
    Properties p = new Properties();
    try (InputStream in = Telemetry.class.getResourceAsStream(VERSION_RESOURCE)) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      return "unknown";
    }
    String v = p.getProperty("version", "").trim();
    return v.isEmpty() || v.contains("${") ? "unknown" : v;
  }
}
