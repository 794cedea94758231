package dev.warden.server.oci;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback HTTP server answering what a test routes ({@code "GET /v2/…"} to a handler), for
 * what a real registry never sends: wrong digests, oversized layers, odd manifests, auth
 * challenges. It records every request (method, path with query, Authorization header).
 * Unrouted requests get 404 with an OCI error body.
 */
final class FakeRegistry implements AutoCloseable {
  record Request(String method, String path, String authorization) {}

  interface Handler {
    void handle(HttpExchange exchange) throws IOException;
  }

  private final HttpServer server;
  private final Map<String, Handler> routes = new ConcurrentHashMap<>();
  final List<Request> requests = new CopyOnWriteArrayList<>();

  FakeRegistry() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::dispatch);
    server.start();
  }

  String host() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  OciReference ref(String repoAndTag) {
    return OciReference.parse("oci://" + host() + "/" + repoAndTag);
  }

  void route(String methodAndPath, Handler h) {
    routes.put(methodAndPath, h);
  }

  Handler routed(String methodAndPath) {
    return routes.get(methodAndPath);
  }

  /** Answers {@code status} with {@code body} and headers given as name, value pairs. */
  static Handler answer(int status, byte[] body, String... headers) {
    return ex -> send(ex, status, body, headers);
  }

  static void send(HttpExchange ex, int status, byte[] body, String... headers) throws IOException {
    for (int i = 0; i < headers.length; i += 2) {
      ex.getResponseHeaders().add(headers[i], headers[i + 1]);
    }
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      ex.getResponseBody().write(body);
    }
    ex.close();
  }

  long count(String method, String pathPrefix) {
    return requests.stream().filter(r -> r.method().equals(method) && r.path().startsWith(pathPrefix)).count();
  }

  private void dispatch(HttpExchange ex) throws IOException {
    String query = ex.getRequestURI().getRawQuery();
    String path = ex.getRequestURI().getRawPath();
    requests.add(new Request(ex.getRequestMethod(), path + (query == null ? "" : "?" + query),
        ex.getRequestHeaders().getFirst("Authorization")));
    ex.getRequestBody().readAllBytes();
    String method = ex.getRequestMethod();
    Handler h = routes.get(method + " " + path);
    if (h == null && method.equals("HEAD")) {
      h = routes.get("GET " + path);
    }
    if (h == null) {
      send(ex, 404, "{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"not routed\"}]}".getBytes());
      return;
    }
    h.handle(ex);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
