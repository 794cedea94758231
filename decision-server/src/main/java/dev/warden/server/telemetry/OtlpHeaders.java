package dev.warden.server.telemetry;

import dev.warden.policy.runtime.HttpTokens;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The headers file of an OTLP collector (`decision_log.otlp.headers_file`,
 * `tracing.headers_file`): one `Name: value` per line, sent with every export; blank lines and
 * lines starting with `#` are skipped. Read once, at start. A message about the file names the
 * key, the file and the line, never a value: the values are credentials.
 */
public final class OtlpHeaders {
  /** The most headers one file may hold. */
  static final int MAX_HEADERS = 64;

  private OtlpHeaders() {}

  /**
   * The headers in {@code file}, by lower-case name, in file order; empty when {@code file} is null.
   *
   * @throws IllegalArgumentException naming {@code key}, the file and the line, when it cannot be read or a line is wrong
   */
  public static Map<String, String> read(String key, Path file) {
    Map<String, String> out = new LinkedHashMap<>();
    if (file == null) {
      return out;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("cannot read `" + key + "` `" + file + "`: "
          + (e instanceof java.nio.file.NoSuchFileException ? "no such file"
              : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
              : e instanceof java.nio.charset.CharacterCodingException ? "not UTF-8 text" : e.toString()));
    }
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String at = "`" + key + "` `" + file + "` line " + (i + 1) + ": ";
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException(at + "expected `Name: value`, such as `Authorization: Bearer …`");
      }
      String name = HttpTokens.headerName(line.substring(0, colon).strip());
      String value = line.substring(colon + 1).strip();
      if (name == null || name.startsWith(":")) {
        throw new IllegalArgumentException(at + "`" + line.substring(0, colon).strip() + "` is not a header name");
      }
      if (value.isEmpty() || !value.chars().allMatch(c -> c == '\t' || c >= 0x20 && c != 0x7f)) {
        throw new IllegalArgumentException(at + "the value of `" + name + "` is empty or holds control characters");
      }
      if (out.put(name, value) != null) {
        throw new IllegalArgumentException(at + "`" + name + "` is given twice");
      }
      if (out.size() > MAX_HEADERS) {
        throw new IllegalArgumentException(at + "more than " + MAX_HEADERS + " headers");
      }
    }
    return out;
  }
}
