package dev.warden.policy.load;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 decoding that says where it fails, so that a file in another encoding is a
 * diagnostic pointing at its first bad byte rather than a refusal to read the bundle.
 */
final class Utf8 {
  private Utf8() {}

  /**
   * A decoded file.
   *
   * @param text the text; when the bytes are not UTF-8, the text as far as can be shown, each bad
   *     sequence replaced by U+FFFD
   * @param badChar the 0-based character offset in {@code text} of the first bad sequence, or -1
   * @param badBytes the first bad sequence as the decoder saw it (one to three bytes), or empty
   */
  record Decoded(String text, int badChar, byte[] badBytes) {
    boolean ok() {
      return badChar < 0;
    }
  }

  static Decoded decode(byte[] bytes) {
    CharsetDecoder strict = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    // UTF-8 never decodes to more UTF-16 chars than it has bytes.
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult r = strict.decode(in, out, true);
    if (!r.isError()) {
      r = strict.flush(out);
    }
    if (!r.isError()) {
      out.flip();
      return new Decoded(out.toString(), -1, new byte[0]);
    }
    int at = in.position();
    byte[] bad = new byte[Math.min(r.length(), bytes.length - at)];
    System.arraycopy(bytes, at, bad, 0, bad.length);
    // The lenient decoder reads the prefix before the first bad sequence exactly as the strict
    // one did, so `out.position()` is where the replacement character stands in its text.
    return new Decoded(new String(bytes, StandardCharsets.UTF_8), out.position(), bad);
  }
}
