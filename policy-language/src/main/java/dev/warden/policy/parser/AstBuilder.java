package dev.warden.policy.parser;

import dev.warden.policy.ast.Decl;
import dev.warden.policy.ast.Expr;
import dev.warden.policy.ast.PathTemplate;
import dev.warden.policy.ast.PolicyFile;
import dev.warden.policy.ast.Target;
import dev.warden.policy.ast.TestStep;
import dev.warden.policy.ast.ShapeRef;
import dev.warden.policy.ast.TypeRef;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.EditDistance;
import dev.warden.policy.diag.SourceFile;
import dev.warden.policy.diag.Span;
import dev.warden.policy.parser.WardenParser.*;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.TerminalNode;

/**
 * Builds the AST from a parse tree, one method per construct. Runs only on files without syntax
 * errors. Expression depth is bounded: a long chain such as `a or b or …` parses iteratively but
 * would nest deeply in the AST, so it is cut off with a diagnostic.
 */
final class AstBuilder {
  private static final int MAX_EXPR_DEPTH = 200;

  private final SourceFile source;
  private final List<Diagnostic> diagnostics;
  private boolean tooDeepReported;

  AstBuilder(SourceFile source, List<Diagnostic> diagnostics) {
    this.source = source;
    this.diagnostics = diagnostics;
  }

  PolicyFile file(FileContext ctx) {
    String pkg = null;
    Span pkgSpan = source.span(0, 1);
    if (ctx.packageDecl() != null) {
      pkg = ctx.packageDecl().qualifiedName().getText();
      pkgSpan = span(ctx.packageDecl().qualifiedName());
    }
    List<Decl> decls = new ArrayList<>();
    for (DeclContext d : ctx.decl()) {
      decls.add(decl(d));
    }
    return new PolicyFile(source, pkg, pkgSpan, decls);
  }

  private Decl decl(DeclContext d) {
    if (d.principalDecl() != null) {
      return principal(d.principalDecl());
    }
    if (d.apiDecl() != null) {
      return api(d.apiDecl());
    }
    if (d.roleDecl() != null) {
      return role(d.roleDecl());
    }
    if (d.ruleDecl() != null) {
      return rule(d.ruleDecl());
    }
    if (d.dataDecl() != null) {
      DataDeclContext c = d.dataDecl();
      return new Decl.Data(span(c), c.name.getText(), span(c.name), type(c.type()));
    }
    if (d.testDecl() != null) {
      return test(d.testDecl());
    }
    if (d.obligationDecl() != null) {
      return onBlock(d.obligationDecl());
    }
    if (d.redactLogDecl() != null) {
      return redactLog(d.redactLogDecl());
    }
    if (d.schemaDecl() != null) {
      return schema(d.schemaDecl());
    }
    if (d.quotaDecl() != null) {
      return quota(d.quotaDecl());
    }
    ReservedDeclContext r = d.reservedDecl();
    return new Decl.Reserved(span(r.kw), r.kw.getText());
  }

  // ---- quotas ------------------------------------------------------------------------------

  private Decl.Quota quota(QuotaDeclContext c) {
    Expr key = null;
    List<ConditionContext> conditions = new ArrayList<>();
    List<Decl.QuotaClause> clauses = new ArrayList<>();
    for (QuotaClauseContext q : c.quotaClause()) {
      if (q instanceof QuotaKeyContext k) {
        if (key != null) {
          diagnostics.add(Diagnostic.error("parse.bad_quota", span(k), "a quota has one `by` key")
              .withHelp("to key by two things, join them: `by principal.tenant + \"/\" + principal.id`"));
        }
        key = expr(k.key, 0);
      } else if (q instanceof QuotaConditionContext cc) {
        conditions.add(cc.condition());
      } else if (q instanceof QuotaNumberContext n && n.item.getText().equals("cost")) {
        // `cost 5` parses as a number clause; its cost is the literal.
        clauses.add(new Decl.QuotaClause(span(n), "cost", span(n.item), null, null, null, null,
            new Expr.Literal(span(n.value), integer(n.value))));
      } else if (q instanceof QuotaNumberContext n) {
        clauses.add(new Decl.QuotaClause(span(n), n.item.getText(), span(n.item), integer(n.value), null, null, null,
            null));
      } else if (q instanceof QuotaModeContext m) {
        clauses.add(new Decl.QuotaClause(span(m), m.item.getText(), span(m.item), null, m.way.getText(), span(m.way),
            m.share == null ? null : m.share.getText(), null));
      } else {
        QuotaCostContext x = (QuotaCostContext) q;
        clauses.add(new Decl.QuotaClause(span(x), x.item.getText(), span(x.item), null, null, null, null,
            expr(x.cost, 0)));
      }
    }
    Token start = c.shadow != null ? c.shadow : c.QUOTA().getSymbol();
    return new Decl.Quota(span(start), c.shadow != null, c.name.getText(), span(c.name), targets(c.targets()),
        integer(c.amount), span(c.amount), c.per.getText(), span(c.per), duration(c.period), span(c.period), key,
        conditions(conditions), clauses);
  }

