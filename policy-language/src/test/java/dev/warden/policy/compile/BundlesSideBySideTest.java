package dev.warden.policy.compile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.ast.PathTemplate;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.source.Bundle;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** What lets two bundles serve side by side: disjoint packages, routes no request matches in both, one request reading. */
class BundlesSideBySideTest {
  private static Program compile(String pkg, String routes, String manifest) {
    String policy = "package " + pkg + "\nprincipal { id: string = jwt.sub }\napi \"A\" {\n" + routes + "}\n";
    Map<String, String> files = manifest == null ? Map.of(pkg + ".warden", policy)
        : Map.of(pkg + ".warden", policy, "bundle.yaml", manifest);
    CompileResult r = BundleCompiler.standard().compile(Bundle.of(files));
    assertThat(r.ok()).as(r.render()).isTrue();
    return r.program();
  }

  @Test
  void disjointBundlesHaveNoConflictAndEachDeclaresItsOwnRoutes() {
    Program orders = compile("orders", "  route read GET /orders/{id:int}\n  route list GET /orders\n", null);
    Program pay = compile("payments", "  route read GET /payments/{id:uuid}\n  route ids GET /orders/{id:uuid}\n", null);
    assertThat(orders.conflictsWith(pay)).isEmpty();
    assertThat(pay.conflictsWith(orders)).isEmpty();
    assertThat(orders.packages()).containsExactly("orders");
    assertThat(orders.hasRoute("orders.read")).isTrue();
    assertThat(orders.hasRoute("payments.read")).isFalse();
    assertThat(orders.declares(get("/orders/7"))).isTrue();
    assertThat(pay.declares(get("/orders/7"))).isFalse();
    assertThat(pay.declares(get("/orders/6f1c2b3a-0000-4000-8000-000000000001"))).isTrue();
    assertThat(orders.declares(get("/payments/6f1c2b3a-0000-4000-8000-000000000001"))).isFalse();
    // Read as the bundle reads it: the canonical path, so a dot segment cannot smuggle a request across.
    assertThat(pay.declares(get("/orders/7/../../payments/6f1c2b3a-0000-4000-8000-000000000001"))).isTrue();
    assertThat(orders.declares(get("/orders/7/../../payments/6f1c2b3a-0000-4000-8000-000000000001"))).isFalse();
  }

  @Test
  void aSharedPackageOverlappingRoutesAndDifferentRequestRulesConflict() {
    Program a = compile("orders", "  route read GET /orders/{id}\n", null);
    Program b = compile("orders", "  route export GET /orders/export\n", "requests:\n  path_parameters: strip\n");
    assertThat(a.conflictsWith(b)).containsExactly(
        "both declare package `orders`",
        "their `requests:` settings in bundle.yaml differ, so one request would be read two ways",
        "route `orders.read` (GET /orders/{id}) and route `orders.export` (GET /orders/export) can match the same request");
    Program c = compile("files", "  route every GET /orders/**\n", null);
    assertThat(c.conflictsWith(a)).containsExactly(
        "route `files.every` (GET /orders/**) and route `orders.read` (GET /orders/{id}) can match the same request");
    Program d = compile("other", "  route write PUT /orders/{id}\n", null);
    assertThat(d.conflictsWith(a)).as("another method").isEmpty();
  }

  private static Request get(String path) {
    return Request.builder("GET", path, Instant.EPOCH).build();
  }

  // Overlap is exact: it holds exactly when some path matches both templates in a real trie.

  @Provide
  Arbitrary<String> templates() {
    Arbitrary<String> segment = Arbitraries.of("a", "b", "7", "{x#}", "{n#:int}", "{u#:uuid}");
    Arbitrary<String> path = segment.list().ofMinSize(0).ofMaxSize(3).map(l -> {
      List<String> named = new java.util.ArrayList<>();
      for (int i = 0; i < l.size(); i++) {
        named.add(l.get(i).replace("#", Integer.toString(i)));
      }
      return "/" + String.join("/", named);
    });
    return Combinators.combine(path, Arbitraries.of(false, false, true))
        .as((p, rest) -> rest ? (p.equals("/") ? "/**" : p + "/**") : p);
  }

  @Property(tries = 400)
  void overlapIsExactlyWhetherAPathMatchesBoth(@ForAll("templates") String x, @ForAll("templates") String y) {
    Program pa = compile("p", "  route r GET " + x + "\n", null);
    Program pb = compile("q", "  route r GET " + y + "\n", null);
    PathTemplate a = pa.routeTemplate("p.r");
    PathTemplate b = pb.routeTemplate("q.r");
    boolean some = false;
    for (String path : samples()) {
      some |= pa.declares(get(path)) && pb.declares(get(path));
    }
    assertThat(RouteOverlap.overlap(a, b)).as("%s vs %s", x, y).isEqualTo(some);
  }

  /** Every path of up to four segments over values that hit each kind of segment. */
  private static List<String> samples() {
    List<String> values = List.of("a", "b", "7", "6f1c2b3a-0000-4000-8000-000000000001", "zz");
    List<String> out = new java.util.ArrayList<>(List.of("/"));
    List<String> level = List.of("");
    for (int depth = 0; depth < 4; depth++) {
      List<String> next = new java.util.ArrayList<>();
      for (String prefix : level) {
        for (String v : values) {
          next.add(prefix + "/" + v);
        }
      }
      out.addAll(next);
      level = next;
    }
    return out;
  }
}
