package dev.warden.server.authz;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.Code;
import com.google.rpc.Status;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.RuleRef;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.DeniedHttpResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import java.util.List;
import java.util.Map;

/**
 * Maps a {@link Decision} to Envoy's CheckResponse. A denial carries the status, a JSON body with
 * only public facts (`error`, `reason`, `decision_id`) and the decision id header; an allow tells
 * Envoy which headers to strip from and add to the upstream request. Both carry dynamic metadata
 * with the decision id and the deciding rules, for Envoy's access log.
 */
public final class ResponseMapper {
  /** The header that carries the decision id to the client (deny) and the upstream (allow). */
  public static final String DECISION_ID_HEADER = "x-warden-decision-id";

  private final List<String> stripHeaders;

  /** @param stripHeaders headers removed from every allowed request (identity headers clients could spoof) */
  public ResponseMapper(List<String> stripHeaders) {
    this.stripHeaders = List.copyOf(stripHeaders);
  }

  public CheckResponse toResponse(Decision d, String decisionId, Map<String, String> requestHeaders) {
    Struct metadata = metadata(d, decisionId);
    if (d.allowed()) {
      OkHttpResponse.Builder ok = OkHttpResponse.newBuilder();
      // Clients must not be able to send headers that look like they came from Warden.
      requestHeaders.keySet().stream().filter(h -> h.startsWith("x-warden-")).forEach(ok::addHeadersToRemove);
      stripHeaders.forEach(ok::addHeadersToRemove);
      ok.addHeaders(header(DECISION_ID_HEADER, decisionId));
      d.obligations().upstreamHeaders().forEach((k, v) -> ok.addHeaders(header(k, v)));
      d.obligations().removeUpstreamHeaders().forEach(ok::addHeadersToRemove);
      d.obligations().responseHeaders().forEach((k, v) -> ok.addResponseHeadersToAdd(header(k, v)));
      return CheckResponse.newBuilder()
          .setStatus(Status.newBuilder().setCode(Code.OK_VALUE))
          .setOkResponse(ok)
          .setDynamicMetadata(metadata)
          .build();
    }
    return denied(d.status(), d.reason(), decisionId, metadata);
  }

  /** A denial built without a program decision: bad requests, invalid identity, internal errors. */
  public CheckResponse denied(int status, String reason, String decisionId, Struct metadata) {
    DeniedHttpResponse.Builder denied = DeniedHttpResponse.newBuilder()
        .setStatus(HttpStatus.newBuilder().setCode(statusCode(status)))
        .addHeaders(header("content-type", "application/json"))
        .addHeaders(header(DECISION_ID_HEADER, decisionId))
        .setBody(body(status, reason, decisionId));
    if (status == 401) {
      denied.addHeaders(header("www-authenticate", "Bearer"));
    }
    return CheckResponse.newBuilder()
        .setStatus(Status.newBuilder().setCode(status == 401 ? Code.UNAUTHENTICATED_VALUE : Code.PERMISSION_DENIED_VALUE)
            .setMessage(reason))
        .setDeniedResponse(denied)
        .setDynamicMetadata(metadata)
        .build();
  }

  public static Struct metadata(Decision d, String decisionId) {
    ListValue.Builder rules = ListValue.newBuilder();
    for (RuleRef r : d.rules()) {
      rules.addValues(Value.newBuilder().setStringValue(r.id()));
    }
    Struct.Builder s = Struct.newBuilder()
        .putFields("decision_id", str(decisionId))
        .putFields("allowed", Value.newBuilder().setBoolValue(d.allowed()).build())
        .putFields("status", Value.newBuilder().setNumberValue(d.status()).build())
        .putFields("rules", Value.newBuilder().setListValue(rules).build());
    if (d.route() != null) {
      s.putFields("route", str(d.route()));
    }
    if (d.revision() != null) {
      s.putFields("revision", str(d.revision()));
    }
    return s.build();
  }

  public static Struct metadata(String decisionId, int status) {
    return Struct.newBuilder()
        .putFields("decision_id", str(decisionId))
        .putFields("allowed", Value.newBuilder().setBoolValue(false).build())
        .putFields("status", Value.newBuilder().setNumberValue(status).build())
        .build();
  }

  private static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  static String body(int status, String reason, String decisionId) {
    return "{\"error\":\"" + error(status) + "\",\"reason\":\"" + json(reason) + "\",\"decision_id\":\""
        + json(decisionId) + "\"}";
  }

  private static String error(int status) {
    return switch (status) {
      case 400 -> "bad_request";
      case 401 -> "unauthenticated";
      case 403 -> "forbidden";
      case 404 -> "not_found";
      case 410 -> "gone";
      case 429 -> "too_many_requests";
      case 503 -> "unavailable";
      default -> "denied";
    };
  }

  private static String json(String s) {
    StringBuilder b = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static StatusCode statusCode(int status) {
    StatusCode code = StatusCode.forNumber(status);
    return code == null ? StatusCode.Forbidden : code;
  }

  private static HeaderValueOption header(String name, String value) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(name).setValue(value))
        .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
        .build();
  }
}
