package dev.warden.policy.check;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.warden.policy.ast.Expr;
import dev.warden.policy.ast.Expr.BinaryOp;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Diagnostics;
import dev.warden.policy.diag.EditDistance;
import dev.warden.policy.diag.Span;
import dev.warden.policy.types.Type;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Types one expression against an {@link Env}. Returns null for an expression with an error
 * (after reporting it), so that one mistake gives one diagnostic rather than a cascade.
 *
 * <p>Invariant: a checked expression whose type is not {@link Type.Optional} never evaluates to
 * an absent value. `has x` narrows: in `has x and x.y > 1`, the right side sees `x` as present.
 */
final class ExprChecker {
  private static final List<String> ROOTS = List.of("request", "source", "destination", "principal", "data");

  private final Env env;
  final Diagnostics diagnostics;
  private final FieldIds fieldIds;
  private final Deque<Map.Entry<String, Checked.Local>> locals = new ArrayDeque<>();
  private final Set<String> present = new HashSet<>();
  private final BuiltinChecker builtins = new BuiltinChecker(this);
  private final OperatorChecker operators = new OperatorChecker(this);
  private int nextSlot;
  private int maxSlots;

  ExprChecker(Env env, Diagnostics diagnostics, FieldIds fieldIds) {
    this.env = env;
    this.diagnostics = diagnostics;
    this.fieldIds = fieldIds;
  }

  /** How many local slots the checked expressions need in a frame. */
  int frameSize() {
    return maxSlots;
  }

  /** Checks a `when`/`unless` condition: it must be a present bool. */
  Checked condition(Expr e) {
    Checked c = check(e);
    if (c == null) {
      return null;
    }
    if (c.type() instanceof Type.Optional && Type.unwrap(c.type()) == Type.BOOL) {
      return fail(optionalError(e, c.type()));
    }
    if (c.type() != Type.BOOL) {
      return fail(
          Diagnostic.error("check.type_mismatch", e.span(), "condition must be a `bool`, found `" + c.type().display() + "`")
              .withHelp("compare it with something, such as `… == \"value\"`"));
    }
    return c;
  }

  Checked check(Expr e) {
    return e.accept(nodes);
  }

  /** One check per node type; see {@link Expr.Visitor}. */
  private final Expr.Visitor<Checked> nodes = new Expr.Visitor<>() {
    @Override
    public Checked visit(Expr.Literal l) {
      return literal(l);
    }

    @Override
    public Checked visit(Expr.Name n) {
      return name(n);
    }

    @Override
    public Checked visit(Expr.Member m) {
      return member(m);
    }

    @Override
    public Checked visit(Expr.Index i) {
      return index(i);
    }

    @Override
    public Checked visit(Expr.Call c) {
      return builtins.call(c);
    }

    @Override
    public Checked visit(Expr.MethodCall m) {
      return builtins.method(m);
    }

    @Override
    public Checked visit(Expr.Unary u) {
      return operators.unary(u);
    }

    @Override
    public Checked visit(Expr.Binary b) {
      return operators.binary(b);
    }

    @Override
    public Checked visit(Expr.Is is) {
      return isRole(is);
    }

    @Override
    public Checked visit(Expr.Matches m) {
      return matches(m);
    }

    @Override
    public Checked visit(Expr.Has h) {
      return has(h);
    }

    @Override
    public Checked visit(Expr.Quantifier q) {
      return quantifier(q);
    }

    @Override
    public Checked visit(Expr.ListLiteral l) {
      return list(l);
    }

    @Override
    public Checked visit(Expr.RecordLiteral r) {
      return record(r);
    }
  };

  // ---- leaves ----------------------------------------------------------------------------

  private Checked literal(Expr.Literal l) {
    Object v = l.value();
    Type t;
    if (v instanceof String) {
      t = Type.STRING;
    } else if (v instanceof Long) {
      t = Type.INT;
    } else if (v instanceof BigDecimal) {
      t = Type.DECIMAL;
    } else if (v instanceof Boolean) {
      t = Type.BOOL;
    } else if (v instanceof Duration) {
      t = Type.DURATION;
    } else if (v instanceof Instant) {
      t = Type.TIME;
    } else {
      throw new IllegalStateException("literal of unknown kind");
    }
    return new Checked.Const(l.span(), t, v);
  }

