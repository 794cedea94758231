package dev.warden.policy.api;

import dev.warden.policy.ast.PathTemplate;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.check.CheckedBundle;
import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.source.Bundle;
import java.math.BigInteger;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * The front door for embedding Warden in a Java service or a test harness: compile a bundle
 * once, then decide requests with it, from any number of threads. It runs the very pipeline and
 * program that `warden test` and the sidecar run, so a decision here is the sidecar's decision.
 *
 * <pre>{@code
 * PolicyEngine shop = PolicyEngine.compile(BundleReader.read(Path.of("policies/shop"))).engine();
 * Caller alice = Caller.withClaims(Map.of("sub", "alice", "roles", List.of("customer"), "tenant", "acme"));
 * Verdict v = shop.decide(HttpRequest.of("GET", "/orders/7f0c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e01", alice, Instant.now()));
 * }</pre>
 *
 * <p>`BundleReader` (module bundle-reader) reads a directory or a `.tar.gz` archive; {@link
 * Bundle#of} makes a bundle from text in memory. Immutable and thread-safe.
 */
public final class PolicyEngine {
  private final Program program;
  private final Map<String, List<PathTemplate.Param>> params;
  private final boolean[] rest;
  private final Map<String, Integer> routeIds;

  PolicyEngine(CheckedBundle checked, Program program) {
    this.program = program;
    Map<String, List<PathTemplate.Param>> p = new LinkedHashMap<>();
    Map<String, Integer> ids = new HashMap<>();
    boolean[] hasRest = new boolean[checked.routes().size()];
    for (CheckedBundle.RouteInfo r : checked.routes()) {
      p.put(r.qualifiedName(), r.path().params());
      ids.put(r.qualifiedName(), r.id());
      hasRest[r.id()] = r.path().segments().stream().anyMatch(PathTemplate.Rest.class::isInstance);
    }
    this.params = java.util.Collections.unmodifiableMap(p);
    this.routeIds = Map.copyOf(ids);
    this.rest = hasRest;
  }

  /** Compiles a bundle: the result holds the engine, or the diagnostics that explain why there is none. */
  public static Compilation compile(Bundle bundle) {
    return new Compilation(BundleCompiler.standard().compile(Objects.requireNonNull(bundle, "bundle")));
  }

  /** The bundle's revision, as every verdict reports it. */
  public String revision() {
    return program.revision();
  }

  /** The qualified names of the declared routes (`orders.read`), in declaration order. */
  public Set<String> routes() {
    return params.keySet();
  }

  /** Decides an HTTP request. Never throws for any request: what cannot be decided is denied. */
  public Verdict decide(HttpRequest request) {
    return new Verdict(program.decide(request.request()));
  }

  /**
   * Decides a call of a declared route by name, with its parameters as typed values: an `int`
   * parameter takes an Integer or Long (or its digits as text), a `uuid` a {@link UUID} (or its
   * text), a `string` the decoded text of one path segment; `**` takes the rest of the path as text.
   * What the decide API of the sidecar does: nothing is rebuilt into a path and parsed again.
   *
   * @throws IllegalArgumentException for an unknown route, or a missing, extra or ill-typed parameter
   */
  public Verdict decide(String route, Map<String, ?> parameters, Caller caller, Instant at) {
    List<PathTemplate.Param> declared = params.get(route);
    if (declared == null) {
      throw new IllegalArgumentException("no route `" + route + "` in the bundle");
    }
    Map<String, String> text = new HashMap<>();
    for (Map.Entry<String, ?> e : parameters.entrySet()) {
      PathTemplate.Param p = declared.stream().filter(d -> d.name().equals(e.getKey())).findFirst().orElse(null);
      if (p == null && !(e.getKey().equals("**") && rest[routeIds.get(route)])) {
        throw new IllegalArgumentException("route `" + route + "` has no parameter `" + e.getKey() + "`");
      }
      text.put(e.getKey(), text(route, e.getKey(), p == null ? PathTemplate.ParamType.STRING : p.type(), e.getValue()));
    }
    Program.RouteCall call = program.bind(route, text);
    Request context = Request.builder(call.method(), call.path(), Objects.requireNonNull(at, "at"))
        .scheme("https")
        .source(null, 0, caller.identity.peer())
        .identity(caller.identity)
        .build();
    return new Verdict(program.decide(call, context));
  }

  private static String text(String route, String name, PathTemplate.ParamType type, Object value) {
    boolean fits = switch (type) {
      case INT -> value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
          || value instanceof BigInteger || value instanceof String;
      case UUID -> value instanceof UUID || value instanceof String;
      case STRING -> value instanceof String;
    };
    if (!fits) {
      throw new IllegalArgumentException("route `" + route + "`: parameter `" + name + "` is " + (type == PathTemplate.ParamType.INT ? "an" : "a") + " `" + type.keyword()
          + "`, not " + (value == null ? "null" : "a " + value.getClass().getSimpleName()));
    }
    return value.toString();
  }

  @Override
  public String toString() {
    return "PolicyEngine(revision " + revision() + ", " + params.size() + " routes)";
  }
}