  // ---- schemas ------------------------------------------------------------------------------

  private static final List<String> SCHEMA_ITEMS = List.of("body", "query", "headers", "limits", "additional");

  private Decl.Schema schema(SchemaDeclContext c) {
    List<Decl.SchemaItem> items = new ArrayList<>();
    for (SchemaItemContext i : c.schemaItem()) {
      Decl.SchemaItem item = schemaItem(i);
      if (item != null) {
        items.add(item);
      }
    }
    return new Decl.Schema(span(c.SCHEMA().getSymbol()), targets(c.targets()), items);
  }

  /** The item, or null after reporting a word that is not one, or an item in the wrong form. */
  private Decl.SchemaItem schemaItem(SchemaItemContext i) {
    if (i instanceof SchemaHeadersContext h) {
      return new Decl.SchemaItem(span(h), "headers", span(h.HEADERS().getSymbol()), null, null, shape(h.shape()),
          null, null, null);
    }
    Token word;
    if (i instanceof SchemaFileContext f) {
      word = f.item;
    } else if (i instanceof SchemaLimitsContext l) {
      word = l.item;
    } else if (i instanceof SchemaAllowContext a) {
      word = a.item;
    } else if (i instanceof SchemaFormattedContext f) {
      word = f.item;
    } else {
      word = ((SchemaShapeContext) i).item;
    }
    String name = word.getText();
    if (!SCHEMA_ITEMS.contains(name)) {
      Diagnostic d = Diagnostic.error("parse.unknown_schema_item", span(word),
          "`" + name + "` is not an item of a schema");
      diagnostics.add(EditDistance.closest(name, SCHEMA_ITEMS)
          .map(s -> d.withHelp("did you mean `" + s + "`?"))
          .orElse(d.withHelp("a schema holds `body`, `query`, `headers`, `limits` and `additional allow`")));
      return null;
    }
    String form = switch (name) {
      case "body" -> i instanceof SchemaShapeContext || i instanceof SchemaFormattedContext
          || i instanceof SchemaFileContext ? null : "`body { … }`, `body form { … }` or `body json \"schemas/x.json\"`";
      case "query" -> i instanceof SchemaShapeContext ? null : "`query { name: type, … }`";
      case "limits" -> i instanceof SchemaLimitsContext ? null : "`limits { body 64KiB, depth 16, items 1000, string 10000 }`";
      case "additional" -> i instanceof SchemaAllowContext ? null : "`additional allow`";
      default -> "`headers { \"name\": type, … }`";
    };
    if (form != null) {
      diagnostics.add(Diagnostic.error("parse.bad_schema_item", span(i), "`" + name + "` is written " + form));
      return null;
    }
    if (i instanceof SchemaLimitsContext l) {
      List<Decl.Limit> limits = new ArrayList<>();
      for (LimitContext lc : l.limit()) {
        limits.add(new Decl.Limit(span(lc), lc.name.getText(), integer(lc.value),
            lc.unit == null ? null : lc.unit.getText()));
      }
      return new Decl.SchemaItem(span(l), name, span(word), null, null, null, null, null, limits);
    }
    if (i instanceof SchemaAllowContext a) {
      return new Decl.SchemaItem(span(a), name, span(word), null, null, null, null, null, null);
    }
    if (i instanceof SchemaFileContext f) {
      return new Decl.SchemaItem(span(f), name, span(word), f.format.getText(), span(f.format), null,
          string(f.path), span(f.path), null);
    }
    if (i instanceof SchemaFormattedContext f) {
      return new Decl.SchemaItem(span(f), name, span(word), f.format.getText(), span(f.format), shape(f.shape()),
          null, null, null);
    }
    SchemaShapeContext s = (SchemaShapeContext) i;
    return new Decl.SchemaItem(span(s), name, span(word), null, null, shape(s.shape()), null, null, null);
  }

