package dev.warden.policy.compile;

import dev.warden.policy.check.Checked;
import dev.warden.policy.ast.Expr.BinaryOp;
import dev.warden.policy.check.InputField;
import dev.warden.policy.diag.Span;
import dev.warden.policy.runtime.EvalError;
import dev.warden.policy.runtime.Cidr;
import dev.warden.policy.runtime.IpAddress;
import dev.warden.policy.runtime.RecordValue;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.runtime.Shape;
import dev.warden.policy.types.Type;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Compiles checked expressions to closures. Every name was resolved by the checker; here each
 * becomes an array slot, so evaluation does no lookup by name. Path parameters are resolved per
 * route: {@code params} maps a parameter name to its slot in the matched route.
 */
final class ExprCompiler {
  private final Values values;
  private final Map<String, Integer> params;
  private final List<String> principalNames;

  ExprCompiler(Values values, Map<String, Integer> params, List<String> principalNames) {
    this.values = values;
    this.params = params;
    this.principalNames = principalNames;
  }

  Eval compile(Checked c) {
    return c.accept(nodes);
  }

  /**
   * Compiles {@code c} after the bundle was compiled, from any thread: what an explanation does
   * the first time it reads a part ({@link Explainer}). Serialized on the bundle's shared
   * {@link Values}, the one mutable thing compiling touches.
   */
  Eval compileLater(Checked c) {
    synchronized (values) {
      return compile(c);
    }
  }

  /** One closure per node type; see {@link Checked.Visitor}. */
  private final Checked.Visitor<Eval> nodes = new Checked.Visitor<>() {
    @Override
    public Eval visit(Checked.Const k) {
      Object v = k.value();
      return f -> v;
    }

    @Override
    public Eval visit(Checked.Input in) {
      return input(in);
    }

    @Override
    public Eval visit(Checked.PrincipalField p) {
      if (p.name().equals("roles")) {
        return Frame::roleSet;
      }
      int slot = p.slot();
      boolean optional = p.type() instanceof Type.Optional;
      String name = principalNames.get(slot);
      Span span = p.span();
      return f -> {
        Object v = f.principal[slot];
        if (v == null && !optional) {
          throw new EvalException(EvalError.Kind.ANONYMOUS, span, "`principal." + name + "` is absent: the caller is anonymous");
        }
        return v;
      };
    }

    @Override
    public Eval visit(Checked.DataDoc d) {
      int slot = d.slot();
      return f -> f.data[slot];
    }

    @Override
    public Eval visit(Checked.Param p) {
      int slot = params.get(p.name());
      return f -> f.params[slot];
    }

    @Override
    public Eval visit(Checked.Local l) {
      int slot = l.slot();
      return f -> f.locals[slot];
    }

    @Override
    public Eval visit(Checked.Field fd) {
      PathEval path = PathEval.of(fd, params);
      if (path != null) {
        return path;
      }
      Eval target = compile(fd.target());
      int id = fd.fieldId();
      return f -> {
        f.step();
        Object t = target.eval(f);
        return t == null ? null : ((RecordValue) t).get(id);
      };
    }

    @Override
    public Eval visit(Checked.Index ix) {
      PathEval path = PathEval.of(ix, params);
      return path != null ? path : index(ix);
    }

    @Override
    public Eval visit(Checked.Call call) {
      return call(call);
    }

    @Override
    public Eval visit(Checked.Not n) {
      Eval operand = compile(n.operand());
      return f -> operand.eval(f) == Boolean.TRUE ? Boolean.FALSE : Boolean.TRUE;
    }

    @Override
    public Eval visit(Checked.Negate n) {
      Eval operand = compile(n.operand());
      return f -> {
        Object v = operand.eval(f);
        if (v instanceof Long l) {
          return exact(n.span(), () -> Math.negateExact(l));
        }
        return v instanceof BigDecimal d ? d.negate() : ((Duration) v).negated();
      };
    }

    @Override
    public Eval visit(Checked.Binary b) {
      return binary(b);
    }

    @Override
    public Eval visit(Checked.Has h) {
      Eval operand = compile(h.operand());
      return f -> operand.eval(f) != null;
    }

    @Override
    public Eval visit(Checked.IsRole r) {
      int role = r.roleId();
      return f -> f.hasRole(role);
    }

    @Override
    public Eval visit(Checked.Matches m) {
      Eval subject = compile(m.subject());
      com.google.re2j.Pattern pattern = m.pattern();
      long weight = Cost.regexWeight(pattern);
      return f -> {
        f.step();
        String s = (String) subject.eval(f);
        Cost.regex(f, s.length(), weight);
        return pattern.matcher(s).find();
      };
    }

    @Override
    public Eval visit(Checked.Quantifier q) {
      return quantifier(q);
    }

    @Override
    public Eval visit(Checked.ListOf l) {
      List<Eval> items = l.items().stream().map(ExprCompiler.this::compile).toList();
      if (isConstant(l)) {
        // Built once, so that `x in ["a", "b"]` is a lookup in a precomputed index, not a scan.
        List<Object> out = new ArrayList<>(items.size());
        for (Eval e : items) {
          out.add(e.eval(null));
        }
        Object list = IndexedList.of(out);
        return f -> list;
      }
      return f -> {
        List<Object> out = new ArrayList<>(items.size());
        for (Eval e : items) {
          out.add(e.eval(f));
        }
        return java.util.Collections.unmodifiableList(out);
      };
    }

    @Override
    public Eval visit(Checked.RecordOf r) {
      Shape shape = values.shape(r.names());
      List<Eval> fields = r.values().stream().map(ExprCompiler.this::compile).toList();
      int[] order = new int[r.names().size()];
      for (int i = 0; i < order.length; i++) {
        order[i] = shape.slotOf(r.names().get(i));
      }
      return f -> {
        Object[] out = new Object[order.length];
        for (int i = 0; i < order.length; i++) {
          out[order[i]] = fields.get(i).eval(f);
        }
        return new RecordValue(shape, out);
      };
    }
  };

