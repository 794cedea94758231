package dev.warden.server.authz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.runtime.RequestPaths;
import io.grpc.netty.shaded.io.netty.handler.codec.http.QueryStringDecoder;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * Warden's canonical paths against an independent reading: the JDK's {@code java.net.URI}
 * (RFC 2396/3986 syntax and dot-segment removal) and Netty's path decoder (strict ASCII hex,
 * UTF-8). Wherever both accept a path they must agree on its segments; and every path Warden
 * accepts is one that {@code java.net.URI} accepts, so Warden never reads something an RFC
 * parser would call malformed.
 *
 * <p>The independent reading, step by step: {@code new URI("http://h" + path)} (refuses
 * malformed escapes and characters a URI may not hold); percent-encoded unreserved characters decoded, as RFC 3986
 * §6.2.2.2 says normalizers should before removing dot segments (otherwise `%2e%2e` is a name);
 * {@code URI.normalize()}; segments split, empty ones dropped (`//` merged, as Envoy's
 * merge_slashes does) and leading `..` dropped (RFC 3986 §5.2.4: never above the root); each
 * segment decoded by Netty's {@link QueryStringDecoder} path decoding.
 */
class CanonicalPathDifferentialTest {
  private static final Pattern ESCAPE = Pattern.compile("%([0-9A-Fa-f]{2})");
  private static final String UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

  /** The independent reading's segments, or null when it refuses the path. */
  static List<String> independentSegments(String path) {
    URI uri;
    try {
      // Under an authority, as in an HTTP request: `//a` is then a path, not a host.
      uri = new URI("http://h" + path);
    } catch (URISyntaxException e) {
      return null;
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null || !"h".equals(uri.getRawAuthority())
        || !uri.getRawPath().startsWith("/")) {
      return null;
    }
    URI normalized;
    try {
      normalized = new URI("http://h" + decodeUnreserved(uri.getRawPath())).normalize();
    } catch (URISyntaxException e) {
      return null;
    }
    List<String> out = new ArrayList<>();
    for (String raw : normalized.getRawPath().split("/")) {
      if (raw.isEmpty() || (raw.equals("..") && out.isEmpty())) {
        continue;
      }
      out.add(new QueryStringDecoder("/" + raw, StandardCharsets.UTF_8, true).path().substring(1));
    }
    return out;
  }

  private static String decodeUnreserved(String rawPath) {
    Matcher m = ESCAPE.matcher(rawPath);
    StringBuilder b = new StringBuilder();
    while (m.find()) {
      char c = (char) Integer.parseInt(m.group(1), 16);
      m.appendReplacement(b, Matcher.quoteReplacement(UNRESERVED.indexOf(c) >= 0 ? String.valueOf(c) : m.group()));
    }
    m.appendTail(b);
    return b.toString();
  }

  private static List<String> wardenSegments(String canonical) {
    return canonical.equals("/") ? List.of() : List.of(canonical.substring(1).split("/", -1));
  }

  @Provide
  Arbitrary<String> paths() {
    Arbitrary<String> piece = Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.strings().withChars(UNRESERVED + "!$&'()*+,=:@").ofMinLength(1).ofMaxLength(4)),
        Tuple.of(3, Arbitraries.of(".", "..", "%2e", "%2E", "%2e%2e", "%2E.", "", "%41", "%7e", "%7E", "%2D", "%5F")),
        Tuple.of(2, Arbitraries.of("%c3%a9", "%C3%A9", "%e6%97%a5", "%f0%9f%98%80", "%e2%82%ac", "é", "日", "😀", "€",
            "%ce%a9", "ω")),
        Tuple.of(1, Arbitraries.integers().between(0, 255).map(b -> String.format("%%%02x", b))),
        Tuple.of(1, Arbitraries.of("%2f", "%5c", "%25", "%00", ";", "%3b", " ", "%20", "\\", "%", "%zz", "．", "∕")));
    Arbitrary<String> segment = piece.list().ofMinSize(0).ofMaxSize(3).map(l -> String.join("", l));
    return segment.list().ofMinSize(1).ofMaxSize(6).map(l -> "/" + String.join("/", l));
  }

  @Property(tries = 5000)
  void wardenAndAnIndependentParserAgreeOnTheSegmentsOfEveryPathBothAccept(@ForAll("paths") String path) {
    RequestPaths.Canonical warden = RequestPaths.canonicalize(path);
    List<String> independent = independentSegments(path);
    Statistics.collect(warden.ok() ? "warden accepts" : "warden refuses",
        independent != null ? "uri accepts" : "uri refuses");
    Statistics.coverage(check -> check.check("warden accepts", "uri accepts").percentage(p -> p > 20));
    if (warden.ok()) {
      assertThat(independent).as("java.net.URI accepts what Warden accepts: %s", path).isNotNull();
      assertThat(wardenSegments(warden.path())).as("segments of %s", path).isEqualTo(independent);
    }
  }

  @Example
  void theIndependentReadingIsTheOneTheRfcDescribes() {
    assertThat(independentSegments("/a/./b/../c//d/")).containsExactly("a", "c", "d");
    assertThat(independentSegments("/../../a")).containsExactly("a");
    assertThat(independentSegments("/%2e%2e/admin")).containsExactly("admin");
    assertThat(independentSegments("/caf%C3%A9")).containsExactly("café");
    assertThat(independentSegments("/a+b")).containsExactly("a+b");
    assertThat(independentSegments("/a%zz")).isNull();
    assertThat(independentSegments("/a b")).isNull();
  }
}
