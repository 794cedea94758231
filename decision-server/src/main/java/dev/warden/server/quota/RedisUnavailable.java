package dev.warden.server.quota;

/**
 * The shared quota store did not answer: not connected, too slow (the timeout of
 * {@code quota.redis}), or an error answer. The message says which, for humans, and never holds
 * a password; the quota's `fallback` decides what the request gets meanwhile.
 */
public final class RedisUnavailable extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RedisUnavailable(String message, Throwable cause) {
    super(message, cause);
  }
}
