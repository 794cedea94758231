package dev.warden.bench.load;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A fixed, generated sequence of Envoy CheckRequests against the example bundle
 * {@code policies/shop}, each with the answer the bundle must give. The kinds of request come
 * from the bundle's own {@code *_test.warden} files: owners and strangers, support staff,
 * anonymous callers, services known by mTLS, undeclared routes, retired routes.
 *
 * <p>Requests look as Envoy sends them: pseudo-headers and a few common headers, source and
 * destination addresses, a request time, and claims as the jwt_authn filter's verified payload
 * in metadata. The time is fixed so that the routes with {@code since}/{@code retired} dates
 * decide the same way whenever the benchmark runs.
 */
public final class RequestMix {
  /** The request time of every generated request: after orders.create's since date and after orders.legacy retired. */
  static final Instant TIME = Instant.parse("2026-11-01T12:00:00Z");

  private static final String OWN_ORDER = "7f0c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e01";
  private static final String CANCELLED_ORDER = "0b1c2d3e-4f50-4617-8899-aabbccddeeff";
  private static final String GLOBEX_ORDER = "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a";
  private static final String UNKNOWN_ORDER = "11111111-2222-4333-8444-555555555555";
  private static final String OFFICE = "10.1.2.3";
  /** The office's admin gateway, known by its verified mTLS identity. */
  private static final String GATEWAY = "spiffe://shop.local/ns/office/sa/admin-gateway";
  private static final String OUTSIDE = "203.0.113.9";

  /** Where the mix puts claims in the jwt_authn filter's metadata (its `payload_in_metadata`). */
  public static final String JWT_AUTHN_KEY = "jwt_payload";
  /** The issuer and audience of the mix's tokens. */
  static final String ISSUER = "https://id.shop.example";
  static final String AUDIENCE = "shop";

  /** One request and the answer expected from the bundle: allowed, or denied with an HTTP status. */
  public record Case(String name, CheckRequest request, boolean allowed, int status) {}

  /** A token's caller: `amr` (how they signed in) and `risk` (the IdP's score) may be absent. */
  private record Caller(String sub, String roles, String tenant, List<String> amr, Double risk) {
    Caller(String sub, String roles, String tenant) {
      this(sub, roles, tenant, List.of(), null);
    }
  }

  private record Template(String name, int weight, String method, String path, Caller caller, String from,
      String peer, Map<String, String> headers, boolean allowed, int status) {}

  private static final Caller ALICE = new Caller("alice", "customer", "acme");
  private static final Caller SAM = new Caller("sam", "support", "acme");
  private static final Caller ROOT = new Caller("root", "admin", "acme");
  private static final Caller ROOT_MFA = new Caller("root", "admin", "acme", List.of("pwd", "mfa"), null);
  private static final Caller SAM_LOW_RISK = new Caller("sam", "support", "acme", List.of("pwd"), 0.1);