  private Checked name(Expr.Name n) {
    for (Map.Entry<String, Checked.Local> local : locals) {
      if (local.getKey().equals(n.name())) {
        Checked.Local l = local.getValue();
        return new Checked.Local(n.span(), l.type(), l.name(), l.slot());
      }
    }
    Type param = env.params().get(n.name());
    if (param != null) {
      return new Checked.Param(n.span(), param, n.name());
    }
    if (ROOTS.contains(n.name())) {
      String example = switch (n.name()) {
        case "request" -> "request.method";
        case "source" -> "source.ip";
        case "destination" -> "destination.port";
        case "principal" -> "principal.id";
        default -> "data.<document>";
      };
      return fail(
          Diagnostic.error("check.not_a_value", n.span(), "`" + n.name() + "` is not a value on its own")
              .withHelp("use one of its fields, such as `" + example + "`"));
    }
    String why = env.paramProblem().apply(n.name());
    if (why != null) {
      return fail(Diagnostic.error("check.unknown_name", n.span(), why));
    }
    List<String> candidates = new ArrayList<>(ROOTS);
    candidates.addAll(env.params().keySet());
    locals.forEach(l -> candidates.add(l.getKey()));
    Diagnostic d = Diagnostic.error("check.unknown_name", n.span(), "unknown name `" + n.name() + "`");
    return fail(withSuggestion(d, n.name(), candidates));
  }

  private Checked member(Expr.Member m) {
    if (m.target() instanceof Expr.Name root && ROOTS.contains(root.name()) && !isLocal(root.name())) {
      return rootMember(root.name(), m);
    }
    Checked target = check(m.target());
    if (target == null) {
      return null;
    }
    Type base = Type.unwrap(target.type());
    if (base instanceof Type.RecordType r) {
      Type field = r.fields().get(m.name());
      if (field == null) {
        Diagnostic d = Diagnostic.error("check.unknown_field", m.nameSpan(),
            "`" + m.name() + "` is not a field of `" + describe(m.target()) + "`");
        return fail(withSuggestion(d, m.name(), r.fields().keySet()));
      }
      Type t = target.type() instanceof Type.Optional ? Type.optional(field) : field;
      return narrowed(new Checked.Field(m.span(), t, target, m.name(), fieldIds.id(m.name())));
    }
    if (base instanceof Type.MapType) {
      return fail(
          Diagnostic.error("check.not_a_record", m.nameSpan(), "`" + describe(m.target()) + "` is a map, not a record")
              .withHelp("look a key up with `" + describe(m.target()) + "[\"" + m.name() + "\"]`"));
    }
    return fail(
        Diagnostic.error("check.not_a_record", m.nameSpan(),
            "`" + describe(m.target()) + "` is " + aType(target.type()) + " and has no field `" + m.name() + "`"));
  }

  private Checked rootMember(String root, Expr.Member m) {
    Span span = m.span();
    if (root.equals("principal")) {
      Env.Slot slot = env.principal().get(m.name());
      if (slot != null) {
        return narrowed(new Checked.PrincipalField(span, slot.type(), m.name(), slot.index()));
      }
    }
    if (root.equals("data")) {
      Env.Slot slot = env.data().get(m.name());
      if (slot != null) {
        return new Checked.DataDoc(span, slot.type(), m.name(), slot.index());
      }
      if (env.brokenData().contains(m.name())) {
        return null; // its declaration or file has an error, reported where it is
      }
      Diagnostic d = Diagnostic.error("check.unknown_data", m.nameSpan(), "no data document `" + m.name() + "`")
          .withHelp("add `data/" + m.name() + ".json` to the bundle or declare `data " + m.name() + ": …`");
      Optional<String> near = EditDistance.closest(m.name(), env.data().keySet());
      return fail(near.isPresent() ? d.withHelp("did you mean `data." + near.get() + "`?") : d);
    }
    Optional<InputField> input = InputField.of(root, m.name());
    Type inputType = input.map(env.request()::typeOf).orElse(null);
    if (inputType != null) {
      return narrowed(new Checked.Input(span, input.get(), inputType));
    }
    if (input.isPresent()) {
      // Only `request.body` is typed per route; a route gives it a type through its schema.
      return fail(
          Diagnostic.error("check.no_body_type", m.nameSpan(), "`request.body` has no type here: "
                  + (env.bodyProblem() != null ? env.bodyProblem() : "only rules on routes with a JSON body schema read it"))
              .withHelp("declare the route's body in a `schema` block (`schema ROUTE { body { qty: int } }`), or"
                  + " cover only routes whose schemas declare the same body"));
    }
    if (root.equals("request") && m.name().equals("params")) {
      return fail(
          Diagnostic.error("check.unknown_field", m.nameSpan(), "path parameters are not under `request`")
              .withHelp("use a parameter by its name, such as `orderId`"));
    }
    Set<String> names = new TreeSet<>();
    InputField.fieldsOf(root).forEach((name, field) -> {
      if (env.request().typeOf(field) != null) {
        names.add(name);
      }
    });
    if (root.equals("principal")) {
      names.addAll(env.principal().keySet());
    }
    Diagnostic d = Diagnostic.error("check.unknown_field", m.nameSpan(), "`" + root + "` has no field `" + m.name() + "`");
    if (root.equals("principal") && !env.principal().containsKey(m.name())) {
      d = d.withHelp("declare it in the `principal` block, or use one of: " + String.join(", ", names));
    } else {
      d = d.withHelp("`" + root + "` has: " + String.join(", ", names));
    }
    return fail(withSuggestion(d, m.name(), names));
  }

