package dev.warden.server;

import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What Envoy's ext_authz filter does with an allow's headers, as its source does it: header names
 * arrive in lower case (HTTP/2 requires it, the HTTP/1 codec folds them), a repeated name is one
 * header with several values; then each option of `headers` in order (`OVERWRITE_IF_EXISTS_OR_ADD`
 * replaces every value of the name, `APPEND_IF_EXISTS_OR_ADD` adds one, `ADD_IF_ABSENT` adds one
 * when there is none, `OVERWRITE_IF_EXISTS` replaces only an existing header), and after them
 * `headers_to_remove`, by exact name, except pseudo-headers and `host`, which Envoy never removes.
 * Shared by the tests that check what reaches the upstream.
 */
public final class EnvoyHeaders {
  private EnvoyHeaders() {}

  /** The headers the upstream receives: the client's, as sent, changed by the allow. */
  public static Map<String, List<String>> upstream(List<Map.Entry<String, String>> sent, OkHttpResponse ok) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : sent) {
      headers.computeIfAbsent(e.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(e.getValue());
    }
    apply(headers, ok.getHeadersList());
    for (String name : ok.getHeadersToRemoveList()) {
      if (!name.startsWith(":") && !name.equals("host")) {
        headers.remove(name);
      }
    }
    return headers;
  }

  /** {@link #upstream(List, OkHttpResponse)} for headers sent once each. */
  public static Map<String, List<String>> upstream(Map<String, String> sent, OkHttpResponse ok) {
    return upstream(new ArrayList<>(sent.entrySet()), ok);
  }

  /** The headers an allow adds to the upstream's response, starting from none. */
  public static Map<String, List<String>> response(OkHttpResponse ok) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    apply(headers, ok.getResponseHeadersToAddList());
    return headers;
  }

  /** The headers of a denial, as the client receives them. */
  public static Map<String, List<String>> denial(List<HeaderValueOption> options) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    apply(headers, options);
    return headers;
  }

  private static void apply(Map<String, List<String>> headers, List<HeaderValueOption> options) {
    for (HeaderValueOption o : options) {
      String name = o.getHeader().getKey().toLowerCase(Locale.ROOT);
      String value = o.getHeader().getValue();
      List<String> values = headers.get(name);
      switch (o.getAppendAction()) {
        case APPEND_IF_EXISTS_OR_ADD -> headers.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        case ADD_IF_ABSENT -> {
          if (values == null) {
            headers.put(name, new ArrayList<>(List.of(value)));
          }
        }
        case OVERWRITE_IF_EXISTS -> {
          if (values != null) {
            headers.put(name, new ArrayList<>(List.of(value)));
          }
        }
        default -> headers.put(name, new ArrayList<>(List.of(value)));
      }
    }
  }
}