  /** Whether {@code c} is a literal value: its closure reads nothing from the frame. */
  private static boolean isConstant(Checked c) {
    if (c instanceof Checked.Const) {
      return true;
    }
    if (c instanceof Checked.ListOf l) {
      return l.items().stream().allMatch(ExprCompiler::isConstant);
    }
    if (c instanceof Checked.RecordOf r) {
      return r.values().stream().allMatch(ExprCompiler::isConstant);
    }
    return false;
  }

  private Eval input(Checked.Input in) {
    return switch (in.field()) {
      case REQUEST_METHOD -> f -> f.line.method();
      case REQUEST_PATH -> f -> f.path;
      case REQUEST_ROUTE -> f -> f.routeName;
      case REQUEST_QUERY -> {
        if (Type.unwrap(in.type()) instanceof Type.RecordType) {
          // Typed by the route's schema: the parameters it declares, parsed as it validated them.
          BodyReader reader = new BodyReader(Type.unwrap(in.type()), values);
          yield f -> f.typedQuery(reader);
        }
        yield f -> f.line.query();
      }
      case REQUEST_HEADERS -> f -> f.request.headers();
      case REQUEST_BODY -> {
        BodyReader reader = new BodyReader(Type.unwrap(in.type()), values);
        yield f -> f.body(reader);
      }
      case REQUEST_TIME -> f -> f.request.time();
      case REQUEST_ID -> f -> f.request.id();
      case REQUEST_HOST -> f -> f.request.host();
      case REQUEST_SCHEME -> f -> f.request.scheme();
      case REQUEST_CONTEXT -> f -> f.request.context();
      case REQUEST_SNI -> f -> f.request.sni();
      case SOURCE_IP -> f -> f.request.sourceIp();
      case SOURCE_PORT -> f -> (long) f.request.sourcePort();
      case SOURCE_PRINCIPAL -> f -> f.request.sourcePrincipal();
      case DESTINATION_IP -> f -> f.request.destinationIp();
      case DESTINATION_PORT -> f -> (long) f.request.destinationPort();
      case DESTINATION_PRINCIPAL -> f -> f.request.destinationPrincipal();
      case PRINCIPAL_ANONYMOUS -> f -> f.anonymous;
      case PRINCIPAL_ROLES -> Frame::roleSet;
    };
  }

