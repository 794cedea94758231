package dev.warden.policy.ast;

import dev.warden.policy.diag.Span;
import java.time.LocalDate;
import java.util.List;

/** A top-level declaration of a policy file. */
public sealed interface Decl {
  Span span();

  /** `principal { id = jwt.sub … }`: how the caller's principal is formed from identity. */
  record Principal(Span span, List<PrincipalField> fields) implements Decl {
    public Principal {
      fields = List.copyOf(fields);
    }
  }

  /** One principal field; {@code type} is null when the author left it to the default. */
  record PrincipalField(Span span, String name, TypeRef type, Expr source) {}

  /** `api "Orders" owner "team" { route … }`: a block of the API registry. */
  record Api(Span span, String title, String owner, List<Route> routes) implements Decl {
    public Api {
      routes = List.copyOf(routes);
    }
  }

  /** A declared route; {@code since} and {@code retired} are null when absent. */
  record Route(
      Span span,
      String name,
      Span nameSpan,
      String method,
      PathTemplate path,
      Span pathSpan,
      LocalDate since,
      LocalDate retired) {}

  /** `role admin extends support { allow * }`. */
  record Role(Span span, String name, Span nameSpan, List<NameRef> parents, List<Grant> grants)
      implements Decl {
    public Role {
      parents = List.copyOf(parents);
      grants = List.copyOf(grants);
    }
  }

  /** `allow read, list when …` inside a role. */
  record Grant(Span span, List<Target> targets, List<Condition> conditions) {
    public Grant {
      targets = List.copyOf(targets);
      conditions = List.copyOf(conditions);
    }
  }

  /**
   * A `permit` or `forbid` rule; a `shadow` one is tried beside the others and never enforced.
   * {@code label} and {@code reason} may be null.
   */
  record Rule(
      Span span,
      boolean shadow,
      Effect effect,
      String label,
      List<Target> targets,
      List<Condition> conditions,
      String reason)
      implements Decl {
    public Rule {
      targets = List.copyOf(targets);
      conditions = List.copyOf(conditions);
    }

    /** An enforced rule. */
    public Rule(Span span, Effect effect, String label, List<Target> targets, List<Condition> conditions,
        String reason) {
      this(span, false, effect, label, targets, conditions, reason);
    }
  }

  /** `data orders: map<string, {owner: string}>`: the declared shape of a data document. */
  record Data(Span span, String name, Span nameSpan, TypeRef type) implements Decl {}

  /** `test "name" { request … expect … }`. */
  record Test(Span span, String name, List<TestStep> steps) implements Decl {
    public Test {
      steps = List.copyOf(steps);
    }
  }

  /**
   * `on allow [targets] { … }` or `on deny [targets] { … }`: headers Warden sets, appends or
   * removes when a covered route is allowed (or denied). No targets: every route of the package.
   */
  record OnBlock(Span span, boolean allow, List<Target> targets, List<HeaderAction> actions) implements Decl {
    public OnBlock {
      targets = List.copyOf(targets);
      actions = List.copyOf(actions);
    }
  }

  /**
   * One line of an `on` block: `set header "x-user-id" = principal.id`, `append response header
   * "vary" = "origin"`, `remove header "x-internal-*"`. {@code value} is null for `remove`;
   * {@code response} is true for a header of the client's response.
   */
  record HeaderAction(Span span, HeaderOp op, boolean response, String name, Span nameSpan, Expr value) {}

  /** What a header action does. */
  enum HeaderOp {
    SET,
    APPEND,
    REMOVE;

    public String keyword() {
      return name().toLowerCase();
    }
  }

  /**
   * `redact log { request.headers.x-user-email hash, … }`: fields of the decision record to
   * rewrite before it leaves the process. Several blocks of a bundle add up.
   */
  record RedactLog(Span span, List<RedactEntry> entries) implements Decl {
    public RedactLog {
      entries = List.copyOf(entries);
    }
  }

  /**
   * One entry of `redact log`: the path as written, segment by segment (`request`, `headers`,
   * `x-user-email`; a bracketed `["x-card"]` is one segment), and the action word, null when
   * none is written (`mask`).
   */
  record RedactEntry(Span span, List<NameRef> path, String action, Span actionSpan) {
    public RedactEntry {
      path = List.copyOf(path);
    }
  }

  /**
   * `schema create { body {…} query {…} headers {…} limits {…} additional allow }`: what a
   * request to the covered routes must look like before any rule sees it.
   */
  record Schema(Span span, List<Target> targets, List<SchemaItem> items) implements Decl {
    public Schema {
      targets = List.copyOf(targets);
      items = List.copyOf(items);
    }
  }

  /**
   * One item of a schema block, by its word: `body` (with {@code format} `json` or `form` when
   * written, and a {@code shape} or a JSON Schema {@code file}), `query` and `headers` (a
   * {@code shape}), `limits` ({@code limits}), `additional` (`additional allow`).
   */
  record SchemaItem(Span span, String item, Span itemSpan, String format, Span formatSpan, ShapeRef shape,
      String file, Span fileSpan, List<Limit> limits) {
    public SchemaItem {
      limits = limits == null ? List.of() : List.copyOf(limits);
    }
  }

  /** `body 64KiB` in `limits { … }`; {@code unit} is null when none is written. */
  record Limit(Span span, String name, long value, String unit) {}

  /**
   * `[shadow] quota NAME on TARGETS : AMOUNT per PERIOD [burst N] [by KEY] [when|unless COND]…
   * [cost EXPR] [scope local|global] [fallback open|closed|local [SHARE]]`: a token bucket per key
   * for the covered routes. {@code per} is the word written between the amount and the period
   * (the checker wants `per`); each clause is kept as written, for the checker to judge.
   */
  record Quota(Span span, boolean shadow, String name, Span nameSpan, List<Target> targets, long amount,
      Span amountSpan, String per, Span perSpan, java.time.Duration period, Span periodSpan, Expr key,
      List<Condition> conditions, List<QuotaClause> clauses) implements Decl {
    public Quota {
      targets = List.copyOf(targets);
      conditions = List.copyOf(conditions);
      clauses = List.copyOf(clauses);
    }
  }

  /**
   * A worded clause of a quota: `burst 20` ({@code number}), `scope global` or `fallback local 0.5`
   * ({@code mode} and {@code share}), `cost EXPR` ({@code cost}); the others are null.
   */
  record QuotaClause(Span span, String item, Span itemSpan, Long number, String mode, Span modeSpan, String share,
      Expr cost) {}

  /** A construct of a later wave (schema, quota, response redaction, lookup): parsed, then rejected. */
  record Reserved(Span span, String keyword) implements Decl {}

  /** Whether a rule allows or refuses. */
  enum Effect {
    PERMIT,
    FORBID;

    public String keyword() {
      return name().toLowerCase();
    }
  }

  /** A name written in the source, with where it was written. */
  record NameRef(Span span, String name) {}

  /** `when expr` or `unless expr`; {@code text} is the source of the expression. */
  record Condition(Span span, boolean unless, Expr expr, String text) {}
}
