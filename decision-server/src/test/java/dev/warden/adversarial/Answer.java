package dev.warden.adversarial;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What Warden answered one case, reduced to what the corpus can expect: the HTTP status it tells
 * Envoy (or the decide API's status), the route and public reason, what it strips from the
 * upstream request, the headers the upstream then receives and those of the client's response
 * ({@link dev.warden.server.EnvoyHeaders}: what Envoy makes of the answer), or the gRPC error of a
 * refused call. {@code problems} are broken invariants that hold for every answer (a decision id
 * that is not Warden's own, for one).
 */
record Answer(int status, String route, String reason, List<String> headersToRemove, List<String> queryToRemove,
    Map<String, List<String>> upstream, Map<String, List<String>> response, String grpcCode, String grpcMessage,
    List<String> problems) {

  static Answer failed(String grpcCode, String grpcMessage) {
    return new Answer(-1, null, null, List.of(), List.of(), Map.of(), Map.of(), grpcCode, grpcMessage, List.of());
  }

  /** The differences between this answer and {@code e}, one line each; empty when it is as expected. */
  List<String> mismatches(Corpus.Expect e) {
    List<String> out = new ArrayList<>(problems);
    if (e.invalidArgument() != null) {
      if (!"INVALID_ARGUMENT".equals(grpcCode) || grpcMessage == null || !grpcMessage.contains(e.invalidArgument())) {
        out.add("expected INVALID_ARGUMENT containing `" + e.invalidArgument() + "`");
      }
      return out;
    }
    if (grpcCode != null) {
      out.add("expected an answer, the call failed");
      return out;
    }
    if (e.status() != null && e.status() != status) {
      out.add("expected status " + e.status());
    }
    if (e.allowed() != null && e.allowed() != (status == 200)) {
      out.add(e.allowed() ? "expected an allow" : "expected a denial");
    }
    if (e.upstreamHeaders() != null) {
      e.upstreamHeaders().forEach((name, value) -> {
        if (!List.of(value).equals(upstream.get(name))) {
          out.add("expected the upstream to receive `" + name + ": " + value + "` once, it receives " + upstream.get(name));
        }
      });
    }
    for (String h : nonNull(e.upstreamLacks())) {
      if (upstream.containsKey(h)) {
        out.add("expected the upstream not to receive `" + h + "`, it receives " + upstream.get(h));
      }
    }
    if (e.responseHeaders() != null) {
      e.responseHeaders().forEach((name, value) -> {
        if (!List.of(value).equals(response.get(name))) {
          out.add("expected the response to carry `" + name + ": " + value + "`, it carries " + response.get(name));
        }
      });
    }
    if (e.route() != null && !e.route().equals(route)) {
      out.add("expected route `" + e.route() + "`");
    }
    if (e.reason() != null && !e.reason().equals(reason)) {
      out.add("expected reason `" + e.reason() + "`");
    }
    for (String h : nonNull(e.removesHeaders())) {
      if (!headersToRemove.contains(h)) {
        out.add("expected `" + h + "` in headers_to_remove");
      }
    }
    for (String h : nonNull(e.keepsHeaders())) {
      if (headersToRemove.contains(h)) {
        out.add("expected `" + h + "` not in headers_to_remove");
      }
    }
    for (String q : nonNull(e.removesQuery())) {
      if (!queryToRemove.contains(q)) {
        out.add("expected `" + q + "` in query_parameters_to_remove");
      }
    }
    return out;
  }

  private static List<String> nonNull(List<String> l) {
    return l == null ? List.of() : l;
  }

  /** One line for reports: what Warden said. */
  String summary() {
    if (grpcCode != null) {
      return grpcCode + ": " + grpcMessage;
    }
    StringBuilder s = new StringBuilder().append(status);
    if (reason != null) {
      s.append(" `").append(reason).append('`');
    }
    if (route != null) {
      s.append(" route ").append(route);
    }
    if (!headersToRemove.isEmpty()) {
      s.append(" headers_to_remove ").append(headersToRemove);
    }
    if (!queryToRemove.isEmpty()) {
      s.append(" query_parameters_to_remove ").append(queryToRemove);
    }
    return s.toString();
  }
}