  /** Weighted so that most traffic is allowed, as in production, with every kind of denial present. */
  private static final List<Template> TEMPLATES = List.of(
      allow("customer lists orders", 8, "GET", "/orders", ALICE),
      allow("owner reads own order", 8, "GET", "/orders/" + OWN_ORDER, ALICE),
      deny("stranger reads an order (BOLA)", 3, "GET", "/orders/" + OWN_ORDER,
          new Caller("mallory", "customer", "acme"), 403),
      allow("support reads an order of their tenant", 3, "GET", "/orders/" + OWN_ORDER, SAM),
      deny("support reads an order of another tenant", 2, "GET", "/orders/" + GLOBEX_ORDER, SAM, 403),
      deny("admin bound by tenant isolation", 1, "GET", "/orders/" + GLOBEX_ORDER, ROOT, 403),
      deny("unknown order", 1, "GET", "/orders/" + UNKNOWN_ORDER, ALICE, 403),
      deny("order id is not a uuid", 1, "GET", "/orders/42", ALICE, 404),
      deny("anonymous lists orders", 2, "GET", "/orders", null, 401),
      deny("token without a subject", 1, "GET", "/orders", new Caller(null, "customer", "acme"), 401),
      new Template("health checker over mTLS", 2, "GET", "/orders", null, OUTSIDE,
          "spiffe://shop.local/ns/web/sa/health", Map.of(), true, 200),
      allow("billing service reads any order", 2, "GET", "/orders/" + GLOBEX_ORDER,
          new Caller("billing", "billing_service", null)),
      deny("cancel a cancelled order", 1, "POST", "/orders/" + CANCELLED_ORDER + "/cancel",
          new Caller("bob", "customer", "acme"), 403),
      allow("owner cancels an open order", 2, "POST", "/orders/" + OWN_ORDER + "/cancel", ALICE),
      deny("customer refunds", 1, "POST", "/orders/" + OWN_ORDER + "/refund", ALICE, 403),
      allow("support refunds in a low-risk session", 1, "POST", "/orders/" + OWN_ORDER + "/refund", SAM_LOW_RISK),
      deny("support refunds without a risk score", 1, "POST", "/orders/" + OWN_ORDER + "/refund", SAM, 403),
      allow("customer places an order", 4, "POST", "/orders", ALICE),
      deny("trial account places an order", 1, "POST", "/orders", new Caller("tina", "customer", "trial"), 403),
      deny("retired legacy route", 1, "GET", "/v1/orders/17", ALICE, 410),
      deny("undeclared route", 2, "GET", "/orders/" + OWN_ORDER + "/secrets", ALICE, 404),
      deny("unknown role", 1, "GET", "/orders", new Caller("eve", "superuser", "acme"), 403),
      allow("customer reads own profile", 6, "GET", "/customers/me", ALICE),
      deny("anonymous reads a profile", 1, "GET", "/customers/me", null, 401),
      allow("customer updates own record", 2, "PUT", "/customers/alice", ALICE),
      deny("customer updates another's record", 1, "PUT", "/customers/bob", ALICE, 403),
      allow("support reads a customer of their tenant", 2, "GET", "/customers/bob", SAM),
      deny("support reads a customer of another tenant", 1, "GET", "/customers/carol", SAM, 403),
      new Template("admin lists users through the office gateway", 1, "GET", "/admin/users", ROOT, OFFICE, GATEWAY,
          Map.of(), true, 200),
      new Template("admin lists users from an office address, not the gateway", 1, "GET", "/admin/users", ROOT, OFFICE,
          null, Map.of(), false, 403),
      new Template("customer calls an admin function (BFLA)", 1, "GET", "/admin/users", ALICE, OFFICE, GATEWAY,
          Map.of(), false, 403),
      new Template("delete a user with a second factor only in a header", 1, "DELETE", "/admin/users/bob", ROOT,
          OFFICE, GATEWAY, Map.of("x-mfa", "ok"), false, 403),
      new Template("delete a user with a second factor in the token", 1, "DELETE", "/admin/users/bob", ROOT_MFA,
          OFFICE, GATEWAY, Map.of(), true, 200),
      allow("auditor exports the audit log", 1, "GET", "/admin/audit/2026-11-01/export",
          new Caller("ann", "auditor", null)),
      deny("customer reads the audit log", 1, "GET", "/admin/audit/2026-11-01", ALICE, 403));

  private final List<Case> cases;

  private RequestMix(List<Case> cases) {
    this.cases = List.copyOf(cases);
  }

  /** {@code size} requests drawn by weight from the templates with a seeded generator: the same arguments give the same sequence. */
  public static RequestMix generate(int size, long seed) {
    return generate(size, seed, null);
  }

  /**
   * The same sequence, but each caller's claims in a bearer token signed by {@code tokens}, which
   * Warden verifies itself, instead of in jwt_authn's metadata; null: in the metadata.
   */
  static RequestMix generate(int size, long seed, BearerTokens tokens) {
    if (size < 1) {
      throw new IllegalArgumentException("the mix needs at least one request");
    }
    Random random = new Random(seed);
    // One token per caller, sent on every request of that caller, as a real client does.
    Map<Caller, String> signed = new java.util.HashMap<>();
    int total = TEMPLATES.stream().mapToInt(Template::weight).sum();
    List<Case> out = new ArrayList<>(size);
    // Every template at least once, so that a small mix still covers every kind of answer.
    for (Template t : TEMPLATES) {
      if (out.size() < size) {
        out.add(build(t, random, tokens, signed));
      }
    }
    while (out.size() < size) {
      int pick = random.nextInt(total);
      for (Template t : TEMPLATES) {
        pick -= t.weight();
        if (pick < 0) {
          out.add(build(t, random, tokens, signed));
          break;
        }
      }
    }
    Collections.shuffle(out, random);
    return new RequestMix(out);
  }

  public int size() {
    return cases.size();
  }

  public Case get(int i) {
    return cases.get(i);
  }

  /** Requests by expected answer ("allow", "deny 403", …) with their counts, for the report. */
  public Map<String, Integer> answers() {
    Map<String, Integer> counts = new TreeMap<>();
    for (Case c : cases) {
      counts.merge(c.allowed() ? "allow" : "deny " + c.status(), 1, Integer::sum);
    }
    return counts;
  }

  private static Template allow(String name, int weight, String method, String path, Caller caller) {
    return new Template(name, weight, method, path, caller, OUTSIDE, null, Map.of(), true, 200);
  }

  private static Template deny(String name, int weight, String method, String path, Caller caller, int status) {
    return new Template(name, weight, method, path, caller, OUTSIDE, null, Map.of(), false, status);
  }

