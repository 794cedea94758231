package dev.warden.bench;

import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.runtime.RequestBody;
import dev.warden.policy.source.Bundle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a body schema costs a decision: the same 1 KiB JSON order, decided on a route with an
 * inline body schema ({@link #withSchema}: the body parsed once, checked field by field, unknown
 * fields looked for at every level) and on an identical route without one ({@link #withoutSchema}:
 * nobody reads the body, so it is never parsed). The difference is the schema's cost per Check.
 * Each operation decides a fresh request over the same bytes, so the parse is not cached across
 * operations, as it is not across Checks.
 *
 * <p>{@code java -jar benchmarks/jmh/target/benchmarks.jar BodySchema -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class BodySchemaBenchmark {
  static final String POLICY = """
      package shop

      principal {
        id    = jwt.sub
        roles = jwt.claims.roles ? []
      }

      api "Shop" {
        route create  POST /orders
        route create2 POST /v2/orders
      }

      role customer { allow create, create2 }

      schema create {
        body {
          items: list<{ sku: string matches "^[A-Z]{2,8}-[0-9]{1,8}$", qty: int(1..100), gift?: bool }>(1..50),
          currency: "EUR" | "USD" | "GBP",
          note?: string(..500),
          contact: { email: email, phone?: string(..20) },
          shipBy?: time,
        }
        limits { body 16KiB, depth 4 }
      }
      """;

  /** A typical order of about 1 KiB: 14 items, a note, a contact. */
  static final String ORDER = order();

  private Program program;
  private ByteBuffer bytes;
  private Identity alice;
  private final Instant now = Instant.parse("2026-12-01T10:00:00Z");

  static String order() {
    StringBuilder b = new StringBuilder("{\"items\":[");
    for (int i = 0; i < 14; i++) {
      b.append(i == 0 ? "" : ",").append("{\"sku\":\"BOOK-").append(1000 + i).append("\",\"qty\":").append(1 + i % 5)
          .append(i % 4 == 0 ? ",\"gift\":true" : "").append('}');
    }
    b.append("],\"currency\":\"EUR\",\"note\":\"Please leave the parcel with the neighbour at number 12 if nobody")
        .append(" answers; the dog is friendly.\",\"contact\":{\"email\":\"alice@example.com\",\"phone\":\"+4930123456\"},")
        .append("\"shipBy\":\"2026-12-24T09:00:00Z\"}");
    return b.toString();
  }

  @Setup(Level.Trial)
  public void setUp() {
    CompileResult r = new BundleCompiler().compile(Bundle.of(Map.of("shop.warden", POLICY)));
    if (!r.ok()) {
      throw new IllegalStateException(r.render());
    }
    program = r.program();
    bytes = ByteBuffer.wrap(ORDER.getBytes(StandardCharsets.UTF_8));
    alice = Identity.ofClaims(Map.of("sub", "alice", "roles", List.of("customer")));
    for (String path : List.of("/orders", "/v2/orders")) {
      Decision d = decide(path);
      if (!d.allowed()) {
        throw new IllegalStateException(path + " should be allowed: " + d.explanation());
      }
    }
  }

  private Decision decide(String path) {
    return program.decide(Request.builder("POST", path, now).identity(alice)
        .headers(Map.of("content-type", "application/json"))
        .body(RequestBody.ofBytes(bytes, "application/json", false)).build());
  }

  /** The route with the body schema: parse, validate, decide. */
  @Benchmark
  public Decision withSchema() {
    return decide("/orders");
  }

  /** The same request on a route without one. */
  @Benchmark
  public Decision withoutSchema() {
    return decide("/v2/orders");
  }
}
