package dev.warden.server.authz;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.Code;
import com.google.rpc.Status;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Obligations;
import dev.warden.policy.runtime.Outcome;
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
import java.util.function.Function;

/**
 * Maps a {@link Decision} to Envoy's CheckResponse. A denial carries the status, a JSON body with
 * only public facts (`error`, `reason`, `decision_id`) and the decision id header; an allow tells
 * Envoy which headers to strip from and add to the upstream request. Both carry dynamic metadata
 * with the decision id and the deciding rules, for Envoy's access log.
 *
 * <p>Everything but the decision id repeats from one Check to the next, so the parts that do not
 * hold it (protobuf values of rules and routes, a denial's statuses and the start of its body)
 * are built once per distinct value and kept, up to a bound.
 */
public final class ResponseMapper {
  /** The header that carries the decision id to the client (deny) and the upstream (allow). */
  public static final String DECISION_ID_HEADER = "x-warden-decision-id";

  private static final Status OK = Status.newBuilder().setCode(Code.OK_VALUE).build();
  private static final HeaderValueOption JSON_CONTENT = header("content-type", "application/json");
  private static final HeaderValueOption BEARER_CHALLENGE = header("www-authenticate", "Bearer");
  private static final Map<Outcome, Value> OUTCOMES = outcomes();

  private final List<String> stripHeaders;
  private final boolean dynamicMetadata;
  private final boolean schemaPaths;
  private final Cache<List<RuleRef>, Value> rules = new Cache<>(ResponseMapper::rules);
  private final Cache<String, Value> routes = new Cache<>(ResponseMapper::str);
  private final Cache<Denial.Key, Denial> denials = new Cache<>(Denial::of);

  /**
   * @param stripHeaders headers removed from every allowed request (identity headers clients could spoof)
   * @param dynamicMetadata whether answers carry dynamic metadata for Envoy's access log; it
   *     costs both Warden and Envoy a protobuf Struct per Check, which a deployment that does not
   *     log it can save
   */
  public ResponseMapper(List<String> stripHeaders, boolean dynamicMetadata) {
    this(stripHeaders, dynamicMetadata, true);
  }

  /**
   * @param schemaPaths `schema.errors`: whether a request denied by its route's schema is told
   *     which fields were wrong (paths and problem codes, never values), or only the reason
   */
  public ResponseMapper(List<String> stripHeaders, boolean dynamicMetadata, boolean schemaPaths) {
    this.stripHeaders = List.copyOf(stripHeaders);
    this.dynamicMetadata = dynamicMetadata;
    this.schemaPaths = schemaPaths;
  }

  public CheckResponse toResponse(Decision d, String decisionId, Map<String, String> requestHeaders) {
    Struct metadata = dynamicMetadata ? metadata(d, decisionId) : null;
    if (d.allowed()) {
      OkHttpResponse.Builder ok = OkHttpResponse.newBuilder();
      Obligations o = d.obligations();
      // Clients must not be able to send headers that look like they came from Warden, nor any
      // header the policy writes or removes, in any spelling. Envoy removes after it sets, so a
      // header Warden writes is overwritten, never listed here: a client-sent
      // `x-warden-decision-id` would otherwise erase the real one, and a client's `x-user-id` the
      // policy's. Patterns are expanded against the names the request really carries.
      boolean guarded = !o.upstreamHeaders().isEmpty() || !o.removeUpstreamHeaders().isEmpty()
          || !o.removeUpstreamPatterns().isEmpty();
      for (String h : requestHeaders.keySet()) {
        if (isWardenHeader(h) ? !h.equals(DECISION_ID_HEADER)
            : guarded && o.strips(h) && !o.removeUpstreamHeaders().contains(h)) {
          ok.addHeadersToRemove(h);
        }
      }
      for (String h : stripHeaders) {
        if (!o.writes(h)) {
          ok.addHeadersToRemove(h);
        }
      }
      ok.addHeaders(header(DECISION_ID_HEADER, decisionId));
      addHeaders(o.upstreamHeaders(), false, ok::addHeaders);
      o.removeUpstreamHeaders().forEach(ok::addHeadersToRemove);
      o.removeQueryParameters().forEach(ok::addQueryParametersToRemove);
      addHeaders(o.responseHeaders(), true, ok::addResponseHeadersToAdd);
      CheckResponse.Builder r = CheckResponse.newBuilder().setStatus(OK).setOkResponse(ok);
      return metadata == null ? r.build() : r.setDynamicMetadata(metadata).build();
    }
    CheckResponse denied = denied(d.status(), d.reason(), decisionId, metadata);
    if (schemaPaths && !d.violations().isEmpty()) {
      denied = withViolations(denied, d.violations());
    }
    return d.obligations().responseHeaders().isEmpty() ? denied : withDenialHeaders(denied, d.obligations());
  }

