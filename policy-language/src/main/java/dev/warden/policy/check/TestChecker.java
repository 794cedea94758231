package dev.warden.policy.check;

import dev.warden.policy.ast.Decl;
import dev.warden.policy.ast.Expr;
import dev.warden.policy.ast.PolicyFile;
import dev.warden.policy.ast.TestStep;
import dev.warden.policy.check.CheckedBundle.CheckedTest;
import dev.warden.policy.check.CheckedBundle.DataDocument;
import dev.warden.policy.check.CheckedBundle.DataOverride;
import dev.warden.policy.check.CheckedBundle.Expectation;
import dev.warden.policy.check.CheckedBundle.TestRequest;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Diagnostics;
import dev.warden.policy.diag.EditDistance;
import dev.warden.policy.types.Type;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks `test` blocks: requests each with its expectation (in sequences: `repeat`, `wait`), data
 * overrides that fit their documents,
 * and expected rules that exist. Test values are constants: they may not read the request.
 */
final class TestChecker {
  private final Diagnostics diagnostics;
  private final FieldIds fieldIds;
  private final Env constants;
  private final Map<String, DataDocument> data = new HashMap<>();

  TestChecker(Diagnostics diagnostics, FieldIds fieldIds, Env env, List<DataDocument> docs) {
    this.diagnostics = diagnostics;
    this.fieldIds = fieldIds;
    this.constants = new Env(Map.of(), Map.of(), Map.of(), name -> null, env.roles(), Set.of(), RequestModel.DEFAULT, null);
    docs.forEach(d -> data.put(d.name(), d));
  }

  List<CheckedTest> check(List<PolicyFile> files, List<String> ruleIds) {
    List<CheckedTest> out = new ArrayList<>();
    Map<String, Decl.Test> names = new HashMap<>();
    for (PolicyFile f : files) {
      for (Decl.Test t : f.declsOf(Decl.Test.class)) {
        Decl.Test twin = names.putIfAbsent(t.name(), t);
        if (twin != null) {
          diagnostics.add(Diagnostic.error("test.duplicate_name", t.span(), "test `" + t.name() + "` is declared twice")
              .withHelp("the first is at " + twin.span()));
          continue;
        }
        CheckedTest c = test(t, ruleIds);
        if (c != null) {
          out.add(c);
        }
      }
    }
    return out;
  }

  /** The most requests a test may send, all repeats counted. */
  static final long MAX_REQUESTS = 100_000;

  private CheckedTest test(Decl.Test t, List<String> ruleIds) {
    Sequence seq = new Sequence(ruleIds);
    List<DataOverride> overrides = new ArrayList<>();
    seq.steps(t.steps(), 1, overrides, true);
    seq.close();
    if (seq.ok && seq.exchanges.isEmpty()) {
      diagnostics.add(Diagnostic.error("test.bad_steps", t.span(), "test `" + t.name() + "` needs a `request`")
          .withHelp("a test is: `request GET /path as {…}`, optional `data` lines, and `expect allow` or `expect deny`"));
      return null;
    }
    return seq.ok ? new CheckedTest(t.name(), t.span(), overrides, seq.exchanges) : null;
  }

  /**
   * The exchanges of a test, in order: each `request` with the `expect` (and `expect shadow`) after
   * it, a `repeat` block's exchanges repeated, the clock moved on by each `wait`.
   */
  private final class Sequence {
    final List<String> ruleIds;
    final List<CheckedBundle.Exchange> exchanges = new ArrayList<>();
    boolean ok = true;
    java.time.Duration clock = java.time.Duration.ZERO;
    long sent;
    TestRequest request;
    TestStep.Request requestStep;
    Expectation expect;
    Expectation shadowExpect;
    long times = 1;

    Sequence(List<String> ruleIds) {
      this.ruleIds = ruleIds;
    }

