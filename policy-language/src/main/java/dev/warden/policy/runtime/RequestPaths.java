package dev.warden.policy.runtime;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The one path normalization Warden applies before matching routes, so that a policy cannot be
 * bypassed by spelling a path differently:
 *
 * <ol>
 *   <li>the query string and fragment are cut off;
 *   <li>percent-encoding is decoded once, as UTF-8; an encoded `/`, `\`, NUL or control
 *       character, or a malformed escape, rejects the path (it would mean different things to
 *       different parsers);
 *   <li>`\` rejects the path;
 *   <li>empty segments (`//`) and `.` segments are removed, `..` removes the segment before it
 *       (never above the root);
 *   <li>a trailing `/` is removed (except for `/` itself);
 *   <li>case is kept: routes are case-sensitive, and a path that differs only in case matches
 *       no declared route, so it is denied.
 * </ol>
 */
public final class RequestPaths {
  /** The longest path accepted, in characters, before decoding. */
  public static final int MAX_LENGTH = 8192;

  private RequestPaths() {}

  /** A normalized path, or the reason the raw path was rejected. */
  public record Normalized(String path, String error) {
    public boolean ok() {
      return error == null;
    }
  }

  public static Normalized normalize(String raw) {
    if (raw == null || raw.isEmpty()) {
      return new Normalized(null, "empty path");
    }
    if (raw.length() > MAX_LENGTH) {
      return new Normalized(null, "path longer than " + MAX_LENGTH + " characters");
    }
    if (isNormal(raw)) {
      return new Normalized(raw, null);
    }
    int cut = raw.length();
    int q = raw.indexOf('?');
    int h = raw.indexOf('#');
    if (q >= 0) {
      cut = q;
    }
    if (h >= 0 && h < cut) {
      cut = h;
    }
    String path = raw.substring(0, cut);
    if (!path.startsWith("/")) {
      return new Normalized(null, "path does not start with `/`");
    }
    String decoded = decode(path);
    if (decoded == null) {
      return new Normalized(null, "path has a malformed or forbidden percent-encoding");
    }
    Deque<String> segments = new ArrayDeque<>();
    for (String s : decoded.split("/", -1)) {
      if (s.indexOf('\\') >= 0) {
        return new Normalized(null, "path contains `\\`");
      }
      for (int i = 0; i < s.length(); i++) {
        if (Character.isISOControl(s.charAt(i))) {
          return new Normalized(null, "path contains a control character");
        }
      }
      if (s.isEmpty() || s.equals(".")) {
        continue;
      }
      if (s.equals("..")) {
        segments.pollLast();
      } else {
        segments.addLast(s);
      }
    }
    return new Normalized(segments.isEmpty() ? "/" : "/" + String.join("/", segments), null);
  }

  /** True when normalizing would not change the path: the common case, checked in one pass. */
  public static boolean isNormal(String p) {
    if (p.isEmpty() || p.charAt(0) != '/') {
      return false;
    }
    if (p.length() == 1) {
      return true;
    }
    if (p.charAt(p.length() - 1) == '/') {
      return false;
    }
    int segmentStart = 1;
    for (int i = 1; i <= p.length(); i++) {
      char c = i < p.length() ? p.charAt(i) : '/';
      if (c == '/') {
        int len = i - segmentStart;
        if (len == 0 || (len == 1 && p.charAt(segmentStart) == '.')
            || (len == 2 && p.charAt(segmentStart) == '.' && p.charAt(segmentStart + 1) == '.')) {
          return false;
        }
        segmentStart = i + 1;
      } else if (c == '%' || c == '\\' || c == '?' || c == '#' || c < 0x20 || c == 0x7f) {
        return false;
      }
    }
    return true;
  }

  /** Decodes %XX escapes once; null for malformed ones, encoded separators, or bad UTF-8. */
  private static String decode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '%') {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(b, 0, b.length);
        continue;
      }
      if (i + 2 >= s.length()) {
        return null;
      }
      int hi = Character.digit(s.charAt(i + 1), 16);
      int lo = Character.digit(s.charAt(i + 2), 16);
      if (hi < 0 || lo < 0) {
        return null;
      }
      int v = hi * 16 + lo;
      if (v == '/' || v == '\\' || v < 0x20 || v == 0x7f) {
        return null;
      }
      bytes.write(v);
      i += 2;
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
