package dev.warden.bundle;

/**
 * A bundle could not be read at all: the path is not a bundle, a bound was passed, an archive
 * is malformed or holds what a bundle may not. The message is for people, and names the path.
 * A file that was read but is not UTF-8 is not this: the load stage reports it as a diagnostic.
 */
public final class BundleReadException extends Exception {
  private static final long serialVersionUID = 1L;

  public BundleReadException(String message) {
    super(message);
  }
}