  private ShapeRef shape(ShapeContext c) {
    if (c instanceof OptionalShapeContext o) {
      return new ShapeRef.Optional(span(o), shape(o.shape()));
    }
    if (c instanceof EnumShapeContext e) {
      List<String> values = new ArrayList<>();
      for (TerminalNode t : e.STRING()) {
        values.add(string(t.getSymbol()));
      }
      return new ShapeRef.Enum(span(e), values);
    }
    if (c instanceof RecordShapeContext r) {
      List<ShapeRef.Field> fields = new ArrayList<>();
      for (ShapeFieldContext f : r.shapeField()) {
        String name = f.word() != null ? f.word().getText() : string(f.STRING().getSymbol());
        fields.add(new ShapeRef.Field(span(f), name, f.QUESTION() != null, shape(f.shape())));
      }
      return new ShapeRef.Record(span(r), fields);
    }
    NamedShapeContext n = (NamedShapeContext) c;
    List<ShapeRef> args = new ArrayList<>();
    for (ShapeContext a : n.shape()) {
      args.add(shape(a));
    }
    ShapeRef.Bounds bounds = null;
    if (n.bounds() != null) {
      BoundsContext b = n.bounds();
      bounds = new ShapeRef.Bounds(span(b), bound(b.lo), bound(b.hi));
    }
    return new ShapeRef.Named(span(n.name), n.name.getText(), args, bounds,
        n.pattern == null ? null : string(n.pattern), n.pattern == null ? null : span(n.pattern));
  }

  private static BigDecimal bound(BoundContext b) {
    if (b == null) {
      return null;
    }
    BigDecimal v = new BigDecimal(b.INT() != null ? b.INT().getText() : b.DECIMAL().getText());
    return b.MINUS() != null ? v.negate() : v;
  }

  private Decl.Principal principal(PrincipalDeclContext c) {
    List<Decl.PrincipalField> fields = new ArrayList<>();
    for (PrincipalFieldContext f : c.principalField()) {
      fields.add(
          new Decl.PrincipalField(
              span(f.name), f.name.getText(), f.type() == null ? null : type(f.type()), expr(f.source, 0)));
    }
    return new Decl.Principal(span(c.PRINCIPAL().getSymbol()), fields);
  }

  private Decl.Api api(ApiDeclContext c) {
    List<Decl.Route> routes = new ArrayList<>();
    for (RouteDeclContext r : c.routeDecl()) {
      LocalDate since = null;
      LocalDate retired = null;
      for (LifecycleContext l : r.lifecycle()) {
        if (l instanceof SinceClauseContext s) {
          since = date(s.DATE().getSymbol());
        } else if (l instanceof RetiredClauseContext rc) {
          retired = date(rc.DATE().getSymbol());
        }
      }
      Token path = r.path;
      routes.add(
          new Decl.Route(
              span(r),
              r.name.getText(),
              span(r.name),
              r.method.getText(),
              PathTemplates.parse(path.getText(), source, path.getStartIndex(), false, diagnostics::add),
              span(path),
              since,
              retired));
    }
    return new Decl.Api(
        span(c.API().getSymbol()),
        string(c.title),
        c.owner == null ? null : string(c.owner),
        routes);
  }

  private Decl.Role role(RoleDeclContext c) {
    List<Decl.NameRef> parents = new ArrayList<>();
    for (Token p : c.parents) {
      parents.add(new Decl.NameRef(span(p), p.getText()));
    }
    List<Decl.Grant> grants = new ArrayList<>();
    for (GrantContext g : c.grant()) {
      grants.add(new Decl.Grant(span(g.ALLOW().getSymbol()), targets(g.targets()), conditions(g.condition())));
    }
    return new Decl.Role(span(c.ROLE().getSymbol()), c.name.getText(), span(c.name), parents, grants);
  }

  private Decl.Rule rule(RuleDeclContext c) {
    return new Decl.Rule(
        span(c.shadow != null ? c.shadow : c.effect),
        c.shadow != null,
        c.effect.getType() == WardenLexer.PERMIT ? Decl.Effect.PERMIT : Decl.Effect.FORBID,
        c.label == null ? null : string(c.label),
        targets(c.targets()),
        conditions(c.condition()),
        c.reason == null ? null : string(c.reason));
  }

  // ---- decision-log redaction -----------------------------------------------------------

  private Decl.RedactLog redactLog(RedactLogDeclContext c) {
    List<Decl.RedactEntry> entries = new ArrayList<>();
    for (RedactEntryContext e : c.redactEntry()) {
      List<Decl.NameRef> path = new ArrayList<>();
      path.add(new Decl.NameRef(span(e.root), e.root.getText()));
      for (RedactStepContext step : e.redactStep()) {
        if (step instanceof RedactKeyContext k) {
          path.add(new Decl.NameRef(span(k.STRING().getSymbol()), string(k.STRING().getSymbol())));
        } else {
          RedactNameContext n = ((RedactFieldContext) step).redactName();
          String written = source.text().substring(n.getStart().getStartIndex(), n.getStop().getStopIndex() + 1);
          String joined = n.children.stream().map(org.antlr.v4.runtime.tree.ParseTree::getText)
              .reduce("", String::concat);
          if (!written.equals(joined)) {
            diagnostics.add(Diagnostic.error("parse.unexpected_token", span(n), "unexpected blank in the name `"
                    + written.replaceAll("\\s+", " ") + "`")
                .withHelp("write the name without blanks, such as `" + joined + "`, or quote it: `[\"" + joined
                    + "\"]`"));
          }
          path.add(new Decl.NameRef(span(n), joined));
        }
      }
      entries.add(new Decl.RedactEntry(span(e), path, e.action == null ? null : e.action.getText(),
          e.action == null ? null : span(e.action)));
    }
    return new Decl.RedactLog(span(c.REDACT().getSymbol()), entries);
  }