  private Checked index(Expr.Index i) {
    Checked target = check(i.target());
    Checked key = check(i.index());
    if (target == null || key == null) {
      return null;
    }
    if (key.type() instanceof Type.Optional) {
      return fail(optionalError(i.index(), key.type()));
    }
    Type base = Type.unwrap(target.type());
    Type result;
    if (base instanceof Type.ListType l) {
      if (key.type() != Type.INT) {
        return fail(mismatch(i.index(), "an `int` index", key.type()));
      }
      result = l.element();
    } else if (base instanceof Type.MapType m) {
      if (key.type() != Type.STRING) {
        return fail(mismatch(i.index(), "a `string` key", key.type()));
      }
      result = m.value();
    } else if (base instanceof Type.RecordType r) {
      if (key.type() != Type.STRING) {
        return fail(mismatch(i.index(), "a `string` key", key.type()));
      }
      if (key instanceof Checked.Const c && r.fields().containsKey((String) c.value())) {
        result = r.fields().get((String) c.value());
      } else {
        Optional<Type> joined = r.fields().values().stream().map(Optional::of)
            .reduce((a, b) -> a.isPresent() && b.isPresent() ? Type.join(a.get(), b.get()) : Optional.empty())
            .orElse(Optional.of(Type.NOTHING));
        if (joined.isEmpty()) {
          return fail(
              Diagnostic.error("check.mixed_record", i.span(),
                  "the fields of `" + describe(i.target()) + "` have different types, so it cannot be looked up by a computed key")
                  .withHelp("declare its shape with `data …: map<string, …>`"));
        }
        result = joined.get();
      }
    } else {
      return fail(
          Diagnostic.error("check.not_indexable", i.span(),
              "`" + describe(i.target()) + "` is " + aType(target.type()) + " and cannot be indexed"));
    }
    return narrowed(new Checked.Index(i.span(), Type.optional(result), target, key));
  }

  // ---- operators -------------------------------------------------------------------------

  Checked logical(Expr.Binary b) {
    Checked left = check(b.left());
    if (left == null) {
      return null;
    }
    if (!requireBool(b.left(), left)) {
      return null;
    }
    Set<String> facts = b.op() == BinaryOp.AND ? provenBy(left, true) : provenBy(left, false);
    Set<String> added = new HashSet<>();
    for (String f : facts) {
      if (present.add(f)) {
        added.add(f);
      }
    }
    Checked right;
    try {
      right = check(b.right());
    } finally {
      present.removeAll(added);
    }
    if (right == null || !requireBool(b.right(), right)) {
      return null;
    }
    return new Checked.Binary(b.span(), Type.BOOL, b.op(), left, right);
  }

  /**
   * The optional paths that are present whenever {@code c} evaluates to {@code when}: `has x`
   * proves x when true; `not has x` proves x when false; `and` chains combine.
   */
  private static Set<String> provenBy(Checked c, boolean when) {
    Set<String> out = new HashSet<>();
    if (c instanceof Checked.Has h && when) {
      String key = key(h.operand());
      if (key != null) {
        out.add(key);
      }
    } else if (c instanceof Checked.Not n) {
      out.addAll(provenBy(n.operand(), !when));
    } else if (c instanceof Checked.Binary b && b.op() == BinaryOp.AND && when) {
      out.addAll(provenBy(b.left(), true));
      out.addAll(provenBy(b.right(), true));
    } else if (c instanceof Checked.Binary b && b.op() == BinaryOp.OR && !when) {
      out.addAll(provenBy(b.left(), false));
      out.addAll(provenBy(b.right(), false));
    }
    return out;
  }