    void steps(List<TestStep> steps, long repeat, List<DataOverride> overrides, boolean top) {
      for (TestStep s : steps) {
        if (s instanceof TestStep.Request r) {
          close();
          requestStep = r;
          request = request(r);
          times = repeat;
          ok &= request != null;
        } else if (s instanceof TestStep.Data d) {
          if (!top) {
            diagnostics.add(Diagnostic.error("test.bad_steps", d.span(), "`data` inside `repeat`")
                .withHelp("data holds for the whole test: write it before the requests"));
            ok = false;
            continue;
          }
          DataOverride o = override(d);
          ok &= o != null;
          if (o != null) {
            overrides.add(o);
          }
        } else if (s instanceof TestStep.Wait w) {
          close();
          if (w.duration().isNegative() || w.duration().isZero()) {
            diagnostics.add(Diagnostic.error("test.bad_steps", w.span(), "`wait` moves the clock on by more than 0"));
            ok = false;
          }
          clock = clock.plus(w.duration());
        } else if (s instanceof TestStep.Repeat r) {
          close();
          if (r.times() < 1 || r.times() * Math.max(1, count(r.steps())) + sent > MAX_REQUESTS) {
            diagnostics.add(Diagnostic.error("test.bad_steps", r.timesSpan(), "`repeat " + r.times() + "` is out of range")
                .withHelp("a test sends from 1 to " + MAX_REQUESTS + " requests in all"));
            ok = false;
            continue;
          }
          if (r.steps().stream().anyMatch(x -> x instanceof TestStep.Wait)) {
            // A wait inside a repeat moves the clock each time round: unroll.
            for (long i = 0; i < r.times(); i++) {
              steps(r.steps(), 1, overrides, false);
              close();
            }
          } else {
            steps(r.steps(), repeat * r.times(), overrides, false);
            close();
          }
        } else if (s instanceof TestStep.ExpectAllow a) {
          expectation(a.span(), a.shadow(), allow(a));
        } else if (s instanceof TestStep.ExpectDeny d) {
          expectation(d.span(), d.shadow(), deny(d));
        }
      }
    }

    private long count(List<TestStep> steps) {
      return steps.stream().filter(x -> x instanceof TestStep.Request).count();
    }

    private void expectation(dev.warden.policy.diag.Span span, boolean shadow, Expectation e) {
      if (requestStep == null) {
        diagnostics.add(Diagnostic.error("test.bad_steps", span, "`expect` before any `request`")
            .withHelp("write the `request` first; each request is followed by what it should get"));
        ok = false;
        return;
      }
      if ((shadow ? shadowExpect : expect) != null) {
        diagnostics.add(Diagnostic.error("test.bad_steps", span,
            shadow ? "a request has one `expect shadow`" : "a request has one `expect`")
            .withHelp("to send the request again, write another `request` (or `repeat N { … }`)"));
        ok = false;
        return;
      }
      if (e == null) {
        ok = false;
      } else if (shadow) {
        shadowExpect = e;
      } else {
        expect = e;
      }
    }

    /** Ends the exchange being written, if any. */
    void close() {
      if (requestStep == null) {
        return;
      }
      if (expect == null) {
        if (ok) {
          diagnostics.add(Diagnostic.error("test.bad_steps", requestStep.span(), "this request needs an `expect`")
              .withHelp("follow each `request` with `expect allow` or `expect deny`"));
        }
        ok = false;
      } else if (request != null) {
        exchanges.add(new CheckedBundle.Exchange(request, expect, shadowExpect, times, clock));
        sent += times;
      }
      requestStep = null;
      request = null;
      expect = null;
      shadowExpect = null;
      times = 1;
    }

    private Expectation allow(TestStep.ExpectAllow a) {
      List<CheckedBundle.HeaderExpectation> headers = headers(a.headers(), true);
      return headers == null ? null : new Expectation(true, null, null, null, a.span(), headers);
    }