  // ---- obligations ----------------------------------------------------------------------

  private Decl.OnBlock onBlock(ObligationDeclContext c) {
    List<Target> targets = c.targets() == null ? List.of() : targets(c.targets());
    List<Decl.HeaderAction> actions = new ArrayList<>();
    for (ObligationContext o : c.obligation()) {
      Decl.HeaderAction a = headerAction(o);
      if (a != null) {
        actions.add(a);
      }
    }
    return new Decl.OnBlock(span(c.ON().getSymbol()), c.outcome.getType() == WardenLexer.ALLOW, targets, actions);
  }

  private static final List<String> VERBS = List.of("set", "append", "remove");

  /** `set header "…" = e` and the like, or null after a diagnostic. */
  private Decl.HeaderAction headerAction(ObligationContext o) {
    String verb = o.verb.getText();
    if (!VERBS.contains(verb)) {
      Diagnostic d = Diagnostic.error("parse.bad_obligation", span(o.verb), "`" + verb + "` is not an obligation");
      diagnostics.add(EditDistance.closest(verb, VERBS).map(v -> d.withHelp("did you mean `" + v + "`?"))
          .orElse(d.withHelp("write `set header \"…\" = …`, `append header \"…\" = …` or `remove header \"…\"`")));
      return null;
    }
    Boolean response = headerWords(o.words, "after `" + verb + "`", "parse.bad_obligation");
    if (response == null) {
      return null;
    }
    Decl.HeaderOp op = Decl.HeaderOp.valueOf(verb.toUpperCase(java.util.Locale.ROOT));
    String name = string(o.name);
    String what = verb + (response ? " response header" : " header");
    if (op == Decl.HeaderOp.REMOVE && o.value != null) {
      diagnostics.add(Diagnostic.error("parse.bad_obligation", span(o.ASSIGN().getSymbol()), "`" + what + "` takes no value")
          .withHelp("write `" + what + " \"" + name + "\"`"));
      return null;
    }
    if (op != Decl.HeaderOp.REMOVE && o.value == null) {
      diagnostics.add(Diagnostic.error("parse.bad_obligation", span(o.name), "`" + what + "` needs a value")
          .withHelp("write `" + what + " \"" + name + "\" = …`, such as `= principal.id`"));
      return null;
    }
    return new Decl.HeaderAction(span(o), op, response, name, span(o.name), o.value == null ? null : expr(o.value, 0));
  }

  /**
   * Whether the words name a response header (`response header`) rather than a request header
   * (`header`); null after a diagnostic.
   */
  private Boolean headerWords(List<Token> words, String where, String code) {
    String text = String.join(" ", words.stream().map(Token::getText).toList());
    if (text.equals("header")) {
      return false;
    }
    if (text.equals("response header")) {
      return true;
    }
    Token first = words.get(0);
    Diagnostic d = Diagnostic.error(code, span(first), "expected `header` or `response header` " + where + ", found `"
        + text + "`");
    diagnostics.add(EditDistance.closest(text, List.of("header", "response header"))
        .map(w -> d.withHelp("did you mean `" + w + "`?"))
        .orElse(d.withHelp("`header` is a header of the request the upstream receives, `response header` one of the"
            + " response the client receives")));
    return null;
  }

  private static final List<String> CHECKS = List.of("with", "without", "and");

  /** `with header "…" = "…"` and the like in an `expect`; `and` repeats the previous mode. */
  private List<TestStep.HeaderCheck> headerChecks(List<HeaderExpectContext> cs) {
    List<TestStep.HeaderCheck> out = new ArrayList<>();
    boolean present = true;
    for (int i = 0; i < cs.size(); i++) {
      HeaderExpectContext c = cs.get(i);
      String mode = c.kind.getText();
      if (!CHECKS.contains(mode) || (mode.equals("and") && i == 0)) {
        Diagnostic d = Diagnostic.error("parse.bad_expectation", span(c.kind), "expected `with` or `without`, found `"
            + mode + "`");
        diagnostics.add(EditDistance.closest(mode, List.of("with", "without"))
            .map(w -> d.withHelp("did you mean `" + w + "`?"))
            .orElse(d.withHelp("write `expect allow with header \"x-user-id\" = \"alice\"`")));
        continue;
      }
      if (!mode.equals("and")) {
        present = mode.equals("with");
      }
      Boolean response = headerWords(c.words, "after `" + mode + "`", "parse.bad_expectation");
      if (response == null) {
        continue;
      }
      String name = string(c.name);
      if (!present && c.value != null) {
        diagnostics.add(Diagnostic.error("parse.bad_expectation", span(c.value), "`without` takes no value")
            .withHelp("write `without header \"" + name + "\"`: no such header, whatever its value"));
        continue;
      }
      out.add(new TestStep.HeaderCheck(span(c.kind), present, response, name, span(c.name),
          c.value == null ? null : string(c.value)));
    }
    return out;
  }

