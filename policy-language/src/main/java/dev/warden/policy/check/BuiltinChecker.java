package dev.warden.policy.check;

import dev.warden.policy.ast.Expr;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.EditDistance;
import dev.warden.policy.diag.Span;
import dev.warden.policy.runtime.Cidr;
import dev.warden.policy.runtime.IpAddress;
import dev.warden.policy.types.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Types calls of the built-in functions (`ip`, `cidr`, `size`) and methods (`s.startsWith(…)`). */
final class BuiltinChecker {
  private final ExprChecker checker;

  BuiltinChecker(ExprChecker checker) {
    this.checker = checker;
  }

  Checked call(Expr.Call c) {
    List<Checked> args = checker.checkAll(c.args());
    if (args == null) {
      return null;
    }
    switch (c.function()) {
      case "ip", "cidr" -> {
        if (!arity(c.function(), c.nameSpan(), args, 1) || !argType(c.args().get(0), args.get(0), Type.STRING)) {
          return null;
        }
        boolean ip = c.function().equals("ip");
        if (args.get(0) instanceof Checked.Const k) {
          Object v = ip ? IpAddress.parse((String) k.value()) : Cidr.parse((String) k.value());
          if (v == null) {
            return checker.fail(
                Diagnostic.error("check.bad_literal", c.args().get(0).span(),
                    "`" + k.value() + "` is not a valid " + (ip ? "IP address" : "CIDR block"))
                    .withHelp(ip ? "write `ip(\"10.0.0.1\")` or `ip(\"::1\")`" : "write `cidr(\"10.0.0.0/8\")`"));
          }
          return new Checked.Const(c.span(), ip ? Type.IP : Type.CIDR, v);
        }
        Type t = Type.optional(ip ? Type.IP : Type.CIDR);
        return new Checked.Call(c.span(), t, ip ? Builtin.IP : Builtin.CIDR, args);
      }
      case "size" -> {
        if (!arity("size", c.nameSpan(), args, 1)) {
          return null;
        }
        return size(c.span(), c.args().get(0), args.get(0));
      }
      default -> {
        Diagnostic d = Diagnostic.error("check.unknown_function", c.nameSpan(), "unknown function `" + c.function() + "`");
        return checker.fail(checker.withSuggestion(d, c.function(), List.of("ip", "cidr", "size")));
      }
    }
  }

  private Checked size(Span span, Expr source, Checked arg) {
    Type t = arg.type();
    if (t instanceof Type.Optional) {
      return checker.fail(checker.optionalError(source, t));
    }
    if (t == Type.STRING || t instanceof Type.ListType || t instanceof Type.SetType || t instanceof Type.MapType) {
      return new Checked.Call(span, Type.INT, Builtin.SIZE, List.of(arg));
    }
    return checker.fail(checker.mismatch(source, "a string or a collection", t));
  }

  Checked method(Expr.MethodCall m) {
    Checked target = checker.check(m.target());
    List<Checked> args = checker.checkAll(m.args());
    if (target == null || args == null) {
      return null;
    }
    if (target.type() instanceof Type.Optional) {
      return checker.fail(checker.optionalError(m.target(), target.type()));
    }
    Type t = target.type();
    List<Checked> all = new ArrayList<>();
    all.add(target);
    all.addAll(args);
    String name = m.method();
    if (t == Type.STRING) {
      switch (name) {
        case "startsWith", "endsWith", "contains" -> {
          if (!arity(name, m.nameSpan(), args, 1) || !argType(m.args().get(0), args.get(0), Type.STRING)) {
            return null;
          }
          Builtin b = name.equals("startsWith") ? Builtin.STARTS_WITH
              : name.equals("endsWith") ? Builtin.ENDS_WITH : Builtin.STRING_CONTAINS;
          return new Checked.Call(m.span(), Type.BOOL, b, all);
        }
        case "lower", "upper" -> {
          if (!arity(name, m.nameSpan(), args, 0)) {
            return null;
          }
          return new Checked.Call(m.span(), Type.STRING, name.equals("lower") ? Builtin.LOWER : Builtin.UPPER, all);
        }
        case "size" -> {
          return arity(name, m.nameSpan(), args, 0) ? size(m.span(), m.target(), target) : null;
        }
        default -> {
          return unknownMethod(m, t, List.of("startsWith", "endsWith", "contains", "lower", "upper", "size"));
        }
      }
    }
    if (t == Type.CIDR && name.equals("contains")) {
      if (!arity(name, m.nameSpan(), args, 1) || !argType(m.args().get(0), args.get(0), Type.IP)) {
        return null;
      }
      return new Checked.Call(m.span(), Type.BOOL, Builtin.CIDR_CONTAINS, all);
    }
    if (t instanceof Type.ListType || t instanceof Type.SetType) {
      Type element = t instanceof Type.ListType l ? l.element() : ((Type.SetType) t).element();
      if (name.equals("contains")) {
        if (!arity(name, m.nameSpan(), args, 1) || !argType(m.args().get(0), args.get(0), element)) {
          return null;
        }
        return new Checked.Call(m.span(), Type.BOOL, Builtin.COLLECTION_CONTAINS, all);
      }
      if (name.equals("size")) {
        return arity(name, m.nameSpan(), args, 0) ? size(m.span(), m.target(), target) : null;
      }
      return unknownMethod(m, t, List.of("contains", "size"));
    }
    if (t instanceof Type.MapType) {
      if (name.equals("keys")) {
        return arity(name, m.nameSpan(), args, 0)
            ? new Checked.Call(m.span(), new Type.SetType(Type.STRING), Builtin.KEYS, all) : null;
      }
      if (name.equals("size")) {
        return arity(name, m.nameSpan(), args, 0) ? size(m.span(), m.target(), target) : null;
      }
      return unknownMethod(m, t, List.of("keys", "size"));
    }
    return unknownMethod(m, t, List.of());
  }

  private Checked unknownMethod(Expr.MethodCall m, Type t, List<String> known) {
    Diagnostic d = Diagnostic.error("check.unknown_method", m.nameSpan(),
        "`" + t.display() + "` has no method `" + m.method() + "`");
    if (known.isEmpty()) {
      return checker.fail(d);
    }
    Optional<String> near = EditDistance.closest(m.method(), known);
    return checker.fail(d.withHelp(near.map(n -> "did you mean `" + n + "`?")
        .orElse("its methods are: " + String.join(", ", known))));
  }

  private boolean arity(String name, Span span, List<Checked> args, int n) {
    if (args.size() == n) {
      return true;
    }
    checker.diagnostics.add(
        Diagnostic.error("check.wrong_arguments", span,
            "`" + name + "` takes " + n + " argument" + (n == 1 ? "" : "s") + ", found " + args.size()));
    return false;
  }

  private boolean argType(Expr source, Checked arg, Type expected) {
    if (arg.type() instanceof Type.Optional && !(expected instanceof Type.Optional)) {
      checker.diagnostics.add(checker.optionalError(source, arg.type()));
      return false;
    }
    if (!Type.assignable(arg.type(), expected)) {
      checker.diagnostics.add(checker.mismatch(source, ExprChecker.aType(expected), arg.type()));
      return false;
    }
    return true;
  }
}
