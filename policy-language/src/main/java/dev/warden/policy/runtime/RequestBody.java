package dev.warden.policy.runtime;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The body of a request as the sidecar received it: the bytes (or text) Envoy buffered, the
 * media type, and whether Envoy cut it short (`with_request_body` with `allow_partial_message`
 * sends at most `max_request_bytes` and says so). Nothing is parsed when the body is mapped:
 * a JSON or form body is parsed the first time something asks for it, once, so a request whose
 * route reads no body costs no parsing. Parsing never throws: a body that is not valid JSON, is
 * truncated, or nests deeper than {@link #MAX_DEPTH} gives an {@link Parsed} with an error.
 *
 * <p>Policies read bodies through route schemas (`request.body`, typed by the schema), which
 * come with the schema support; this is the request model they read from.
 */
public final class RequestBody {
  /** Deepest JSON nesting parsed; a body nested deeper is an error, not a stack overflow. */
  public static final int MAX_DEPTH = 64;

  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
      .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();

  private final ByteBuffer bytes;
  private final String text;
  private final String mediaType;
  private final boolean truncated;
  // Parsed on first use; a request is read by one thread, and a race would only parse twice.
  private Parsed json;
  private QueryStrings.Parsed form;

  /** A parsed body: the value (JSON values as Map, List, String, Long, BigDecimal, Boolean, null), or why there is none. */
  public record Parsed(Object value, String error) {
    public boolean ok() {
      return error == null;
    }
  }

  private RequestBody(ByteBuffer bytes, String text, String contentType, boolean truncated) {
    this.bytes = bytes;
    this.text = text;
    this.mediaType = mediaType(contentType);
    this.truncated = truncated;
  }

  /** A body as bytes, kept as given (not copied): the caller must not change them. */
  public static RequestBody ofBytes(ByteBuffer bytes, String contentType, boolean truncated) {
    return new RequestBody(bytes.asReadOnlyBuffer(), null, contentType, truncated);
  }

  /** A body as text. */
  public static RequestBody ofText(String text, String contentType, boolean truncated) {
    return new RequestBody(null, text, contentType, truncated);
  }

  /** The media type, lower case and without parameters (`application/json`), or "" when the request named none. */
  public String mediaType() {
    return mediaType;
  }

  /** Whether Envoy sent only the first part of the body. */
  public boolean truncated() {
    return truncated;
  }

  /** Size in bytes of what was received (of the part, when truncated). */
  public int size() {
    return bytes != null ? bytes.remaining() : text.getBytes(StandardCharsets.UTF_8).length;
  }

  /** Whether the media type says JSON: `application/json` or any `…+json`. */
  public boolean isJson() {
    return mediaType.equals("application/json") || mediaType.endsWith("+json");
  }

  /** Whether the media type says HTML form: `application/x-www-form-urlencoded`. */
  public boolean isForm() {
    return mediaType.equals("application/x-www-form-urlencoded");
  }

  /** The body as one JSON value, parsed on first use. */
  public Parsed json() {
    Parsed p = json;
    if (p == null) {
      p = parseJson();
      json = p;
    }
    return p;
  }

  /**
   * The body as form fields (`a=1&b=2`), each name with its values in order, parsed on first use
   * as strictly as a query string; a truncated body is not parsed, as its last field may be cut.
   */
  public QueryStrings.Parsed form() {
    QueryStrings.Parsed f = form;
    if (f == null) {
      f = truncated ? new QueryStrings.Parsed(null, "the body was truncated by Envoy (`max_request_bytes`), so it is not parsed as a form")
          : QueryStrings.parseForm(text());
      form = f;
    }
    return f;
  }

  /**
   * Whether the body holds {@code ascii} (ASCII only), as bytes, letters compared in either case
   * when {@code ignoreCase}: a quick look before parsing, which neither decodes nor copies.
   */
  public boolean containsAscii(String ascii, boolean ignoreCase) {
    if (text != null) {
      return ignoreCase ? text.toLowerCase(Locale.ROOT).contains(ascii.toLowerCase(Locale.ROOT)) : text.contains(ascii);
    }
    int n = ascii.length();
    int start = bytes.position();
    int end = bytes.limit() - n;
    for (int i = start; i <= end; i++) {
      int k = 0;
      while (k < n && same(bytes.get(i + k), ascii.charAt(k), ignoreCase)) {
        k++;
      }
      if (k == n) {
        return true;
      }
    }
    return false;
  }

  private static boolean same(byte b, char c, boolean ignoreCase) {
    if (b == c) {
      return true;
    }
    if (!ignoreCase) {
      return false;
    }
    int lower = b >= 'A' && b <= 'Z' ? b + 32 : b;
    int other = c >= 'A' && c <= 'Z' ? c + 32 : c;
    return lower == other;
  }

  /** The body as UTF-8 text (malformed bytes replaced). */
  public String text() {
    if (text != null) {
      return text;
    }
    return StandardCharsets.UTF_8.decode(bytes.duplicate()).toString();
  }

  private Parsed parseJson() {
    if (truncated) {
      return new Parsed(null, "the body was truncated by Envoy (`max_request_bytes`), so it is not parsed as JSON");
    }
    try (JsonParser p = parser()) {
      if (p.nextToken() == null) {
        return new Parsed(null, "the body is empty");
      }
      Object value = read(p);
      if (p.nextToken() != null) {
        return new Parsed(null, "the body has more after its JSON value, at byte " + p.currentLocation().getByteOffset());
      }
      return new Parsed(value, null);
    } catch (JsonProcessingException e) {
      return new Parsed(null, "the body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      return new Parsed(null, "the body cannot be read: " + e.getMessage());
    }
  }

  private JsonParser parser() throws IOException {
    if (text != null) {
      return JSON.createParser(text);
    }
    if (bytes.hasArray()) {
      return JSON.createParser(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
    }
    byte[] copy = new byte[bytes.remaining()];
    bytes.duplicate().get(copy);
    return JSON.createParser(copy);
  }

  /** Reads the value at the current token; the parser's nesting limit bounds the recursion. */
  private static Object read(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT: {
        Map<String, Object> out = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          p.nextToken();
          out.put(name, read(p));
        }
        return Collections.unmodifiableMap(out);
      }
      case START_ARRAY: {
        List<Object> out = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          out.add(read(p));
        }
        return Collections.unmodifiableList(out);
      }
      case VALUE_STRING:
        return p.getText();
      case VALUE_NUMBER_INT: {
        BigInteger big = p.getBigIntegerValue();
        return big.bitLength() < 64 ? (Object) big.longValue() : new BigDecimal(big);
      }
      case VALUE_NUMBER_FLOAT:
        return p.getDecimalValue();
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NULL:
        return null;
      default:
        throw new com.fasterxml.jackson.core.JsonParseException(p, "unexpected " + t);
    }
  }

  private static String mediaType(String contentType) {
    if (contentType == null) {
      return "";
    }
    int semi = contentType.indexOf(';');
    return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
  }
}