  private List<Decl.Condition> conditions(List<ConditionContext> cs) {
    List<Decl.Condition> out = new ArrayList<>();
    for (ConditionContext c : cs) {
      if (c instanceof WhenConditionContext w) {
        out.add(new Decl.Condition(span(w), false, expr(w.expr(), 0), text(w.expr())));
      } else if (c instanceof UnlessConditionContext u) {
        out.add(new Decl.Condition(span(u), true, expr(u.expr(), 0), text(u.expr())));
      }
    }
    return out;
  }

  private List<Target> targets(TargetsContext c) {
    List<Target> out = new ArrayList<>();
    for (TargetContext t : c.target()) {
      if (t instanceof AnyTargetContext a) {
        out.add(new Target.All(span(a)));
      } else if (t instanceof NamedTargetContext n) {
        out.add(new Target.Named(span(n), n.qualifiedName().getText(), n.STAR() != null));
      } else if (t instanceof PathTargetContext p) {
        Token path = p.PATH().getSymbol();
        PathTemplate template =
            PathTemplates.parse(path.getText(), source, path.getStartIndex(), true, diagnostics::add);
        out.add(new Target.Path(span(p), p.httpMethod() == null ? null : p.httpMethod().getText(), template));
      }
    }
    return out;
  }

  private TypeRef type(TypeContext c) {
    if (c instanceof OptionalTypeContext o) {
      return new TypeRef.Optional(span(o), type(o.type()));
    }
    if (c instanceof RecordTypeContext r) {
      List<TypeRef.Field> fields = new ArrayList<>();
      for (FieldTypeContext f : r.fieldType()) {
        String name = f.word() != null ? f.word().getText() : string(f.STRING().getSymbol());
        fields.add(new TypeRef.Field(span(f), name, f.QUESTION() != null, type(f.type())));
      }
      return new TypeRef.Record(span(r), fields);
    }
    NamedTypeContext n = (NamedTypeContext) c;
    List<TypeRef> args = new ArrayList<>();
    for (TypeContext a : n.type()) {
      args.add(type(a));
    }
    return new TypeRef.Named(span(n.name), n.name.getText(), args);
  }

  private Decl.Test test(TestDeclContext c) {
    List<TestStep> steps = new ArrayList<>();
    for (TestStepContext s : c.testStep()) {
      steps.add(testStep(s));
    }
    return new Decl.Test(span(c.TEST().getSymbol()), string(c.name), steps);
  }