  private Eval index(Checked.Index ix) {
    Eval target = compile(ix.target());
    Eval key = compile(ix.key());
    return f -> {
      f.step();
      Object t = target.eval(f);
      if (t == null) {
        return null;
      }
      Object k = key.eval(f);
      if (t instanceof List<?> l) {
        long i = (Long) k;
        return i >= 0 && i < l.size() ? l.get((int) i) : null;
      }
      if (t instanceof Map<?, ?> m) {
        return m.get(k);
      }
      return ((RecordValue) t).get((String) k);
    };
  }

  private Eval call(Checked.Call call) {
    List<Eval> args = call.args().stream().map(this::compile).toList();
    Eval a = args.get(0);
    Eval b = args.size() > 1 ? args.get(1) : null;
    // String functions are charged by the length of what they read or produce (see Cost),
    // before they run.
    return switch (call.function()) {
      case IP -> f -> {
        String s = (String) a.eval(f);
        Cost.chars(f, s.length());
        return IpAddress.parse(s);
      };
      case CIDR -> f -> {
        String s = (String) a.eval(f);
        Cost.chars(f, s.length());
        return Cidr.parse(s);
      };
      case SIZE -> f -> {
        Object v = a.eval(f);
        if (v instanceof String s) {
          // Counting code points reads the whole string.
          Cost.chars(f, s.length());
        }
        return (long) Values.size(v);
      };
      case STARTS_WITH -> f -> {
        String s = (String) a.eval(f);
        String p = (String) b.eval(f);
        Cost.compare(f, s, p);
        return s.startsWith(p);
      };
      case ENDS_WITH -> f -> {
        String s = (String) a.eval(f);
        String p = (String) b.eval(f);
        Cost.compare(f, s, p);
        return s.endsWith(p);
      };
      case STRING_CONTAINS -> f -> {
        String s = (String) a.eval(f);
        String p = (String) b.eval(f);
        Cost.search(f, s, p);
        return s.contains(p);
      };
      case LOWER -> f -> {
        String s = (String) a.eval(f);
        Cost.chars(f, s.length());
        return s.toLowerCase(Locale.ROOT);
      };
      case UPPER -> f -> {
        String s = (String) a.eval(f);
        Cost.chars(f, s.length());
        return s.toUpperCase(Locale.ROOT);
      };
      case CIDR_CONTAINS -> f -> ((Cidr) a.eval(f)).contains((IpAddress) b.eval(f));
      case COLLECTION_CONTAINS -> f -> {
        // The same work as `x in xs`, so the same charge.
        f.step();
        return Values.contains(a.eval(f), b.eval(f), f);
      };
      // A view, not a copy: O(1), and `k in m.keys()` is the map's own hash lookup.
      case KEYS -> f -> java.util.Collections.unmodifiableSet(((Map<?, ?>) a.eval(f)).keySet());
    };
  }

