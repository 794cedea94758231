package dev.warden.server.decisionlog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;

/**
 * An OPA-style decision log collector on 127.0.0.1 (a port chosen at run time), for tests: takes
 * `POST /logs` with a gzip-compressed JSON array and keeps each element, in arrival order. It can
 * be told to answer something else than 204 (500, 429 with `Retry-After`, 400) for its next posts
 * or all of them, to be slow, and it can be stopped.
 */
public final class LoopbackCollector implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What the collector answers: {@code status}, with {@code retryAfter} when not null, after {@code delayMillis}. */
  public record Answer(int status, String retryAfter, long delayMillis) {
    public static final Answer OK = new Answer(204, null, 0);
  }

  private final HttpServer server;
  private final ExecutorService threads = Executors.newFixedThreadPool(2);
  private final List<JsonNode> records = new ArrayList<>();
  private final List<Map<String, List<String>>> headers = new ArrayList<>();
  private final AtomicInteger posts = new AtomicInteger();
  private final List<Answer> next = new ArrayList<>();
  private volatile Answer always = Answer.OK;

  public LoopbackCollector() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/logs", this::handle);
    server.setExecutor(threads);
    server.start();
  }

  /** {@code http://127.0.0.1:PORT/logs}. */
  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/logs");
  }

  /** Answers these, one per post, before going back to {@link #always}. */
  public synchronized void thenAnswer(Answer... answers) {
    next.addAll(List.of(answers));
  }

  /** Answers this to every post from now on (after the queued ones). */
  public void always(Answer answer) {
    always = answer;
  }

  /** The records taken (answered 2xx), in arrival order. */
  public synchronized List<JsonNode> records() {
    return List.copyOf(records);
  }

  /** The headers of every post, answered or not. */
  public synchronized List<Map<String, List<String>>> headers() {
    return List.copyOf(headers);
  }

  /** Posts received, whatever the answer. */
  public int posts() {
    return posts.get();
  }

  /** Stops listening: later posts find the port closed. */
  public void stop() {
    server.stop(0);
    threads.shutdownNow();
  }

  @Override
  public void close() {
    stop();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] raw;
      try (InputStream in = exchange.getRequestBody()) {
        raw = in.readAllBytes();
      }
      Answer answer;
      synchronized (this) {
        posts.incrementAndGet();
        headers.add(Map.copyOf(exchange.getRequestHeaders()));
        answer = next.isEmpty() ? always : next.remove(0);
      }
      if (answer.delayMillis() > 0) {
        try {
          TimeUnit.MILLISECONDS.sleep(answer.delayMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      if (!exchange.getRequestMethod().equals("POST")) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      if (answer.status() / 100 == 2) {
        boolean gzip = "gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding"));
        byte[] body = gzip ? new GZIPInputStream(new java.io.ByteArrayInputStream(raw)).readAllBytes() : raw;
        JsonNode array = JSON.readTree(body);
        if (!array.isArray()) {
          exchange.sendResponseHeaders(400, -1);
          return;
        }
        synchronized (this) {
          array.forEach(records::add);
        }
      }
      if (answer.retryAfter() != null) {
        exchange.getResponseHeaders().add("Retry-After", answer.retryAfter());
      }
      byte[] text = answer.status() / 100 == 2 ? new byte[0] : ("answer " + answer.status()).getBytes();
      exchange.sendResponseHeaders(answer.status(), text.length == 0 ? -1 : text.length);
      if (text.length > 0) {
        exchange.getResponseBody().write(text);
      }
    }
  }
}