  private TestStep testStep(TestStepContext s) {
    if (s instanceof RequestStepContext r) {
      boolean anonymous = false;
      Expr claims = null;
      Expr headers = null;
      Expr body = null;
      String peer = null;
      String from = null;
      Instant at = null;
      for (RequestOptionContext o : r.requestOption()) {
        if (o instanceof AsAnonymousContext) {
          anonymous = true;
        } else if (o instanceof AsClaimsContext a) {
          claims = expr(a.expr(), 0);
        } else if (o instanceof PeerOptionContext p) {
          peer = string(p.STRING().getSymbol());
        } else if (o instanceof AtOptionContext a) {
          at = instant(a.DATE().getSymbol());
        } else if (o instanceof FromOptionContext f) {
          from = string(f.STRING().getSymbol());
        } else if (o instanceof HeadersOptionContext h) {
          headers = expr(h.expr(), 0);
        } else if (o instanceof BodyOptionContext b) {
          if (!b.option.getText().equals("body")) {
            diagnostics.add(Diagnostic.error("parse.unknown_request_option", span(b.option),
                "`" + b.option.getText() + "` is not an option of `request`")
                .withHelp("a request takes `as`, `peer`, `at`, `from`, `headers` and `body`"));
          } else {
            body = expr(b.expr(), 0);
          }
        }
      }
      return new TestStep.Request(
          span(r.REQUEST().getSymbol()), r.httpMethod().getText(), r.PATH().getText(), anonymous, claims,
          peer, at, from, headers, body);
    }
    if (s instanceof DataStepContext d) {
      return new TestStep.Data(
          span(d.DATA().getSymbol()), d.name.getText(), span(d.name),
          d.key == null ? null : expr(d.key, 0), expr(d.value, 0));
    }
    if (s instanceof RepeatStepContext r) {
      if (!r.step.getText().equals("repeat")) {
        diagnostics.add(Diagnostic.error("parse.unknown_test_step", span(r.step), "`" + r.step.getText()
            + "` is not a step of a test").withHelp("a block of steps in a test is `repeat N { … }`"));
      }
      List<TestStep> steps = new ArrayList<>();
      for (TestStepContext inner : r.testStep()) {
        steps.add(testStep(inner));
      }
      return new TestStep.Repeat(span(r.step), integer(r.INT().getSymbol()), span(r.INT().getSymbol()), steps);
    }
    if (s instanceof WaitStepContext w) {
      if (!w.step.getText().equals("wait")) {
        diagnostics.add(Diagnostic.error("parse.unknown_test_step", span(w.step), "`" + w.step.getText()
            + "` is not a step of a test").withHelp("to move the test's clock on, write `wait 30s`"));
      }
      return new TestStep.Wait(span(w.step), duration(w.DURATION().getSymbol()));
    }
    if (s instanceof ExpectAllowContext a) {
      return new TestStep.ExpectAllow(expectSpan(a, a.headerExpect()), shadowWord(a.shadow, "allow"),
          headerChecks(a.headerExpect()));
    }
    ExpectDenyContext d = (ExpectDenyContext) s;
    Integer status = null;
    if (d.INT() != null) {
      status = (int) Math.min(Integer.MAX_VALUE, integer(d.INT().getSymbol()));
    }
    String rule = null;
    if (d.ruleRef() != null) {
      RuleRefContext ref = d.ruleRef();
      rule = ref.STRING() != null ? string(ref.STRING().getSymbol()) : ref.getText();
    }
    String reason = d.STRING() == null ? null : string(d.STRING().getSymbol());
    return new TestStep.ExpectDeny(expectSpan(d, d.headerExpect()), shadowWord(d.shadow, "deny"), status, rule,
        reason, headerChecks(d.headerExpect()));
  }

  /**
   * Whether `expect` is followed by `shadow` (the would-be decision); any other word between
   * `expect` and `allow`/`deny` is a diagnostic.
   */
  private boolean shadowWord(Token word, String answer) {
    if (word == null) {
      return false;
    }
    if (!word.getText().equals("shadow")) {
      Diagnostic d = Diagnostic.error("parse.unexpected_token", span(word),
          "unexpected `" + word.getText() + "` between `expect` and `" + answer + "`");
      diagnostics.add(EditDistance.closest(word.getText(), List.of("shadow"))
          .map(w -> d.withHelp("did you mean `" + w + "`?"))
          .orElse(d.withHelp("write `expect " + answer + " …`, or `expect shadow " + answer
              + " …` for the decision with the bundle's shadow rules enforced")));
    }
    return true;
  }

  // ---- expressions ----------------------------------------------------------------------

