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
 * Checks `test` blocks: one request, one expectation, data overrides that fit their documents,
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

  private CheckedTest test(Decl.Test t, List<String> ruleIds) {
    TestRequest request = null;
    Expectation expect = null;
    Expectation shadowExpect = null;
    List<DataOverride> overrides = new ArrayList<>();
    boolean ok = true;
    for (TestStep s : t.steps()) {
      if (s instanceof TestStep.Request r) {
        if (request != null) {
          diagnostics.add(Diagnostic.error("test.bad_steps", r.span(), "a test sends one request")
              .withHelp("write another `test` for the second request"));
          ok = false;
          continue;
        }
        request = request(r);
        ok &= request != null;
      } else if (s instanceof TestStep.Data d) {
        DataOverride o = override(d);
        ok &= o != null;
        if (o != null) {
          overrides.add(o);
        }
      } else if (s instanceof TestStep.ExpectAllow a) {
        if ((a.shadow() ? shadowExpect : expect) != null) {
          diagnostics.add(Diagnostic.error("test.bad_steps", a.span(),
              a.shadow() ? "a test has one `expect shadow`" : "a test has one `expect`"));
          ok = false;
        }
        List<CheckedBundle.HeaderExpectation> headers = headers(a.headers(), true);
        ok &= headers != null;
        Expectation e = new Expectation(true, null, null, null, a.span(), headers == null ? List.of() : headers);
        if (a.shadow()) {
          shadowExpect = e;
        } else {
          expect = e;
        }
      } else if (s instanceof TestStep.ExpectDeny d) {
        if ((d.shadow() ? shadowExpect : expect) != null) {
          diagnostics.add(Diagnostic.error("test.bad_steps", d.span(),
              d.shadow() ? "a test has one `expect shadow`" : "a test has one `expect`"));
          ok = false;
        }
        if (d.rule() != null && !ruleIds.contains(d.rule())) {
          Diagnostic diag = Diagnostic.error("test.unknown_rule", d.span(), "no rule `" + d.rule() + "` in the bundle");
          diagnostics.add(EditDistance.closest(d.rule(), ruleIds).map(n -> diag.withHelp("did you mean `" + n + "`?"))
              .orElse(diag.withHelp("rule ids look like `orders.forbid#1`, `orders.<label>` or `role.admin#1`")));
          ok = false;
        }
        if (d.status() != null && (d.status() < 400 || d.status() > 499)) {
          diagnostics.add(Diagnostic.error("test.bad_status", d.span(), "a deny has a 4xx status, found `" + d.status() + "`"));
          ok = false;
        }
        List<CheckedBundle.HeaderExpectation> headers = headers(d.headers(), false);
        ok &= headers != null;
        Expectation e = new Expectation(false, d.status(), d.rule(), d.reason(), d.span(),
            headers == null ? List.of() : headers);
        if (d.shadow()) {
          shadowExpect = e;
        } else {
          expect = e;
        }
      }
    }
    if (request == null || expect == null) {
      if (ok) {
        diagnostics.add(Diagnostic.error("test.bad_steps", t.span(),
            "test `" + t.name() + "` needs " + (request == null ? "a `request`" : "an `expect`"))
            .withHelp("a test is: `request GET /path as {…}`, optional `data` lines, and `expect allow` or `expect deny`"));
      }
      return null;
    }
    return ok ? new CheckedTest(t.name(), t.span(), request, overrides, expect, shadowExpect) : null;
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