  /**
   * The JSON body the example bundle's schemas require of a request, as a client sends it (Envoy
   * forwards it with `with_request_body`): an order for `POST /orders`, an amount and reason for a
   * refund, a name and email for a customer's update; none for the rest (a cancellation's is
   * optional).
   */
  private static String body(Template t) {
    if (t.method().equals("POST") && t.path().equals("/orders")) {
      return "{\"items\":[{\"sku\":\"SHOE-1\",\"qty\":1},{\"sku\":\"SOCK-12\",\"qty\":3}],\"currency\":\"EUR\","
          + "\"note\":\"leave at the door\"}";
    }
    if (t.method().equals("PUT") && t.path().startsWith("/customers/")) {
      return "{\"name\":\"Alice Liddell\",\"email\":\"alice@example.com\"}";
    }
    if (t.method().equals("POST") && t.path().endsWith("/refund")) {
      return "{\"amount\":12.5,\"reason\":\"damaged in transit\"}";
    }
    return null;
  }

  private static Case build(Template t, Random random, BearerTokens tokens, Map<Caller, String> signed) {
    String requestId = new UUID(random.nextLong(), random.nextLong()).toString();
    AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder()
        .setId(requestId)
        .setMethod(t.method())
        .setPath(t.path())
        .setHost("shop.example")
        .setScheme("https")
        .setProtocol("HTTP/2")
        .putHeaders(":authority", "shop.example")
        .putHeaders(":method", t.method())
        .putHeaders(":path", t.path())
        .putHeaders(":scheme", "https")
        .putHeaders("accept", "application/json")
        .putHeaders("user-agent", "shop-web/4.2")
        .putHeaders("x-forwarded-proto", "https")
        .putHeaders("x-request-id", requestId);
    t.headers().forEach(http::putHeaders);
    String body = body(t);
    if (body != null) {
      http.putHeaders("content-type", "application/json").setBody(body)
          .setSize(body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
    }
    if (t.caller() != null && tokens != null) {
      http.putHeaders("authorization", "Bearer " + signed.computeIfAbsent(t.caller(), c -> tokens.sign(claims(c))));
    }
    AttributeContext.Peer.Builder source = AttributeContext.Peer.newBuilder()
        .setAddress(address(t.from(), 40000 + random.nextInt(20000)));
    if (t.peer() != null) {
      source.setPrincipal(t.peer());
    }
    AttributeContext.Builder attrs = AttributeContext.newBuilder()
        .setSource(source)
        .setDestination(AttributeContext.Peer.newBuilder().setAddress(address("10.0.0.7", 8080)))
        .setRequest(AttributeContext.Request.newBuilder()
            .setTime(Timestamp.newBuilder().setSeconds(TIME.getEpochSecond()))
            .setHttp(http));
    if (t.caller() != null && tokens == null) {
      attrs.setMetadataContext(Metadata.newBuilder().putFilterMetadata("envoy.filters.http.jwt_authn",
          Struct.newBuilder().putFields(JWT_AUTHN_KEY, Value.newBuilder().setStructValue(struct(claims(t.caller())))
              .build()).build()));
    }
    return new Case(t.name(), CheckRequest.newBuilder().setAttributes(attrs).build(), t.allowed(), t.status());
  }

  /** A verified token's payload: standard claims plus the bundle's roles, tenant, amr and risk. */
  private static Map<String, Object> claims(Caller c) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("iss", ISSUER);
    m.put("aud", AUDIENCE);
    m.put("iat", TIME.getEpochSecond() - 60);
    m.put("exp", TIME.getEpochSecond() + 3600);
    m.put("roles", List.of(c.roles()));
    if (c.sub() != null) {
      m.put("sub", c.sub());
    }
    if (c.tenant() != null) {
      m.put("tenant", c.tenant());
    }
    if (!c.amr().isEmpty()) {
      m.put("amr", c.amr());
    }
    if (c.risk() != null) {
      m.put("risk", c.risk());
    }
    return m;
  }

  /** The claims as jwt_authn puts them in metadata: a Struct, every number a double. */
  private static Struct struct(Map<String, Object> claims) {
    Struct.Builder s = Struct.newBuilder();
    claims.forEach((k, v) -> s.putFields(k, value(v)));
    return s.build();
  }

  private static Value value(Object v) {
    if (v instanceof Number n) {
      return Value.newBuilder().setNumberValue(n.doubleValue()).build();
    }
    if (v instanceof List<?> list) {
      com.google.protobuf.ListValue.Builder l = com.google.protobuf.ListValue.newBuilder();
      list.forEach(x -> l.addValues(value(x)));
      return Value.newBuilder().setListValue(l).build();
    }
    return str((String) v);
  }

  private static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  private static Address address(String ip, int port) {
    return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port)).build();
  }
}
