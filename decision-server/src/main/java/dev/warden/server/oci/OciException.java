package dev.warden.server.oci;

import java.io.IOException;

/**
 * A registry step that failed: the message names the registry, the step and what went wrong
 * (an HTTP status, a digest that does not match, a bound passed), never a credential.
 * {@link #status} is the HTTP status when the registry answered with an unexpected one, else 0.
 */
public final class OciException extends IOException {
  private final int status;

  public OciException(String message) {
    this(message, 0, null);
  }

  public OciException(String message, int status, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  /** The registry's HTTP status for this failure, or 0 when it is not one. */
  public int status() {
    return status;
  }
}
