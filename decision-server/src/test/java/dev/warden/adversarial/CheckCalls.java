package dev.warden.adversarial;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.warden.server.EnvoyHeaders;
import dev.warden.server.Structs;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Sends a case's request as Envoy's ext_authz filter would (`envoy.service.auth.v3.Authorization/Check`
 * over a real gRPC connection) and reads the answer. Every answer is also checked for what must
 * hold of all of them: it carries a decision id of Warden's own (32 hex digits, never one the
 * client sent), and a 401 asks for a bearer token.
 */
final class CheckCalls {
  /** Where Envoy's jwt_authn filter would put the verified payload (`payload_in_metadata`). */
  static final String JWT_AUTHN_KEY = "jwt_payload";
  static final String DECISION_ID = "x-warden-decision-id";
  private static final Pattern DECISION_ID_FORMAT = Pattern.compile("[0-9a-f]{32}");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final AuthorizationGrpc.AuthorizationBlockingStub stub;
  private final ForgedTokens tokens;
  private final Duration deadline;

  CheckCalls(AuthorizationGrpc.AuthorizationBlockingStub stub, ForgedTokens tokens, Duration deadline) {
    this.stub = stub;
    this.tokens = tokens;
    this.deadline = deadline;
  }

  Answer send(Corpus.Http h) throws Exception {
    Map<String, String> headers = headers(h);
    Map<String, String> raw = h.headerMap() == null ? Map.of() : h.headerMap();
    CheckResponse r;
    try {
      r = stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).check(request(h, headers, raw));
    } catch (StatusRuntimeException e) {
      return Answer.failed(e.getStatus().getCode().name(), e.getStatus().getDescription());
    }
    List<Map.Entry<String, String>> sent = new ArrayList<>(headers.entrySet());
    sent.addAll(raw.entrySet());
    return read(r, sent);
  }

  /** The headers as sent: the case's, filler headers, and the caller's credential. */
  private Map<String, String> headers(Corpus.Http h) throws Exception {
    Map<String, String> out = new LinkedHashMap<>();
    if (h.headers() != null) {
      out.putAll(h.headers());
    }
    for (int i = 0; i < (h.extraHeaders() == null ? 0 : h.extraHeaders()); i++) {
      out.put("x-filler-" + i, "1");
    }
    String token = token(h);
    if (token != null) {
      out.put("authorization", (h.bearerScheme() == null ? "Bearer " : h.bearerScheme()) + token);
    }
    return out;
  }

  private String token(Corpus.Http h) throws Exception {
    if (h.token() != null) {
      return h.token();
    }
    Map<String, Object> claims = Callers.claims(h.as(), h.claims());
    if (h.forgedToken() != null) {
      return tokens.forged(h.forgedToken(), claims == null ? Callers.claims("root", null) : claims);
    }
    return claims == null ? null : tokens.valid(claims);
  }

  private static CheckRequest request(Corpus.Http h, Map<String, String> headers, Map<String, String> raw) {
    AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder()
        .setMethod(h.method() == null ? "GET" : h.method())
        .setPath(h.fullPath() == null ? "" : h.fullPath())
        .setScheme("https")
        .putAllHeaders(headers);
    if (!raw.isEmpty()) {
      HeaderMap.Builder map = HeaderMap.newBuilder();
      raw.forEach((k, v) -> map.addHeaders(HeaderValue.newBuilder().setKey(k).setRawValue(ByteString.copyFromUtf8(v))));
      http.setHeaderMap(map);
    }
    if (h.body() != null) {
      http.setBody(h.body());
    }
    AttributeContext.Peer.Builder source = AttributeContext.Peer.newBuilder();
    if (h.from() != null) {
      source.setAddress(Address.newBuilder().setSocketAddress(
          SocketAddress.newBuilder().setAddress(h.from()).setPortValue(40000)));
    }
    if (h.peer() != null) {
      source.setPrincipal(h.peer());
    }
    Instant at = h.at() == null ? Callers.DEFAULT_TIME : Instant.parse(h.at());
    AttributeContext.Builder attrs = AttributeContext.newBuilder().setSource(source)
        .setRequest(AttributeContext.Request.newBuilder().setTime(Structs.timestamp(at)).setHttp(http));
    if (h.jwtAuthn() != null) {
      Struct payload = Structs.of(h.jwtAuthn());
      attrs.setMetadataContext(Metadata.newBuilder().putFilterMetadata("envoy.filters.http.jwt_authn",
          Struct.newBuilder().putFields(JWT_AUTHN_KEY, Value.newBuilder().setStructValue(payload).build()).build()));
    }
    return CheckRequest.newBuilder().setAttributes(attrs).build();
  }

  private static Answer read(CheckResponse r, List<Map.Entry<String, String>> sent) {
    List<String> problems = new ArrayList<>();
    Map<String, Value> meta = r.getDynamicMetadata().getFieldsMap();
    String route = meta.containsKey("route") ? meta.get("route").getStringValue() : null;
    int status;
    String reason = null;
    List<HeaderValueOption> answerHeaders;
    List<String> removed = List.of();
    List<String> query = List.of();
    Map<String, List<String>> upstream = Map.of();
    Map<String, List<String>> response;
    if (r.hasOkResponse()) {
      upstream = EnvoyHeaders.upstream(sent, r.getOkResponse());
      response = EnvoyHeaders.response(r.getOkResponse());
      status = 200;
      answerHeaders = r.getOkResponse().getHeadersList();
      removed = List.copyOf(r.getOkResponse().getHeadersToRemoveList());
      query = List.copyOf(r.getOkResponse().getQueryParametersToRemoveList());
      if (r.getStatus().getCode() != 0) {
        problems.add("an allow with gRPC status " + r.getStatus().getCode());
      }
    } else {
      status = r.getDeniedResponse().getStatus().getCodeValue();
      answerHeaders = r.getDeniedResponse().getHeadersList();
      response = EnvoyHeaders.denial(answerHeaders);
      reason = reason(r.getDeniedResponse().getBody(), problems);
      if (status == 401 && answerHeaders.stream().noneMatch(o -> o.getHeader().getKey().equals("www-authenticate"))) {
        problems.add("a 401 without `www-authenticate`");
      }
    }
    checkDecisionId(answerHeaders, sent, problems);
    return new Answer(status, route, reason, removed, query, upstream, response, null, null, List.copyOf(problems));
  }

  private static String reason(String body, List<String> problems) {
    try {
      JsonNode json = JSON.readTree(body);
      return json.path("reason").asText(null);
    } catch (Exception e) {
      problems.add("a denial whose body is not JSON: `" + body + "`");
      return null;
    }
  }

  /** The decision id is Warden's: exactly one, 32 hex digits, and not any value the client sent. */
  private static void checkDecisionId(List<HeaderValueOption> answerHeaders, List<Map.Entry<String, String>> sent,
      List<String> problems) {
    List<String> ids = answerHeaders.stream().filter(o -> o.getHeader().getKey().equalsIgnoreCase(DECISION_ID))
        .map(o -> o.getHeader().getValue()).toList();
    if (ids.size() != 1 || !DECISION_ID_FORMAT.matcher(ids.get(0)).matches()) {
      problems.add("expected one `" + DECISION_ID + "` of 32 hex digits in the answer, found " + ids);
      return;
    }
    for (Map.Entry<String, String> h : sent) {
      if (h.getKey().equalsIgnoreCase(DECISION_ID) && h.getValue().equalsIgnoreCase(ids.get(0))) {
        problems.add("the answer's decision id is the one the client sent");
      }
    }
  }
}
