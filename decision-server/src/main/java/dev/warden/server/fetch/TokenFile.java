package dev.warden.server.fetch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A bearer token kept in a file: one token of visible ASCII, trimmed. The token is never part of a message. */
public final class TokenFile {
  private TokenFile() {}

  /**
   * The token in {@code file}, trimmed.
   *
   * @param key the config key that names the file, for the message
   * @throws IOException with a message naming the key and the file (never the content)
   */
  public static String read(Path file, String key) throws IOException {
    String t;
    try {
      t = Files.readString(file).trim();
    } catch (IOException e) {
      throw new IOException("cannot read `" + key + "` `" + file + "`: " + e.getMessage(), e);
    }
    if (t.isEmpty() || t.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
      throw new IOException("`" + key + "` `" + file
          + "` must hold one token of visible ASCII characters (it is sent in a header)");
    }
    return t;
  }
}