  private Expr expr(ExprContext c, int depth) {
    if (depth > MAX_EXPR_DEPTH) {
      if (!tooDeepReported) {
        tooDeepReported = true;
        diagnostics.add(
            Diagnostic.error("parse.too_deep", span(c), "expression nests deeper than " + MAX_EXPR_DEPTH + " levels")
                .withHelp("split the expression into several rules"));
      }
      return new Expr.Literal(span(c), Boolean.FALSE);
    }
    int d = depth + 1;
    Span sp = span(c);
    if (c instanceof PrimaryExprContext p) {
      return primary(p.primary(), d);
    }
    if (c instanceof MethodExprContext m) {
      return new Expr.MethodCall(sp, expr(m.expr(), d), m.word().getText(), span(m.word()), args(m.arguments(), d));
    }
    if (c instanceof MemberExprContext m) {
      return new Expr.Member(sp, expr(m.expr(), d), m.word().getText(), span(m.word()));
    }
    if (c instanceof IndexExprContext i) {
      return new Expr.Index(sp, expr(i.expr(0), d), expr(i.expr(1), d));
    }
    if (c instanceof NegateExprContext n) {
      return new Expr.Unary(sp, Expr.UnaryOp.NEGATE, expr(n.expr(), d));
    }
    if (c instanceof NotExprContext n) {
      return new Expr.Unary(sp, Expr.UnaryOp.NOT, expr(n.expr(), d));
    }
    if (c instanceof DefaultExprContext q) {
      return new Expr.Binary(sp, Expr.BinaryOp.DEFAULT, expr(q.expr(0), d), expr(q.expr(1), d));
    }
    if (c instanceof AdditiveExprContext a) {
      Expr.BinaryOp op = a.op.getType() == WardenLexer.PLUS ? Expr.BinaryOp.PLUS : Expr.BinaryOp.MINUS;
      return new Expr.Binary(sp, op, expr(a.expr(0), d), expr(a.expr(1), d));
    }
    if (c instanceof CompareExprContext cmp) {
      Expr.BinaryOp op =
          switch (cmp.op.getType()) {
            case WardenLexer.EQ -> Expr.BinaryOp.EQ;
            case WardenLexer.NE -> Expr.BinaryOp.NE;
            case WardenLexer.LT -> Expr.BinaryOp.LT;
            case WardenLexer.LE -> Expr.BinaryOp.LE;
            case WardenLexer.GT -> Expr.BinaryOp.GT;
            case WardenLexer.GE -> Expr.BinaryOp.GE;
            default -> {
              diagnostics.add(
                  Diagnostic.error("parse.assign_in_expression", span(cmp.op), "`=` is not a comparison")
                      .withHelp("write `==` to compare two values"));
              yield Expr.BinaryOp.EQ;
            }
          };
      return new Expr.Binary(sp, op, expr(cmp.expr(0), d), expr(cmp.expr(1), d));
    }
    if (c instanceof InExprContext in) {
      Expr.BinaryOp op = in.NOT() != null ? Expr.BinaryOp.NOT_IN : Expr.BinaryOp.IN;
      return new Expr.Binary(sp, op, expr(in.expr(0), d), expr(in.expr(1), d));
    }
    if (c instanceof IsExprContext is) {
      return new Expr.Is(sp, expr(is.expr(), d), is.IDENT().getText(), span(is.IDENT().getSymbol()));
    }
    if (c instanceof MatchesExprContext m) {
      Token pattern = m.STRING().getSymbol();
      return new Expr.Matches(sp, expr(m.expr(), d), string(pattern), span(pattern));
    }
    if (c instanceof HasExprContext h) {
      return new Expr.Has(sp, expr(h.expr(), d));
    }
    if (c instanceof AndExprContext a) {
      return new Expr.Binary(sp, Expr.BinaryOp.AND, expr(a.expr(0), d), expr(a.expr(1), d));
    }
    if (c instanceof OrExprContext o) {
      return new Expr.Binary(sp, Expr.BinaryOp.OR, expr(o.expr(0), d), expr(o.expr(1), d));
    }
    QuantifierExprContext q = (QuantifierExprContext) c;
    return new Expr.Quantifier(
        sp, q.quantifier.getType() == WardenLexer.ALL, q.IDENT().getText(), span(q.IDENT().getSymbol()),
        expr(q.expr(0), d), expr(q.expr(1), d));
  }

  private Expr primary(PrimaryContext c, int d) {
    Span sp = span(c);
    if (c instanceof StringLiteralContext s) {
      return new Expr.Literal(sp, string(s.STRING().getSymbol()));
    }
    if (c instanceof IntLiteralContext i) {
      return new Expr.Literal(sp, integer(i.INT().getSymbol()));
    }
    if (c instanceof DecimalLiteralContext dl) {
      return new Expr.Literal(sp, new BigDecimal(dl.DECIMAL().getText()));
    }
    if (c instanceof DurationLiteralContext du) {
      return new Expr.Literal(sp, duration(du.DURATION().getSymbol()));
    }
    if (c instanceof TimeLiteralContext t) {
      return new Expr.Literal(sp, instant(t.DATE().getSymbol()));
    }
    if (c instanceof BoolLiteralContext b) {
      return new Expr.Literal(sp, b.TRUE() != null);
    }
    if (c instanceof CallExprContext call) {
      return new Expr.Call(sp, call.IDENT().getText(), span(call.IDENT().getSymbol()), args(call.arguments(), d));
    }
    if (c instanceof NameExprContext n) {
      return new Expr.Name(sp, n.name.getText());
    }
    if (c instanceof ParenExprContext p) {
      return expr(p.expr(), d);
    }
    if (c instanceof ListLiteralContext l) {
      List<Expr> items = new ArrayList<>();
      for (ExprContext e : l.expr()) {
        items.add(expr(e, d));
      }
      return new Expr.ListLiteral(sp, items);
    }
    RecordLiteralContext r = (RecordLiteralContext) c;
    List<Expr.FieldInit> fields = new ArrayList<>();
    for (FieldInitContext f : r.fieldInit()) {
      String name = f.word() != null ? f.word().getText() : string(f.STRING().getSymbol());
      fields.add(new Expr.FieldInit(span(f), name, expr(f.expr(), d)));
    }
    return new Expr.RecordLiteral(sp, fields);
  }

  private List<Expr> args(ArgumentsContext c, int d) {
    List<Expr> out = new ArrayList<>();
    if (c != null) {
      for (ExprContext e : c.expr()) {
        out.add(expr(e, d));
      }
    }
    return out;
  }

  // ---- literals ------------------------------------------------------------------------