  private Checked narrowed(Checked c) {
    if (!(c.type() instanceof Type.Optional o) || !present.contains(String.valueOf(key(c)))) {
      return c;
    }
    if (c instanceof Checked.Field f) {
      return new Checked.Field(f.span(), o.inner(), f.target(), f.name(), f.fieldId());
    } else if (c instanceof Checked.Index i) {
      return new Checked.Index(i.span(), o.inner(), i.target(), i.key());
    } else if (c instanceof Checked.PrincipalField p) {
      return new Checked.PrincipalField(p.span(), o.inner(), p.name(), p.slot());
    }
    return c;
  }

  /** A structural key for a path expression, or null when it is not a path. */
  static String key(Checked c) {
    if (c instanceof Checked.Input i) {
      return i.field().path();
    } else if (c instanceof Checked.PrincipalField p) {
      return "principal." + p.name();
    } else if (c instanceof Checked.DataDoc d) {
      return "data." + d.name();
    } else if (c instanceof Checked.Param p) {
      return "param:" + p.name();
    } else if (c instanceof Checked.Local l) {
      return "local:" + l.slot();
    } else if (c instanceof Checked.Const k) {
      return "const:" + k.value();
    } else if (c instanceof Checked.Field f) {
      String t = key(f.target());
      return t == null ? null : t + "." + f.name();
    } else if (c instanceof Checked.Index i) {
      String t = key(i.target());
      String k = key(i.key());
      return t == null || k == null ? null : t + "[" + k + "]";
    }
    return null;
  }

  private Checked isRole(Expr.Is is) {
    if (!(is.subject() instanceof Expr.Name n && n.name().equals("principal"))) {
      return fail(
          Diagnostic.error("check.bad_is", is.subject().span(), "`is` tests the principal's roles")
              .withHelp("write `principal is " + is.role() + "`"));
    }
    Integer id = env.roles().get(is.role());
    if (id == null) {
      Diagnostic d = Diagnostic.error("check.unknown_role", is.roleSpan(), "unknown role `" + is.role() + "`");
      return fail(withSuggestion(d, is.role(), env.roles().keySet()));
    }
    return new Checked.IsRole(is.span(), is.role(), id);
  }

  private Checked matches(Expr.Matches m) {
    Checked subject = check(m.subject());
    if (subject == null) {
      return null;
    }
    if (subject.type() instanceof Type.Optional) {
      return fail(optionalError(m.subject(), subject.type()));
    }
    if (subject.type() != Type.STRING) {
      return fail(mismatch(m.subject(), "a `string`", subject.type()));
    }
    try {
      return new Checked.Matches(m.span(), subject, Pattern.compile(m.pattern()));
    } catch (PatternSyntaxException e) {
      return fail(
          Diagnostic.error("check.bad_regex", m.patternSpan(), "invalid regular expression: " + e.getDescription())
              .withHelp("patterns use RE2 syntax: no backreferences or lookaround"));
    }
  }

  private Checked has(Expr.Has h) {
    Checked operand = check(h.operand());
    if (operand == null) {
      return null;
    }
    if (!(operand.type() instanceof Type.Optional)) {
      diagnostics.add(
          Diagnostic.warning("check.needless_has", h.span(), "`" + describe(h.operand()) + "` is never absent, so `has` is always true"));
    }
    return new Checked.Has(h.span(), operand);
  }

  private Checked quantifier(Expr.Quantifier q) {
    Checked collection = check(q.collection());
    if (collection == null) {
      return null;
    }
    Type t = collection.type();
    if (t instanceof Type.Optional) {
      return fail(optionalError(q.collection(), t));
    }
    Type element = t instanceof Type.ListType l ? l.element()
        : t instanceof Type.SetType s ? s.element()
        : t instanceof Type.MapType ? Type.STRING : null;
    if (element == null) {
      return fail(mismatch(q.collection(), "a list, set or map", t));
    }
    if (ROOTS.contains(q.var()) || env.params().containsKey(q.var())) {
      return fail(
          Diagnostic.error("check.shadowed_name", q.varSpan(), "`" + q.var() + "` already names something else here")
              .withHelp("pick another name for the variable"));
    }
    int slot = nextSlot++;
    maxSlots = Math.max(maxSlots, nextSlot);
    locals.push(Map.entry(q.var(), new Checked.Local(q.varSpan(), element, q.var(), slot)));
    try {
      Checked body = check(q.body());
      if (body == null || !requireBool(q.body(), body)) {
        return null;
      }
      return new Checked.Quantifier(q.span(), q.all(), slot, collection, body);
    } finally {
      locals.pop();
      nextSlot--;
    }
  }

