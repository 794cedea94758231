package dev.warden.policy.testing;

import dev.warden.policy.check.CheckedBundle.CheckedTest;
import dev.warden.policy.check.CheckedBundle.Expectation;
import dev.warden.policy.check.CheckedBundle.TestRequest;
import dev.warden.policy.compile.Compiler;
import dev.warden.policy.compile.PlainValues;
import dev.warden.policy.compile.Program;
import dev.warden.policy.diag.Span;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.IpAddress;
import dev.warden.policy.check.CheckedBundle;
import dev.warden.policy.runtime.HeaderRules;
import dev.warden.policy.runtime.HttpTokens;
import dev.warden.policy.runtime.QuotaAdmission;
import dev.warden.policy.runtime.QuotaResult;
import dev.warden.policy.runtime.RateLimitHeaders;
import dev.warden.policy.runtime.Request;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One `test` block, ready to run against the program the bundle compiled to. Pure: the caller
 * passes the time to use when the test does not pin one with `at`.
 */
public final class PolicyTest {
  private final CheckedTest test;
  private final Program program;
  private final List<String> fieldIds;

  PolicyTest(CheckedTest test, Program program, List<String> fieldIds) {
    this.test = test;
    this.program = program;
    this.fieldIds = fieldIds;
  }

  public String name() {
    return test.name();
  }

  public String location() {
    return test.span().fileLine();
  }

  /** Where the `test` block is written, for a diagnostic that points at it. */
  public Span span() {
    return test.span();
  }

  /**
   * Runs the test: each request in order, at {@code defaultTime} plus the test's `wait`s unless it
   * pins its time with `at`, its quotas charged against buckets of the test's own (fresh for each
   * run, as for one replica: local and global quotas alike), each decision judged against its
   * `expect`. The outcome is the first that fails, or the last.
   */
  public TestOutcome run(Instant defaultTime) {
    Program p = program();
    TestBuckets buckets = new TestBuckets();
    TestOutcome last = null;
    long sent = 0;
    for (CheckedBundle.Exchange ex : test.exchanges()) {
      for (long round = 1; round <= ex.times(); round++) {
        sent++;
        Request r = request(ex.request(), defaultTime.plus(ex.offset()));
        Decision d = charge(p.decide(r), r.time(), buckets);
        TestOutcome o = judge(ex, d);
        if (!o.passed() && test.sequence()) {
          String which = "request " + sent + " (line " + ex.expect().span().line()
              + (ex.times() > 1 ? ", round " + round + " of " + ex.times() : "") + "): ";
          return new TestOutcome(o.name(), o.location(), o.expected(), d, which + o.failure());
        }
        last = o;
      }
    }
    return last;
  }

  /** Whether the test sends more than one request: the sidecar parity test sends only single ones. */
  public boolean sequence() {
    return test.sequence();
  }

  /**
   * The decision with its quotas answered from {@code buckets} at {@code time}, as the sidecar
   * answers its local quotas (the `ietf` headers, no quota headers on allow); unchanged when the
   * decision charges none.
   */
  static Decision charge(Decision d, Instant time, QuotaAdmission.Buckets buckets) {
    if (d.charges().isEmpty()) {
      return d;
    }
    long now = Math.addExact(Math.multiplyExact(time.getEpochSecond(), 1_000_000_000L), time.getNano());
    return d.withQuotas(QuotaAdmission.admit(d.charges(), now, buckets, QuotaResult.Via.LOCAL),
        RateLimitHeaders.Style.IETF, false);
  }

  /**
   * The outcome of this test for a decision, however it was made: `warden test` decides with
   * {@link #program()}, the parity test through the sidecar.
   */
  public TestOutcome judge(Decision d) {
    return judge(test.exchanges().get(test.exchanges().size() - 1), d);
  }

  private TestOutcome judge(CheckedBundle.Exchange ex, Decision d) {
    TestOutcome enforced = judge(ex, d, d.obligations().upstream(headers(ex.request())), d.obligations().response());
    Expectation s = ex.shadowExpect();
    if (!enforced.passed() || s == null) {
      return enforced;
    }
    // No shadow rule covers the route (or the request was refused before the rules): the
    // would-be decision is the decision itself.
    Decision would = d.shadow() != null ? d.shadow() : d;
    String failure = failure(s, would, would.obligations().upstream(headers(ex.request())),
        would.obligations().response());
    return new TestOutcome(test.name(), location(), enforced.expected() + "; shadow " + expected(s), d,
        failure == null ? null : "expected shadow " + failure.substring("expected ".length()));
  }

  /**
   * The outcome of this test for a decision, with its header checks judged on the headers the
   * upstream receives and those of the client's response, as the caller saw them applied: the
   * parity test passes what Envoy makes of the sidecar's answer.
   */
  public TestOutcome judge(Decision d, Map<String, List<String>> upstream, Map<String, List<String>> response) {
    return judge(test.exchanges().get(test.exchanges().size() - 1), d, upstream, response);
  }

  private TestOutcome judge(CheckedBundle.Exchange ex, Decision d, Map<String, List<String>> upstream,
      Map<String, List<String>> response) {
    return new TestOutcome(test.name(), location(), expected(ex.expect()), d, failure(ex.expect(), d, upstream,
        response));
  }