    private Expectation deny(TestStep.ExpectDeny d) {
      boolean good = true;
      if (d.rule() != null && !ruleIds.contains(d.rule())) {
        Diagnostic diag = Diagnostic.error("test.unknown_rule", d.span(), "no rule `" + d.rule() + "` in the bundle");
        diagnostics.add(EditDistance.closest(d.rule(), ruleIds).map(n -> diag.withHelp("did you mean `" + n + "`?"))
            .orElse(diag.withHelp("rule ids look like `orders.forbid#1`, `orders.<label>` or `role.admin#1`")));
        good = false;
      }
      if (d.status() != null && (d.status() < 400 || d.status() > 499)) {
        diagnostics.add(Diagnostic.error("test.bad_status", d.span(), "a deny has a 4xx status, found `" + d.status() + "`"));
        good = false;
      }
      List<CheckedBundle.HeaderExpectation> headers = headers(d.headers(), false);
      return headers == null || !good ? null
          : new Expectation(false, d.status(), d.rule(), d.reason(), d.span(), headers);
    }
  }

  /** The header checks of an `expect`, or null after a diagnostic. */
  private List<CheckedBundle.HeaderExpectation> headers(List<TestStep.HeaderCheck> checks, boolean allow) {
    List<CheckedBundle.HeaderExpectation> out = new ArrayList<>();
    boolean ok = true;
    for (TestStep.HeaderCheck c : checks) {
      if (!allow && !c.response()) {
        diagnostics.add(Diagnostic.error("test.bad_expectation", c.span(),
                "a denied request does not reach the upstream: it has no `header \"" + c.name() + "\"`")
            .withHelp("check the denial's own headers with `" + (c.present() ? "with" : "without") + " response header \""
                + c.name() + "\"`"));
        ok = false;
        continue;
      }
      String lower = dev.warden.policy.runtime.HttpTokens.headerName(c.name());
      if (lower == null || lower.startsWith(":")) {
        diagnostics.add(Diagnostic.error("test.bad_value", c.nameSpan(), "`" + c.name() + "` is not a header name")
            .withHelp("header names are ASCII letters, digits and `!#$%&'*+-.^_`|~`"));
        ok = false;
        continue;
      }
      if (!lower.equals(c.name())) {
        diagnostics.add(Diagnostic.error("test.bad_value", c.nameSpan(), "header name `" + c.name() + "` is not in lower case")
            .withHelp("write `" + lower + "`: Envoy hands header names over in lower case"));
        ok = false;
        continue;
      }
      out.add(new CheckedBundle.HeaderExpectation(c.present(), c.response(), c.name(), c.value()));
    }
    return ok ? out : null;
  }

  private TestRequest request(TestStep.Request r) {
    if (r.anonymous() && r.claims() != null) {
      diagnostics.add(Diagnostic.error("test.bad_steps", r.span(), "a request is either `as anonymous` or `as {claims}`"));
      return null;
    }
    Checked claims = r.claims() == null ? null : constant(r.claims(), "claims");
    Checked headers = r.headers() == null ? null : constant(r.headers(), "headers");
    if ((r.claims() != null && claims == null) || (r.headers() != null && headers == null)) {
      return null;
    }
    if (claims != null && !(claims.type() instanceof Type.RecordType)) {
      diagnostics.add(Diagnostic.error("test.bad_value", r.claims().span(), "claims are a record such as `{sub: \"alice\"}`"));
      return null;
    }
    if (headers != null && !(headers.type() instanceof Type.RecordType rt
        && rt.fields().values().stream().allMatch(v -> v == Type.STRING))) {
      diagnostics.add(Diagnostic.error("test.bad_value", r.headers().span(),
          "headers are a record of strings such as `{\"x-tenant\": \"acme\"}`"));
      return null;
    }
    if (headers != null) {
      for (String name : ((Type.RecordType) headers.type()).fields().keySet()) {
        if (dev.warden.policy.runtime.HttpTokens.headerName(name) == null) {
          diagnostics.add(Diagnostic.error("test.bad_value", r.headers().span(), "`" + name + "` is not a header name")
              .withHelp("header names are ASCII letters, digits and `!#$%&'*+-.^_`|~`"));
          return null;
        }
      }
    }
    Checked body = null;
    if (r.body() != null) {
      body = constant(r.body(), "body");
      if (body == null) {
        return null;
      }
      if (body.type() == Type.NOTHING) {
        diagnostics.add(Diagnostic.error("test.bad_value", r.body().span(), "a body is a record, a list or a string")
            .withHelp("`body {sku: \"a-1\", qty: 2}` is sent as JSON; `body \"text\"` as it is written"));
        return null;
      }
    }
    if (r.from() != null && dev.warden.policy.runtime.IpAddress.parse(r.from()) == null) {
      diagnostics.add(Diagnostic.error("test.bad_value", r.span(), "`" + r.from() + "` is not an IP address"));
      return null;
    }
    return new TestRequest(r.method(), r.target(), r.anonymous(), claims, r.peer(), r.at(), r.from(), headers, body);
  }