  private Eval binary(Checked.Binary b) {
    Eval l = compile(b.left());
    Eval r = compile(b.right());
    if ((b.op() == BinaryOp.EQ || b.op() == BinaryOp.NE) && sameScalar(b.left().type(), b.right().type())) {
      // Same scalar type on both sides (`owner == principal.id`): plain equals, absent never equal.
      boolean eq = b.op() == BinaryOp.EQ;
      if (Type.unwrap(b.left().type()) == Type.STRING) {
        // Strings compare in time linear in their length: charged when both are long.
        return f -> {
          Object a = l.eval(f);
          if (a == null) {
            return !eq;
          }
          Object other = r.eval(f);
          if (other != null) {
            Cost.compare(f, (String) a, (String) other);
          }
          return a.equals(other) == eq;
        };
      }
      return f -> {
        Object a = l.eval(f);
        return (a != null && a.equals(r.eval(f))) == eq;
      };
    }
    return switch (b.op()) {
      case AND -> f -> l.eval(f) == Boolean.TRUE && r.eval(f) == Boolean.TRUE;
      case OR -> f -> l.eval(f) == Boolean.TRUE || r.eval(f) == Boolean.TRUE;
      case EQ -> f -> Values.equal(l.eval(f), r.eval(f), f);
      case NE -> f -> !Values.equal(l.eval(f), r.eval(f), f);
      case LT -> f -> Values.compare(l.eval(f), r.eval(f), f) < 0;
      case LE -> f -> Values.compare(l.eval(f), r.eval(f), f) <= 0;
      case GT -> f -> Values.compare(l.eval(f), r.eval(f), f) > 0;
      case GE -> f -> Values.compare(l.eval(f), r.eval(f), f) >= 0;
      case IN -> f -> {
        f.step();
        return Values.contains(r.eval(f), l.eval(f), f);
      };
      case NOT_IN -> f -> {
        f.step();
        return !Values.contains(r.eval(f), l.eval(f), f);
      };
      case PLUS -> f -> plus(l.eval(f), r.eval(f), f, b.span());
      case MINUS -> f -> minus(l.eval(f), r.eval(f), b.span());
      case DEFAULT -> f -> {
        Object v = l.eval(f);
        return v != null ? v : r.eval(f);
      };
    };
  }

  /** Whether both types are the same scalar whose Java equals is policy equality. */
  private static boolean sameScalar(Type a, Type b) {
    Type x = Type.unwrap(a);
    return x == Type.unwrap(b)
        && (x == Type.STRING || x == Type.BOOL || x == Type.INT || x == Type.TIME || x == Type.DURATION || x == Type.IP);
  }

  private static Object plus(Object a, Object b, Frame f, Span span) {
    if (a instanceof Long x && b instanceof Long y) {
      return exact(span, () -> Math.addExact(x, y));
    }
    if (a instanceof Number && b instanceof Number) {
      return Values.decimal(a).add(Values.decimal(b));
    }
    if (a instanceof String x) {
      // Charged by the result's length before it is built.
      Cost.chars(f, (long) x.length() + ((String) b).length());
      return x + b;
    }
    if (a instanceof Instant t) {
      return exact(span, () -> t.plus((Duration) b));
    }
    return exact(span, () -> ((Duration) a).plus((Duration) b));
  }

  private static Object minus(Object a, Object b, Span span) {
    if (a instanceof Long x && b instanceof Long y) {
      return exact(span, () -> Math.subtractExact(x, y));
    }
    if (a instanceof Number && b instanceof Number) {
      return Values.decimal(a).subtract(Values.decimal(b));
    }
    if (a instanceof Instant t && b instanceof Instant u) {
      return Duration.between(u, t);
    }
    if (a instanceof Instant t) {
      return exact(span, () -> t.minus((Duration) b));
    }
    return exact(span, () -> ((Duration) a).minus((Duration) b));
  }

  private static Object exact(Span span, java.util.function.Supplier<Object> op) {
    try {
      return op.get();
    } catch (ArithmeticException | java.time.DateTimeException e) {
      throw new EvalException(EvalError.Kind.OVERFLOW, span, "arithmetic overflow");
    }
  }

  private Eval quantifier(Checked.Quantifier q) {
    Eval collection = compile(q.collection());
    Eval body = compile(q.body());
    int slot = q.slot();
    boolean all = q.all();
    return f -> {
      Object c = collection.eval(f);
      Collection<?> items = c instanceof Map<?, ?> m ? m.keySet() : (Collection<?>) c;
      for (Object item : items) {
        f.step();
        f.locals[slot] = item;
        boolean holds = body.eval(f) == Boolean.TRUE;
        if (holds != all) {
          return !all;
        }
      }
      return all;
    };
  }
}