  /**
   * Why decision {@code d} does not meet expectation {@code e}, as `expected …, got …`, or null.
   * The sidecar's answers carry no would-be decision: a test's `expect shadow` is judged by
   * {@link #judge(Decision)}, offline, only.
   */
  private static String failure(Expectation e, Decision d, Map<String, List<String>> upstream,
      Map<String, List<String>> response) {
    String expected = expected(e);
    String failure = null;
    if (e.allow() != d.allowed()) {
      failure = "expected " + expected + ", got " + TestOutcome.describe(d) + ": " + d.explanation();
    } else if (!e.allow()) {
      boolean statusOk = e.status() == null || e.status() == d.status();
      boolean ruleOk = e.rule() == null || d.rules().stream().anyMatch(r -> r.id().equals(e.rule()));
      boolean reasonOk = e.reason() == null || e.reason().equals(d.reason());
      if (!statusOk || !ruleOk || !reasonOk) {
        failure = "expected " + expected + ", got " + TestOutcome.describe(d) + ": " + d.explanation();
      }
    }
    if (failure == null && !e.headers().isEmpty()) {
      String got = headers(e, upstream, response);
      if (got != null) {
        failure = "expected " + expected + ", got " + got;
      }
    }
    return failure;
  }

  /**
   * What the decision does to the headers the test expects, for the first check that fails, or
   * null when all hold: the upstream's headers are the test request's with the obligations
   * applied, as the sidecar has Envoy apply them.
   */
  private static String headers(Expectation e, Map<String, List<String>> upstream,
      Map<String, List<String>> response) {
    for (CheckedBundle.HeaderExpectation h : e.headers()) {
      Map<String, List<String>> where = h.response() ? response : upstream;
      String kind = h.response() ? "response header \"" : "header \"";
      if (h.present()) {
        List<String> values = where.get(h.name());
        if (values == null) {
          return "no " + kind + h.name() + "\"";
        }
        String value = String.join(", ", values);
        if (h.value() != null && !h.value().equals(value)) {
          return kind + h.name() + "\" = \"" + value + "\"";
        }
      } else {
        for (Map.Entry<String, List<String>> found : where.entrySet()) {
          if (HeaderRules.sameName(found.getKey(), h.name())) {
            return kind + found.getKey() + "\" = \"" + String.join(", ", found.getValue()) + "\"";
          }
        }
      }
    }
    return null;
  }

  private static String expected(Expectation e) {
    StringBuilder b = new StringBuilder(e.allow() ? "allow" : "deny");
    if (e.status() != null) {
      b.append(' ').append(e.status());
    }
    if (e.rule() != null) {
      b.append(" by ").append(e.rule());
    }
    if (e.reason() != null) {
      b.append(" reason \"").append(e.reason()).append('"');
    }
    for (int i = 0; i < e.headers().size(); i++) {
      CheckedBundle.HeaderExpectation h = e.headers().get(i);
      boolean same = i > 0 && e.headers().get(i - 1).present() == h.present();
      b.append(same ? " and " : " ").append(h.describe(!same));
    }
    return b.toString();
  }

  /**
   * The request this test makes, as the program sees it: what the sidecar parity test sends
   * through ext_authz too.
   */
  public Request request(Instant defaultTime) {
    return request(test.request(), defaultTime);
  }

  /** The program this test decides with: the bundle's, with the test's `data` lines applied. */
  public Program program() {
    return program.withTestData(test.data(), fieldIds);
  }

  /** The test request's headers, names in lower case. */
  @SuppressWarnings("unchecked")
  private Map<String, String> headers(TestRequest r) {
    Map<String, String> headers = new LinkedHashMap<>();
    if (r.headers() != null) {
      ((Map<String, Object>) PlainValues.of(Compiler.constant(r.headers(), fieldIds)))
          .forEach((k, v) -> headers.put(HttpTokens.headerName(k), String.valueOf(v)));
    }
    return headers;
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  @SuppressWarnings("unchecked")
  private Request request(TestRequest r, Instant defaultTime) {
    Identity identity;
    if (r.claims() != null) {
      Map<String, Object> claims = (Map<String, Object>) PlainValues.of(Compiler.constant(r.claims(), fieldIds));
      identity = new Identity(claims, r.peer());
    } else {
      identity = new Identity(null, r.peer());
    }
    Map<String, String> headers = headers(r);
    dev.warden.policy.runtime.RequestBody body = null;
    if (r.body() != null) {
      // A string is the body as written (to send what is not JSON); anything else is sent as JSON.
      Object value = PlainValues.of(Compiler.constant(r.body(), fieldIds));
      String text;
      if (value instanceof String s) {
        text = s;
      } else {
        try {
          text = JSON.writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          throw new IllegalStateException("a constant always prints as JSON", e);
        }
        headers.putIfAbsent("content-type", "application/json");
      }
      body = dev.warden.policy.runtime.RequestBody.ofText(text, headers.get("content-type"), false);
    }
    return Request.builder(r.method(), r.target(), r.at() != null ? r.at() : defaultTime)
        .id("test")
        .headers(headers)
        .body(body)
        .scheme("https")
        .source(r.from() == null ? null : IpAddress.parse(r.from()), 0, r.peer())
        .identity(identity)
        .build();
  }
}
