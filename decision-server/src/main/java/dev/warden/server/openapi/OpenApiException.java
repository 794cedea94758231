package dev.warden.server.openapi;

/**
 * An OpenAPI document that cannot be used: not readable, not YAML or JSON, not OpenAPI 3.0 or 3.1,
 * or with a reference outside the file. The message is for humans: the file, what is wrong,
 * where when known, and a hint.
 */
public final class OpenApiException extends Exception {
  private static final long serialVersionUID = 1L;

  public OpenApiException(String message) {
    super(message);
  }

  public OpenApiException(String message, Throwable cause) {
    super(message, cause);
  }
}