  /**
   * The policy's headers as Envoy header options, one per name, in the order of the names' first
   * value; several values of a name go as one line, joined by `, ` (RFC 9110 §5.3). Each option
   * replaces any copy of its header (the client's, on the upstream request; the upstream's, for a
   * `set` response header), except, with {@code appendAdds} (the response of an allow), an
   * `append`, which adds to the upstream's. One option per name behaves alike on every Envoy:
   * those that read only the deprecated `append` flag of `headers` overwrite on each option, and
   * would keep only the last of several.
   */
  private static void addHeaders(List<Obligations.Header> headers, boolean appendAdds,
      java.util.function.Consumer<HeaderValueOption> add) {
    for (int i = 0; i < headers.size(); i++) {
      Obligations.Header h = headers.get(i);
      boolean first = true;
      for (int j = 0; j < i && first; j++) {
        first = !headers.get(j).name().equals(h.name());
      }
      if (!first) {
        continue;
      }
      String value = h.value();
      for (int j = i + 1; j < headers.size(); j++) {
        if (headers.get(j).name().equals(h.name())) {
          value = value + ", " + headers.get(j).value();
        }
      }
      add.accept(header(h.name(), value, appendAdds && h.append()
          ? HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD
          : HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
    }
  }

  /**
   * A schema denial's body with the offending fields: `"violations":[{"path":…,"problem":…}]`
   * after the public reason. Paths and problem codes only, never a value the client sent.
   */
  private static CheckResponse withViolations(CheckResponse denied, List<dev.warden.policy.runtime.Violation> found) {
    String body = denied.getDeniedResponse().getBody();
    StringBuilder b = new StringBuilder(body.length() + 48 * found.size()).append(body, 0, body.length() - 1)
        .append(",\"violations\":[");
    for (int i = 0; i < found.size(); i++) {
      dev.warden.policy.runtime.Violation v = found.get(i);
      b.append(i == 0 ? "" : ",").append("{\"path\":\"").append(json(v.path())).append("\",\"problem\":\"")
          .append(v.problem()).append("\"}");
    }
    b.append("]}");
    CheckResponse.Builder r = denied.toBuilder();
    r.getDeniedResponseBuilder().setBody(b.toString());
    return r.build();
  }

  /** A denial with the response headers of the route's `on deny` obligations. */
  private static CheckResponse withDenialHeaders(CheckResponse denied, Obligations o) {
    CheckResponse.Builder r = denied.toBuilder();
    addHeaders(o.responseHeaders(), false, r.getDeniedResponseBuilder()::addHeaders);
    return r.build();
  }

  /**
   * Whether a header a client sent is named like one of Warden's: `x-warden-…`, also with `_`
   * for `-` (`x_warden_user`), which CGI and Rack servers file under the same variable.
   */
  static boolean isWardenHeader(String name) {
    return dev.warden.policy.runtime.HeaderRules.isWarden(name);
  }

  /** A denial built without a program decision: bad requests, invalid identity, internal errors. */
  public CheckResponse denied(int status, String reason, String decisionId) {
    return denied(status, reason, decisionId, dynamicMetadata ? metadata(decisionId) : null);
  }

  private CheckResponse denied(int status, String reason, String decisionId, Struct metadata) {
    Denial t = denials.get(new Denial.Key(status, reason));
    DeniedHttpResponse.Builder denied = DeniedHttpResponse.newBuilder()
        .setStatus(t.httpStatus())
        .addHeaders(JSON_CONTENT)
        .addHeaders(header(DECISION_ID_HEADER, decisionId))
        .setBody(t.bodyStart() + json(decisionId) + "\"}");
    if (status == 401) {
      denied.addHeaders(BEARER_CHALLENGE);
    }
    CheckResponse.Builder r = CheckResponse.newBuilder().setStatus(t.rpcStatus()).setDeniedResponse(denied);
    return metadata == null ? r.build() : r.setDynamicMetadata(metadata).build();
  }

  /**
   * What Envoy files under `envoy.filters.http.ext_authz` for its access log: the decision id,
   * the outcome (why: `forbid`, `default_deny`, `no_route`, …), and the deciding rules (ids
   * joined by `,`) and the route when known. Whether the request was allowed, and with which
   * status, Envoy logs itself; the bundle revision is on `/status`. Each field costs both ends a
   * protobuf map entry on every Check, so there are no more than these.
   */
  Struct metadata(Decision d, String decisionId) {
    Struct.Builder s = Struct.newBuilder().putFields("decision_id", str(decisionId))
        .putFields("outcome", OUTCOMES.get(d.outcome()));
    if (!d.rules().isEmpty()) {
      s.putFields("rules", rules.get(d.rules()));
    }
    if (d.route() != null) {
      s.putFields("route", routes.get(d.route()));
    }
    return s.build();
  }

  private static Map<Outcome, Value> outcomes() {
    Map<Outcome, Value> out = new java.util.EnumMap<>(Outcome.class);
    for (Outcome o : Outcome.values()) {
      out.put(o, str(o.label()));
    }
    return out;
  }

  /** The metadata of a denial without a program decision: the decision id alone. */
  public static Struct metadata(String decisionId) {
    return Struct.newBuilder().putFields("decision_id", str(decisionId)).build();
  }

  /**
   * The parts of a denial that depend only on its status and public reason: the HTTP status, the
   * gRPC status with the reason as its message, and the JSON body up to the decision id.
   */
  private record Denial(HttpStatus httpStatus, Status rpcStatus, String bodyStart) {
    record Key(int status, String reason) {}

    static Denial of(Key k) {
      StatusCode code = StatusCode.forNumber(k.status());
      return new Denial(HttpStatus.newBuilder().setCode(code == null ? StatusCode.Forbidden : code).build(),
          Status.newBuilder().setCode(k.status() == 401 ? Code.UNAUTHENTICATED_VALUE : Code.PERMISSION_DENIED_VALUE)
              .setMessage(k.reason()).build(),
          "{\"error\":\"" + error(k.status()) + "\",\"reason\":\"" + json(k.reason()) + "\",\"decision_id\":\"");
    }
  }

  /**
   * Values built once per key and kept. Keys come from the bundles served (rule lists, routes,
   * reasons), so there are few; the bound only keeps a long life of reloads from growing the
   * cache without end: past it, values are built on every use instead.
   */
  private static final class Cache<K, V> {
    private static final int LIMIT = 10_000;
    private final ConcurrentHashMap<K, V> values = new ConcurrentHashMap<>();
    private final Function<K, V> make;

    Cache(Function<K, V> make) {
      this.make = make;
    }

    /** A read first: computeIfAbsent would take a lock on some hits. */
    V get(K key) {
      V v = values.get(key);
      if (v != null) {
        return v;
      }
      v = make.apply(key);
      if (values.size() < LIMIT) {
        V raced = values.putIfAbsent(key, v);
        return raced == null ? v : raced;
      }
      return v;
    }
  }

  private static Value rules(List<RuleRef> refs) {
    StringBuilder ids = new StringBuilder();
    for (RuleRef r : refs) {
      ids.append(ids.length() == 0 ? "" : ",").append(r.id());
    }
    return str(ids.toString());
  }

  private static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  private static String error(int status) {
    return switch (status) {
      case 400 -> "bad_request";
      case 401 -> "unauthenticated";
      case 403 -> "forbidden";
      case 404 -> "not_found";
      case 410 -> "gone";
      case 413 -> "payload_too_large";
      case 415 -> "unsupported_media_type";
      case 429 -> "too_many_requests";
      case 503 -> "unavailable";
      default -> "denied";
    };
  }

  private static String json(String s) {
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\' || c < 0x20) {
        if (b == null) {
          b = new StringBuilder(s.length() + 8).append(s, 0, i);
        }
        if (c < 0x20) {
          b.append(String.format("\\u%04x", (int) c));
        } else {
          b.append('\\').append(c);
        }
      } else if (b != null) {
        b.append(c);
      }
    }
    return b == null ? s : b.toString();
  }

  private static HeaderValueOption header(String name, String value) {
    return header(name, value, HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD);
  }

  private static HeaderValueOption header(String name, String value, HeaderValueOption.HeaderAppendAction action) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(name).setValue(value))
        .setAppendAction(action)
        .build();
  }
}
