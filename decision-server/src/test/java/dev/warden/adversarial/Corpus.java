package dev.warden.adversarial;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The adversarial corpus (`adversarial/corpus.yaml` on the test class path): requests an attacker
 * would send, each with the answer a secure sidecar must give, written down from the documented
 * rules rather than from what Warden happens to answer. Unknown keys are errors, so that a typo
 * in an expectation can never make a case pass by checking nothing.
 */
final class Corpus {
  static final String RESOURCE = "/adversarial/corpus.yaml";

  /** The input classes every case belongs to. */
  static final Set<String> CLASSES = Set.of("path", "method", "header", "identity", "decide", "body");

  private Corpus() {}

  /**
   * One case: an ext_authz request ({@code request}) or a decide API call ({@code decide}).
   *
   * @param finding the number of the issue finding it guards, or null
   * @param knownFailing why Warden answers this case wrongly today, or null: such a case must
   *     still fail, so that the fix is noticed and the mark removed
   */
  record Case(String name, @JsonProperty("class") String kind, Integer finding, Http request, Decide decide,
      Expect expect, @JsonProperty("known_failing") String knownFailing) {
    boolean isDecide() {
      return decide != null;
    }

    String displayName() {
      return kind + ": " + name + (knownFailing == null ? "" : " [known failing]");
    }
  }

  /**
   * An HTTP request as Envoy would describe it in a CheckRequest.
   *
   * @param path the path exactly as sent, query included
   * @param repeat text appended to {@code path} many times (long paths, many segments)
   * @param headerMap headers sent in `header_map` as raw bytes, as Envoy sends them with
   *     `encode_raw_headers`, besides (or instead of) the `headers` map
   * @param extraHeaders how many filler headers to add to {@code headers}
   * @param as a caller of {@link Callers}, sent as a bearer token Warden verifies; anonymous by default
   * @param claims claims added to, or replacing, those of {@code as} in its token
   * @param peer the mTLS peer's SPIFFE id (Envoy's `source.principal`)
   * @param from the source IP address
   * @param jwtAuthn claims put where Envoy's jwt_authn filter puts a verified payload
   * @param token a raw bearer token, sent as is
   * @param forgedToken a bad token of {@link ForgedTokens} for {@code as} (for root when anonymous)
   * @param bearerScheme what precedes the token in `authorization` (default `Bearer `)
   * @param body the request body as Envoy buffered it
   * @param at the request time (default {@link Callers#DEFAULT_TIME})
   */
  record Http(String method, String path, Repeat repeat, Map<String, String> headers,
      @JsonProperty("header_map") Map<String, String> headerMap, @JsonProperty("extra_headers") Integer extraHeaders, String as, Map<String, Object> claims, String peer,
      String from, @JsonProperty("jwt_authn") Map<String, Object> jwtAuthn, String token,
      @JsonProperty("forged_token") String forgedToken, @JsonProperty("bearer_scheme") String bearerScheme,
      String body, String at) {
    String fullPath() {
      return repeat == null ? path : path + repeat.expand();
    }
  }

  /** {@code text} {@code times} times, then {@code then}. */
  record Repeat(String text, int times, String then) {
    String expand() {
      return text.repeat(times) + (then == null ? "" : then);
    }
  }

  /**
   * A `warden.v1.Decisions/Decide` call: a route by name with its parameters, or an HTTP target
   * (method and path), for a caller whose claims the application vouches for.
   */
  record Decide(String route, Map<String, String> params, String method, String path, String as,
      Map<String, Object> claims, String peer, Map<String, String> headers, String body, String at) {}

  /**
   * The answer a secure sidecar gives.
   *
   * @param status 200 for allow, else the deny status
   * @param route the route the decision names
   * @param reason the public reason of a denial
   * @param removesHeaders headers that must be in `headers_to_remove`
   * @param keepsHeaders headers that must not be in `headers_to_remove`
   * @param removesQuery query parameters that must be in `query_parameters_to_remove`
   * @param allowed whether the request is allowed, for a denial whose status is not the point
   * @param upstreamHeaders headers the upstream must receive once Envoy applied the answer to the
   *     request, each exactly once with this value
   * @param upstreamLacks headers the upstream must not receive at all
   * @param responseHeaders headers the client's response must carry with this value (an allow's
   *     `response_headers_to_add`, or the denial's own)
   * @param invalidArgument for decide calls: INVALID_ARGUMENT with a message containing this
   */
  record Expect(Integer status, String route, String reason,
      @JsonProperty("removes_headers") List<String> removesHeaders,
      @JsonProperty("keeps_headers") List<String> keepsHeaders,
      @JsonProperty("removes_query") List<String> removesQuery,
      Boolean allowed,
      @JsonProperty("upstream_headers") Map<String, String> upstreamHeaders,
      @JsonProperty("upstream_lacks") List<String> upstreamLacks,
      @JsonProperty("response_headers") Map<String, String> responseHeaders,
      @JsonProperty("invalid_argument") String invalidArgument) {}

  static List<Case> load() {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    try (InputStream in = Corpus.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the test class path");
      }
      return List.copyOf(yaml.readValue(in, new TypeReference<List<Case>>() {}));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }
}
