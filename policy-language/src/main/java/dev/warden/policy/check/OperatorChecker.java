package dev.warden.policy.check;

import dev.warden.policy.ast.Expr;
import dev.warden.policy.ast.Expr.BinaryOp;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.types.Type;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Optional;

/** Types the operators: `not`, `-`, comparisons, `in`, arithmetic and `? default`. */
final class OperatorChecker {
  private final ExprChecker checker;

  OperatorChecker(ExprChecker checker) {
    this.checker = checker;
  }

  Checked unary(Expr.Unary u) {
    Checked operand = checker.check(u.operand());
    if (operand == null) {
      return null;
    }
    if (u.op() == Expr.UnaryOp.NOT) {
      return checker.requireBool(u.operand(), operand) ? new Checked.Not(u.span(), operand) : null;
    }
    Type t = operand.type();
    if (t == Type.INT || t == Type.DECIMAL || t == Type.DURATION) {
      if (operand instanceof Checked.Const c) {
        Object v = c.value() instanceof Long l ? (Object) Math.negateExact(l)
            : c.value() instanceof BigDecimal d ? d.negate() : ((Duration) c.value()).negated();
        return new Checked.Const(u.span(), t, v);
      }
      return new Checked.Negate(u.span(), t, operand);
    }
    return checker.fail(checker.mismatch(u.operand(), "a number or a duration", t));
  }

  Checked binary(Expr.Binary b) {
    BinaryOp op = b.op();
    if (op == BinaryOp.AND || op == BinaryOp.OR) {
      return checker.logical(b);
    }
    Checked left = checker.check(b.left());
    Checked right = checker.check(b.right());
    if (left == null || right == null) {
      return null;
    }
    Type lt = left.type();
    Type rt = right.type();
    switch (op) {
      case EQ, NE -> {
        Type l = Type.unwrap(lt);
        Type r = Type.unwrap(rt);
        boolean comparable = Type.assignable(l, r) || Type.assignable(r, l) || l == Type.NOTHING || r == Type.NOTHING;
        if (!comparable) {
          return checker.fail(
              Diagnostic.error("check.type_mismatch", b.span(),
                  "cannot compare `" + lt.display() + "` with `" + rt.display() + "`")
                  .withHelp("both sides of `" + op.symbol + "` must have the same type"));
        }
        return new Checked.Binary(b.span(), Type.BOOL, op, left, right);
      }
      case LT, LE, GT, GE -> {
        if (lt instanceof Type.Optional) {
          return checker.fail(checker.optionalError(b.left(), lt));
        }
        if (rt instanceof Type.Optional) {
          return checker.fail(checker.optionalError(b.right(), rt));
        }
        boolean ordered = (Type.isNumeric(lt) && Type.isNumeric(rt))
            || (lt == rt && (lt == Type.STRING || lt == Type.TIME || lt == Type.DURATION));
        if (!ordered) {
          return checker.fail(
              Diagnostic.error("check.type_mismatch", b.span(),
                  "cannot order `" + lt.display() + "` and `" + rt.display() + "` with `" + op.symbol + "`")
                  .withHelp("`<` and friends compare numbers, strings, times and durations of the same type"));
        }
        return new Checked.Binary(b.span(), Type.BOOL, op, left, right);
      }
      case IN, NOT_IN -> {
        if (lt instanceof Type.Optional) {
          return checker.fail(checker.optionalError(b.left(), lt));
        }
        if (rt instanceof Type.Optional) {
          return checker.fail(checker.optionalError(b.right(), rt));
        }
        Type element = rt instanceof Type.ListType l ? l.element()
            : rt instanceof Type.SetType s ? s.element()
            : rt instanceof Type.MapType ? Type.STRING
            : rt == Type.CIDR ? Type.IP : null;
        if (element == null) {
          return checker.fail(checker.mismatch(b.right(), "a list, set, map or cidr", rt));
        }
        if (!Type.assignable(lt, element) && !Type.assignable(element, lt) && element != Type.NOTHING) {
          return checker.fail(
              Diagnostic.error("check.type_mismatch", b.span(),
                  "cannot look for " + ExprChecker.aType(lt) + " in " + ExprChecker.aType(rt)));
        }
        return new Checked.Binary(b.span(), Type.BOOL, op, left, right);
      }
      case PLUS, MINUS -> {
        return arithmetic(b, left, right);
      }
      case DEFAULT -> {
        if (!(lt instanceof Type.Optional o)) {
          checker.diagnostics.add(
              Diagnostic.warning("check.needless_default", b.span(),
                  "`" + checker.describe(b.left()) + "` is never absent, so `? …` has no effect"));
          return left;
        }
        Optional<Type> joined = Type.join(o.inner(), rt);
        if (joined.isEmpty() || !Type.assignable(rt, joined.get())) {
          return checker.fail(
              Diagnostic.error("check.type_mismatch", b.right().span(),
                  "default `" + checker.describe(b.right()) + "` is " + ExprChecker.aType(rt) + " but `" + checker.describe(b.left())
                      + "` is " + ExprChecker.aType(o.inner())));
        }
        return new Checked.Binary(b.span(), joined.get(), op, left, right);
      }
      default -> throw new IllegalStateException("operator " + op);
    }
  }

  private Checked arithmetic(Expr.Binary b, Checked left, Checked right) {
    Type lt = left.type();
    Type rt = right.type();
    if (lt instanceof Type.Optional) {
      return checker.fail(checker.optionalError(b.left(), lt));
    }
    if (rt instanceof Type.Optional) {
      return checker.fail(checker.optionalError(b.right(), rt));
    }
    boolean plus = b.op() == BinaryOp.PLUS;
    Type result = null;
    if (Type.isNumeric(lt) && Type.isNumeric(rt)) {
      result = lt == Type.INT && rt == Type.INT ? Type.INT : Type.DECIMAL;
    } else if (plus && lt == Type.STRING && rt == Type.STRING) {
      result = Type.STRING;
    } else if (lt == Type.TIME && rt == Type.DURATION) {
      result = Type.TIME;
    } else if (!plus && lt == Type.TIME && rt == Type.TIME) {
      result = Type.DURATION;
    } else if (lt == Type.DURATION && rt == Type.DURATION) {
      result = Type.DURATION;
    }
    if (result == null) {
      return checker.fail(
          Diagnostic.error("check.type_mismatch", b.span(),
              "cannot apply `" + b.op().symbol + "` to `" + lt.display() + "` and `" + rt.display() + "`"));
    }
    return new Checked.Binary(b.span(), result, b.op(), left, right);
  }
}
