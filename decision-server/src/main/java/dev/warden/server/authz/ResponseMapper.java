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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

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

  private static final Value TRUE = Value.newBuilder().setBoolValue(true).build();
  private static final Value FALSE = Value.newBuilder().setBoolValue(false).build();
  // Rule lists, routes and revisions repeat across decisions: their protobuf values are built
  // once. Bounded by the bundle: one entry per rule list, route and revision.
  private static final ConcurrentMap<List<RuleRef>, Value> RULES = new ConcurrentHashMap<>();
  private static final ConcurrentMap<String, Value> STRINGS = new ConcurrentHashMap<>();
  private static final Value[] STATUSES = new Value[600];

  public static Struct metadata(Decision d, String decisionId) {
    Struct.Builder s = Struct.newBuilder()
        .putFields("decision_id", str(decisionId))
        .putFields("allowed", d.allowed() ? TRUE : FALSE)
        .putFields("status", status(d.status()))
        .putFields("rules", cached(RULES, d.rules(), ResponseMapper::rules));
    if (d.route() != null) {
      s.putFields("route", cached(STRINGS, d.route(), ResponseMapper::str));
    }
    if (d.revision() != null) {
      s.putFields("revision", cached(STRINGS, d.revision(), ResponseMapper::str));
    }
    return s.build();
  }

  /** A read first: computeIfAbsent would take a lock on some hits. */
  private static <K> Value cached(ConcurrentMap<K, Value> cache, K key, java.util.function.Function<K, Value> make) {
    Value v = cache.get(key);
    if (v == null) {
      v = make.apply(key);
      Value raced = cache.putIfAbsent(key, v);
      return raced == null ? v : raced;
    }
    return v;
  }

  private static Value rules(List<RuleRef> refs) {
    ListValue.Builder rules = ListValue.newBuilder();
    for (RuleRef r : refs) {
      rules.addValues(Value.newBuilder().setStringValue(r.id()));
    }
    return Value.newBuilder().setListValue(rules).build();
  }

  private static Value status(int status) {
    if (status < 0 || status >= STATUSES.length) {
      return Value.newBuilder().setNumberValue(status).build();
    }
    Value v = STATUSES[status];
    if (v == null) {
      v = Value.newBuilder().setNumberValue(status).build();
      STATUSES[status] = v;
    }
    return v;
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