  private DataOverride override(TestStep.Data d) {
    DataDocument doc = data.get(d.name());
    if (doc == null) {
      Diagnostic diag = Diagnostic.error("test.unknown_data", d.nameSpan(), "no data document `" + d.name() + "`");
      diagnostics.add(EditDistance.closest(d.name(), data.keySet()).map(n -> diag.withHelp("did you mean `" + n + "`?"))
          .orElse(diag.withHelp("declare it with `data " + d.name() + ": map<string, …>` or add `data/" + d.name() + ".json`")));
      return null;
    }
    Checked key = d.key() == null ? null : constant(d.key(), "key");
    Checked value = constant(d.value(), "value");
    if (value == null || (d.key() != null && key == null)) {
      return null;
    }
    Type expected = doc.type();
    if (key != null) {
      if (key.type() != Type.STRING) {
        diagnostics.add(Diagnostic.error("test.bad_value", d.key().span(), "data keys are strings"));
        return null;
      }
      Optional<Type> element = elementType(doc.type());
      if (element.isEmpty()) {
        diagnostics.add(Diagnostic.error("test.bad_value", d.nameSpan(),
            "`data." + d.name() + "` is a `" + doc.type().display() + "` and has no keys to set"));
        return null;
      }
      expected = element.get();
    }
    if (!Type.assignable(value.type(), expected) && expected != Type.NOTHING) {
      diagnostics.add(Diagnostic.error("test.bad_value", d.value().span(),
          "value of type `" + value.type().display() + "` does not fit `" + expected.display() + "`"));
      return null;
    }
    return new DataOverride(doc.slot(), doc.name(), key, value);
  }

  private static Optional<Type> elementType(Type t) {
    if (t instanceof Type.MapType m) {
      return Optional.of(m.value());
    }
    if (t instanceof Type.RecordType r) {
      Optional<Type> j = Optional.of(Type.NOTHING);
      for (Type f : r.fields().values()) {
        j = j.flatMap(a -> a == Type.NOTHING ? Optional.of(f) : Type.join(a, f));
      }
      return j;
    }
    return Optional.empty();
  }

  private Checked constant(Expr e, String what) {
    if (!isLiteral(e)) {
      diagnostics.add(Diagnostic.error("test.bad_value", e.span(), "test " + what + " must be literal values")
          .withHelp("a test pins its inputs: write the value itself, such as `\"alice\"`"));
      return null;
    }
    Checked c = new ExprChecker(constants, diagnostics, fieldIds).check(e);
    if (c != null && !isConstant(c)) {
      diagnostics.add(Diagnostic.error("test.bad_value", e.span(), "test " + what + " must be literal values"));
      return null;
    }
    return c;
  }

  /** Whether an expression is written as a value: literals, lists, records and negated numbers. */
  private static boolean isLiteral(Expr e) {
    if (e instanceof Expr.Literal) {
      return true;
    } else if (e instanceof Expr.Unary u && u.op() == Expr.UnaryOp.NEGATE) {
      return isLiteral(u.operand());
    } else if (e instanceof Expr.ListLiteral l) {
      return l.items().stream().allMatch(TestChecker::isLiteral);
    } else if (e instanceof Expr.RecordLiteral r) {
      return r.fields().stream().allMatch(f -> isLiteral(f.value()));
    }
    return false;
  }

  private static boolean isConstant(Checked c) {
    if (c instanceof Checked.Const) {
      return true;
    }
    if (c instanceof Checked.ListOf l) {
      return l.items().stream().allMatch(TestChecker::isConstant);
    }
    if (c instanceof Checked.RecordOf r) {
      return r.values().stream().allMatch(TestChecker::isConstant);
    }
    return false;
  }
}
