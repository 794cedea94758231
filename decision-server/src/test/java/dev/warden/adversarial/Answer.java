package dev.warden.adversarial;

import java.util.ArrayList;
import java.util.List;

/**
 * What Warden answered one case, reduced to what the corpus can expect: the HTTP status it tells
 * Envoy (or the decide API's status), the route and public reason, what it strips from the
 * upstream request, or the gRPC error of a refused call. {@code problems} are broken invariants
 * that hold for every answer (a decision id that is not Warden's own, for one).
 */
record Answer(int status, String route, String reason, List<String> headersToRemove, List<String> queryToRemove,
    String grpcCode, String grpcMessage, List<String> problems) {

  static Answer failed(String grpcCode, String grpcMessage) {
    return new Answer(-1, null, null, List.of(), List.of(), grpcCode, grpcMessage, List.of());
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