  private String string(Token t) {
    String raw = t.getText();
    String body = raw.substring(1, raw.length() - 1);
    if (body.indexOf('\\') < 0) {
      return body;
    }
    StringBuilder b = new StringBuilder(body.length());
    for (int i = 0; i < body.length(); i++) {
      char ch = body.charAt(i);
      if (ch != '\\') {
        b.append(ch);
        continue;
      }
      char e = body.charAt(++i);
      switch (e) {
        case 'n' -> b.append('\n');
        case 't' -> b.append('\t');
        case 'r' -> b.append('\r');
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'u' -> {
          b.append((char) Integer.parseInt(body.substring(i + 1, i + 5), 16));
          i += 4;
        }
        default -> b.append(e);
      }
    }
    return b.toString();
  }

  private long integer(Token t) {
    try {
      return Long.parseLong(t.getText());
    } catch (NumberFormatException e) {
      diagnostics.add(
          Diagnostic.error("parse.bad_number", span(t), "number `" + t.getText() + "` is too large")
              .withHelp("integers range from " + Long.MIN_VALUE + " to " + Long.MAX_VALUE));
      return 0;
    }
  }

  private Duration duration(Token t) {
    String text = t.getText();
    Duration total = Duration.ZERO;
    int i = 0;
    try {
      while (i < text.length()) {
        int start = i;
        while (Character.isDigit(text.charAt(i))) {
          i++;
        }
        long n = Long.parseLong(text.substring(start, i));
        if (text.startsWith("ms", i)) {
          total = total.plusMillis(n);
          i += 2;
        } else {
          char unit = text.charAt(i++);
          total = switch (unit) {
            case 's' -> total.plusSeconds(n);
            case 'm' -> total.plusMinutes(n);
            case 'h' -> total.plusHours(n);
            default -> total.plusDays(n);
          };
        }
      }
      return total;
    } catch (ArithmeticException | NumberFormatException e) {
      diagnostics.add(Diagnostic.error("parse.bad_duration", span(t), "duration `" + text + "` is too large"));
      return Duration.ZERO;
    }
  }

  private LocalDate date(Token t) {
    String text = t.getText();
    try {
      if (text.length() > 10) {
        diagnostics.add(
            Diagnostic.error("parse.bad_date", span(t), "expected a date without a time, found `" + text + "`")
                .withHelp("lifecycle dates are days, such as `2026-06-30`"));
        return LocalDate.parse(text.substring(0, 10));
      }
      return LocalDate.parse(text);
    } catch (DateTimeParseException e) {
      diagnostics.add(Diagnostic.error("parse.bad_date", span(t), "`" + text + "` is not a valid date"));
      return LocalDate.EPOCH;
    }
  }

  private Instant instant(Token t) {
    String text = t.getText();
    try {
      if (text.length() == 10) {
        return LocalDate.parse(text).atStartOfDay().toInstant(ZoneOffset.UTC);
      }
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      diagnostics.add(
          Diagnostic.error("parse.bad_date", span(t), "`" + text + "` is not a valid date or time")
              .withHelp("write `2026-06-30` or `2026-06-30T12:00:00Z`"));
      return Instant.EPOCH;
    }
  }

  // ---- spans ---------------------------------------------------------------------------

  private Span span(Token t) {
    return SyntaxErrors.spanOf(source, t);
  }

  /** An `expect` without its header checks: `expect deny 403 by orders.forbid#1`. */
  private Span expectSpan(ParserRuleContext c, List<HeaderExpectContext> checks) {
    if (checks.isEmpty()) {
      return span(c);
    }
    int at = c.children.indexOf(checks.get(0));
    org.antlr.v4.runtime.tree.ParseTree before = c.children.get(Math.max(0, at - 1));
    Token last = before instanceof TerminalNode t ? t.getSymbol() : ((ParserRuleContext) before).getStop();
    Span first = span(c.getStart());
    Span end = span(last);
    return end.line() == first.line()
        ? new Span(first.file(), first.line(), first.column(), end.column() + end.length() - first.column()) : first;
  }

  private Span span(TerminalNode n) {
    return span(n.getSymbol());
  }

  /** A span from the start of a construct to the end of its first line. */
  private Span span(ParserRuleContext c) {
    Token start = c.getStart();
    Token stop = c.getStop() == null ? start : c.getStop();
    int end = Math.max(start.getStartIndex(), stop.getStopIndex());
    Span first = source.span(start.getStartIndex(), end - start.getStartIndex() + 1);
    String line = source.line(first.line());
    int maxLength = Math.max(1, line.length() - first.column() + 1);
    return new Span(first.file(), first.line(), first.column(), Math.min(first.length(), maxLength));
  }

  private String text(ParserRuleContext c) {
    Token start = c.getStart();
    Token stop = c.getStop() == null ? start : c.getStop();
    String raw = source.text().substring(start.getStartIndex(), Math.max(start.getStartIndex(), stop.getStopIndex() + 1));
    return raw.replaceAll("\\s+", " ");
  }

}