  private Checked list(Expr.ListLiteral l) {
    List<Checked> items = checkAll(l.items());
    if (items == null) {
      return null;
    }
    Type element = Type.NOTHING;
    for (int i = 0; i < items.size(); i++) {
      Optional<Type> j = i == 0 ? Optional.of(items.get(0).type()) : Type.join(element, items.get(i).type());
      if (j.isEmpty()) {
        return fail(
            Diagnostic.error("check.type_mismatch", l.items().get(i).span(),
                "list items must have one type: `" + items.get(i).type().display() + "` does not fit `" + element.display() + "`"));
      }
      element = j.get();
    }
    return new Checked.ListOf(l.span(), new Type.ListType(element), items);
  }

  private Checked record(Expr.RecordLiteral r) {
    Map<String, Type> types = new LinkedHashMap<>();
    List<String> names = new ArrayList<>();
    List<Checked> values = new ArrayList<>();
    boolean ok = true;
    for (Expr.FieldInit f : r.fields()) {
      Checked v = check(f.value());
      if (types.containsKey(f.name())) {
        diagnostics.add(Diagnostic.error("check.duplicate_field", f.span(), "field `" + f.name() + "` is given twice"));
        ok = false;
      } else if (v != null) {
        types.put(f.name(), v.type());
        names.add(f.name());
        values.add(v);
      } else {
        ok = false;
      }
    }
    return ok ? new Checked.RecordOf(r.span(), Type.record(types), names, values) : null;
  }

  // ---- helpers ---------------------------------------------------------------------------

  List<Checked> checkAll(List<Expr> es) {
    List<Checked> out = new ArrayList<>();
    boolean ok = true;
    for (Expr e : es) {
      Checked c = check(e);
      ok &= c != null;
      out.add(c);
    }
    return ok ? out : null;
  }

  private boolean isLocal(String name) {
    return locals.stream().anyMatch(l -> l.getKey().equals(name));
  }

  boolean requireBool(Expr source, Checked c) {
    if (c.type() == Type.BOOL) {
      return true;
    }
    if (c.type() instanceof Type.Optional o && o.inner() == Type.BOOL) {
      diagnostics.add(optionalError(source, c.type()));
    } else {
      diagnostics.add(mismatch(source, "a `bool`", c.type()));
    }
    return false;
  }

  Diagnostic optionalError(Expr e, Type type) {
    String text = describe(e);
    String example = defaultFor(Type.unwrap(type));
    return Diagnostic.error("check.optional_unchecked", e.span(), "`" + text + "` may be absent")
        .withHelp("check it first (`has " + text + " and …`) or give a default (`" + text + " ? " + example + "`)");
  }

  /** A literal of the type, to show in a `? default` hint. */
  private static String defaultFor(Type t) {
    if (t == Type.BOOL) {
      return "false";
    } else if (t == Type.INT) {
      return "0";
    } else if (t == Type.DECIMAL) {
      return "0.0";
    } else if (t == Type.DURATION) {
      return "0s";
    } else if (t == Type.TIME) {
      return "request.time";
    } else if (t == Type.IP) {
      return "ip(\"0.0.0.0\")";
    } else if (t == Type.CIDR) {
      return "cidr(\"0.0.0.0/32\")";
    } else if (t instanceof Type.ListType || t instanceof Type.SetType) {
      return "[]";
    } else if (t instanceof Type.RecordType || t instanceof Type.MapType) {
      return "{}";
    }
    return "\"\"";
  }

  /** A type's name with its article: "a `string`", "an `int`". */
  static String aType(Type t) {
    String shown = t.display();
    return ("aeiou".indexOf(shown.charAt(0)) >= 0 ? "an `" : "a `") + shown + "`";
  }

  static Diagnostic mismatch(Expr e, String expected, Type found) {
    return Diagnostic.error("check.type_mismatch", e.span(),
        "expected " + expected + ", found `" + describe(e) + "` of type `" + found.display() + "`");
  }

  static Diagnostic withSuggestion(Diagnostic d, String name, java.util.Collection<String> candidates) {
    return EditDistance.closest(name, candidates).map(s -> d.withHelp("did you mean `" + s + "`?")).orElse(d);
  }

  Checked fail(Diagnostic d) {
    diagnostics.add(d);
    return null;
  }

  /** The source-like text of an expression, for messages. */
  static String describe(Expr e) {
    return ExprPrinter.print(e);
  }
}
