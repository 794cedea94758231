package dev.warden.policy.runtime;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The one path canonicalization Warden applies before matching routes. A path that Warden could
 * read one way and an upstream (Tomcat, Spring, Express, Go, nginx) another is refused rather
 * than guessed at; docs/security.md lists the rules and the upstream behaviour each one covers.
 *
 * <ol>
 *   <li>the query string and fragment are cut off; the path must start with `/` and be at most
 *       {@link #MAX_LENGTH} characters;
 *   <li>`\` is refused, and so is `;` (path parameters), unless the bundle strips them the way
 *       Tomcat does ({@link RequestRules.PathParameters#STRIP}: from `;` to the end of the segment);
 *   <li>each segment is percent-decoded once, strictly ({@link PercentDecoding}: ASCII hex
 *       digits, valid UTF-8, by code point); an escape may only stand for a byte of a character
 *       outside ASCII: `%2e`, `%41` or `%2F` is refused, as routers that match the raw path and
 *       routers that decode it would read different segments;
 *   <li>every decoded character must be in the allowed set ({@link #allowed}): in ASCII the
 *       unreserved characters, the sub-delimiters but `;`, `:` and `@`; outside ASCII letters,
 *       marks, numbers and symbols other than mathematical ones. So an encoded `/`, `\`, `%`
 *       (double encoding), `;`, `?` or `#`, a control character, whitespace, invisible
 *       formatting characters and the look-alikes of `.`, `/` and `\` are refused;
 *   <li>a segment with characters outside ASCII must be in Unicode normalization form NFKC
 *       (full-width `．．` and decomposed accents are refused);
 *   <li>empty segments (`//`) and `.` segments are removed, `..` removes the segment before it
 *       (never above the root), and a trailing `/` goes; a `..` right after an empty segment
 *       (`/a//../b`) is refused, as servers that merge slashes first and those that do not read
 *       it differently;
 *   <li>case is kept: routes are case-sensitive.
 * </ol>
 *
 * <p>Invariant: a canonical path contains only `/` and allowed characters, no empty, `.` or `..`
 * segment, and canonicalizing it again gives it back unchanged.
 */
public final class RequestPaths {
  /** The longest path accepted, in characters, before decoding. */
  public static final int MAX_LENGTH = 8192;

  /** Bit c is set for the ASCII characters allowed in a segment. */
  private static final long ASCII_LOW;
  private static final long ASCII_HIGH;

  static {
    long low = 0;
    long high = 0;
    String allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,=:@";
    for (int i = 0; i < allowed.length(); i++) {
      char c = allowed.charAt(i);
      if (c < 64) {
        low |= 1L << c;
      } else {
        high |= 1L << (c - 64);
      }
    }
    ASCII_LOW = low;
    ASCII_HIGH = high;
  }

  private RequestPaths() {}

  /** A canonical path, or why the raw path was refused. */
  public record Canonical(String path, String error) {
    public boolean ok() {
      return error == null;
    }
  }

  /** Canonicalizes with the default rules (path parameters refused). */
  public static Canonical canonicalize(String target) {
    return canonicalize(target, RequestRules.PathParameters.REJECT);
  }

  /**
   * @param target the request target as received: the path, perhaps followed by `?query` or `#fragment`
   */
  public static Canonical canonicalize(String target, RequestRules.PathParameters pathParameters) {
    if (target == null || target.isEmpty()) {
      return refused("empty path");
    }
    int cut = target.length();
    for (int i = 0; i < target.length(); i++) {
      char c = target.charAt(i);
      if (c == '?' || c == '#') {
        cut = i;
        break;
      }
    }
    if (cut > MAX_LENGTH) {
      return refused("path longer than " + MAX_LENGTH + " characters");
    }
    String path = cut == target.length() ? target : target.substring(0, cut);
    if (!path.startsWith("/")) {
      return refused("path does not start with `/`");
    }
    if (isCanonical(path)) {
      return new Canonical(path, null);
    }
    // Empty segments stay in the list while dot segments are resolved, then go: a `..` that
    // would remove one is refused (see segment()).
    List<String> segments = new ArrayList<>();
    int start = 1;
    while (start <= path.length()) {
      int end = path.indexOf('/', start);
      if (end < 0) {
        end = path.length();
      }
      String error = segment(path, start, end, pathParameters, segments);
      if (error != null) {
        return refused(error);
      }
      start = end + 1;
    }
    segments.removeIf(String::isEmpty);
    return new Canonical(segments.isEmpty() ? "/" : "/" + String.join("/", segments), null);
  }

  /** Adds the raw segment {@code path[start, end)} to {@code segments}; returns why it is refused, or null. */
  private static String segment(String path, int start, int end, RequestRules.PathParameters pathParameters,
      List<String> segments) {
    for (int i = start; i < end; i++) {
      char c = path.charAt(i);
      if (c == '\\') {
        return "path contains `\\`, which some servers read as `/`";
      }
      int hi = c == '%' && i + 2 < end ? PercentDecoding.hex(path.charAt(i + 1)) : -1;
      int lo = hi >= 0 ? PercentDecoding.hex(path.charAt(i + 2)) : -1;
      if (lo >= 0 && hi < 8) {
        // An escape below %80 is an ASCII character. Those allowed in a path need no escape, and
        // a router that matches the raw path (Express) reads `/customers/%6de` as another
        // segment than `/customers/me`, which a decoding one (Go, Spring) sees: refused, so that
        // both kinds of router see the segment Warden sees. Escapes are for text outside ASCII.
        int v = hi * 16 + lo;
        return allowed(v)
            ? "path has an escaped ASCII character `" + path.substring(i, i + 3) + "` (`" + (char) v
                + "`): routers that match the raw path and those that decode it read different segments"
            : "path has " + describe(v);
      }
      if (c == ';') {
        if (pathParameters == RequestRules.PathParameters.REJECT) {
          return "path contains `;`: a path parameter, which Tomcat and Spring cut off and other servers keep"
              + " (bundle.yaml `requests.path_parameters: strip` strips them the way Tomcat does)";
        }
        end = i;
        break;
      }
    }
    String decoded;
    try {
      decoded = PercentDecoding.decode(path, start, end, false);
    } catch (PercentDecoding.Malformed e) {
      return "path has a bad percent-encoding: " + e.getMessage();
    }
    if (decoded.equals(".")) {
      return null;
    }
    if (decoded.isEmpty()) {
      segments.add("");
      return null;
    }
    if (decoded.equals("..")) {
      if (!segments.isEmpty()) {
        String removed = segments.remove(segments.size() - 1);
        if (removed.isEmpty()) {
          // `/admin//../static`: `/static` to servers that merge slashes first (Warden, Envoy's
          // merge_slashes, Tomcat), `/admin/static` to RFC 3986's dot-segment removal, which
          // keeps the empty segment and lets `..` remove it.
          return "path has `..` after an empty segment (`//..`): servers that merge slashes before"
              + " resolving dot segments read it differently from those that do not";
        }
      }
      return null;
    }
    String error = segmentError(decoded);
    if (error == null) {
      segments.add(decoded);
    }
    return error;
  }

  /**
   * Why {@code value}, already decoded, cannot be one segment of a canonical path, or null when
   * it can. Empty, `.` and `..` are not segments; a value must hold only allowed characters and,
   * outside ASCII, be in NFKC. The decide API checks route parameters with this.
   */
  public static String segmentError(String value) {
    if (value.isEmpty()) {
      return "an empty segment";
    }
    if (value.equals(".") || value.equals("..")) {
      return "`" + value + "` is a dot segment";
    }
    boolean ascii = true;
    for (int i = 0; i < value.length(); ) {
      int cp = value.codePointAt(i);
      if (!allowed(cp)) {
        String c = new String(Character.toChars(cp));
        String nfkc = Normalizer.normalize(c, Normalizer.Form.NFKC);
        if (cp >= 0x80 && !nfkc.equals(c) && nfkc.codePoints().allMatch(x -> x > 0x20 && x < 0x7f)) {
          return "path has U+" + PercentDecoding.hex4(cp) + " `" + c + "`, which servers that normalize Unicode (NFKC) read as `"
              + Printable.of(nfkc) + "`";
        }
        return "path has " + describe(cp);
      }
      ascii &= cp < 0x80;
      i += Character.charCount(cp);
    }
    if (!ascii && !Normalizer.isNormalized(value, Normalizer.Form.NFKC)) {
      return "path segment `" + value + "` is not in Unicode normalization form NFKC; servers that normalize read `"
          + Normalizer.normalize(value, Normalizer.Form.NFKC) + "`";
    }
    return null;
  }

  /**
   * Whether a decoded code point may appear in a canonical segment: in ASCII, the unreserved
   * characters, sub-delimiters but `;`, `:` and `@`; outside ASCII, letters, marks, numbers and
   * symbols other than mathematical ones (as the running JDK's Unicode tables classify them),
   * but never U+FFFD, the box-drawing diagonals, or `¥` and `₩`, which Windows code pages 932
   * and 949 map to `\` (the "best fit" an upstream on Windows may apply).
   */
  public static boolean allowed(int cp) {
    if (cp < 128) {
      return cp < 64 ? (ASCII_LOW & (1L << cp)) != 0 : (ASCII_HIGH & (1L << (cp - 64))) != 0;
    }
    if (cp == 0xFFFD || (cp >= 0x2571 && cp <= 0x2573) || cp == 0x00A5 || cp == 0x20A9) {
      return false;
    }
    return switch (Character.getType(cp)) {
      case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
          Character.MODIFIER_LETTER, Character.OTHER_LETTER, Character.NON_SPACING_MARK, Character.ENCLOSING_MARK,
          Character.COMBINING_SPACING_MARK, Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER,
          Character.OTHER_NUMBER, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> true;
      default -> false;
    };
  }

  private static String describe(int cp) {
    return switch (cp) {
      case '/' -> "an encoded `/` (`%2F`), which some servers decode before routing";
      case '\\' -> "an encoded `\\` (`%5C`), which some servers read as `/`";
      case '%' -> "an encoded `%` (`%25`): servers that decode twice read what follows as another escape";
      case ';' -> "an encoded `;` (`%3B`), which servers that decode before cutting path parameters read as one";
      case '?' -> "an encoded `?` (`%3F`), which servers that decode twice read as the start of the query";
      case '#' -> "an encoded `#` (`%23`)";
      case 0x00A5, 0x20A9 -> "U+" + PercentDecoding.hex4(cp) + " `" + (char) cp
          + "`, which Windows code pages 932 and 949 map to `\\`";
      default -> {
        String u = "U+" + PercentDecoding.hex4(cp);
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
          yield "a control character " + u;
        }
        if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
          yield "whitespace " + u + ", which some servers trim";
        }
        if (cp < 128) {
          yield "`" + (char) cp + "`, which is not allowed in a path segment";
        }
        int type = Character.getType(cp);
        if (type == Character.FORMAT) {
          yield "an invisible formatting character " + u;
        }
        if (type == Character.MATH_SYMBOL || (type >= Character.DASH_PUNCTUATION && type <= Character.OTHER_PUNCTUATION)
            || type == Character.CONNECTOR_PUNCTUATION || type == Character.INITIAL_QUOTE_PUNCTUATION
            || type == Character.FINAL_QUOTE_PUNCTUATION || (cp >= 0x2571 && cp <= 0x2573)) {
          yield u + " `" + new String(Character.toChars(cp))
              + "`: punctuation and math symbols outside ASCII are refused, as they include look-alikes of `.`, `/` and `\\`";
        }
        yield u + ", which is not allowed in a path (unassigned, private use, a surrogate or a replacement character)";
      }
    };
  }

  /**
   * True when canonicalizing would not change the path: the common case, checked in one pass
   * over ASCII. Anything else (an escape, a character outside ASCII) takes the full way.
   */
  public static boolean isCanonical(String p) {
    if (p.isEmpty() || p.charAt(0) != '/' || p.length() > MAX_LENGTH) {
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
      } else if (c >= 128 || !allowed(c)) {
        return false;
      }
    }
    return true;
  }

  private static Canonical refused(String why) {
    return new Canonical(null, why);
  }
}
