package dev.warden.policy.runtime;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict percent-decoding (RFC 3986 §2.1), the one decoder for paths, query strings and forms.
 *
 * <ul>
 *   <li>An escape is `%` and two ASCII hex digits; anything else after `%` (a Unicode digit such
 *       as `٢`, `%u002e`, a lone `%`) is malformed: `Character.digit` would accept `%٢e` as `.`.
 *   <li>The bytes of a run of escapes are decoded as UTF-8, strictly: overlong forms (`%c0%ae`),
 *       encoded surrogates and truncated sequences are malformed, never replaced by U+FFFD.
 *   <li>Text outside escapes is kept by code point: a character outside the BMP stays whole, and
 *       an unpaired surrogate is malformed.
 * </ul>
 */
final class PercentDecoding {
  private PercentDecoding() {}

  /** Why a string could not be decoded; the message is for people (explanations and logs). */
  static final class Malformed extends Exception {
    private static final long serialVersionUID = 1L;

    Malformed(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Decodes {@code s[from, to)}.
   *
   * @param plusIsSpace whether `+` means a space, as in query strings and HTML forms
   */
  static String decode(String s, int from, int to, boolean plusIsSpace) throws Malformed {
    StringBuilder out = new StringBuilder(to - from);
    int i = from;
    while (i < to) {
      char c = s.charAt(i);
      if (c == '%') {
        i = escapes(s, i, to, out);
      } else if (Character.isHighSurrogate(c)) {
        if (i + 1 >= to || !Character.isLowSurrogate(s.charAt(i + 1))) {
          throw new Malformed("unpaired surrogate U+" + hex4(c));
        }
        out.append(c).append(s.charAt(i + 1));
        i += 2;
      } else if (Character.isLowSurrogate(c)) {
        throw new Malformed("unpaired surrogate U+" + hex4(c));
      } else {
        out.append(plusIsSpace && c == '+' ? ' ' : c);
        i++;
      }
    }
    return out.toString();
  }

  /** Decodes the run of escapes at {@code i} into {@code out}; returns the index after it. */
  private static int escapes(String s, int i, int to, StringBuilder out) throws Malformed {
    byte[] bytes = new byte[(to - i) / 3 + 1];
    int n = 0;
    while (i < to && s.charAt(i) == '%') {
      int hi = i + 1 < to ? hex(s.charAt(i + 1)) : -1;
      int lo = i + 2 < to ? hex(s.charAt(i + 2)) : -1;
      if (hi < 0 || lo < 0) {
        throw new Malformed("`" + s.substring(i, Math.min(to, i + 3))
            + "` is not a percent-escape: `%` must be followed by two ASCII hex digits");
      }
      bytes[n++] = (byte) (hi << 4 | lo);
      i += 3;
    }
    out.append(utf8(bytes, n));
    return i;
  }

  private static CharBuffer utf8(byte[] bytes, int n) throws Malformed {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      return decoder.decode(ByteBuffer.wrap(bytes, 0, n));
    } catch (CharacterCodingException e) {
      StringBuilder shown = new StringBuilder();
      for (int k = 0; k < n; k++) {
        shown.append('%').append(Character.forDigit((bytes[k] >> 4) & 0xf, 16)).append(Character.forDigit(bytes[k] & 0xf, 16));
      }
      throw new Malformed("`" + shown + "` is not valid UTF-8");
    }
  }

  /** The value of an ASCII hex digit, or -1: RFC 3986 hex digits are ASCII only. */
  static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  static String hex4(int cp) {
    String h = Integer.toHexString(cp).toUpperCase(java.util.Locale.ROOT);
    return "0".repeat(Math.max(0, 4 - h.length())) + h;
  }
}
