package dev.warden.policy.compile;

import dev.warden.policy.diag.Span;
import dev.warden.policy.runtime.EvalError;
import dev.warden.policy.runtime.HeaderRules;
import dev.warden.policy.runtime.Obligations;
import dev.warden.policy.runtime.RequestLine;
import dev.warden.policy.runtime.RuleRef;
import java.util.ArrayList;
import java.util.List;

/**
 * The `on allow` and `on deny` obligations of one route, compiled: the headers to write with
 * their value closures, in order, and the names and patterns to strip, precomputed. A route
 * without any has none of this (null), so its decisions do no extra work.
 */
final class CompiledObligations {
  /** A `set` or `append` of a header, with the `on` block it belongs to. */
  static final class Write {
    final boolean append;
    final boolean response;
    final String name;
    final Eval value;
    final RuleRef block;
    final Span span;
    final String describe;

    Write(boolean append, boolean response, String name, Eval value, RuleRef block, Span span, String describe) {
      this.append = append;
      this.response = response;
      this.name = name;
      this.value = value;
      this.block = block;
      this.span = span;
      this.describe = describe;
    }

    /**
     * The value, or null for an absent `string?`. One step, the expression's own cost, and the
     * value's length as for any string produced ({@link Cost}).
     */
    String eval(Frame f) {
      f.step();
      Object v = value.eval(f);
      if (v == null) {
        return null;
      }
      String s = (String) v;
      Cost.chars(f, s.length());
      String bad = HeaderRules.valueProblem(s);
      if (bad != null) {
        throw new EvalException(EvalError.Kind.HEADER_VALUE, span, "the value of " + describe + " has " + bad);
      }
      return s;
    }
  }

  /** Why an allow's obligation could not be evaluated: the allow fails closed. */
  record Failure(Write write, EvalError.Kind kind, String message) {}

  private final Write[] onAllow;
  private final Write[] onDeny;
  private final List<String> remove;
  private final List<String> patterns;
  /** The obligations of an allow when nothing is written: the removals alone. */
  private final Obligations fixed;

  /**
   * @param remove `remove header` names, and the names the bundle's obligations write on other
   *     routes, which a client must not send on this one either
   */
  CompiledObligations(List<Write> onAllow, List<Write> onDeny, List<String> remove, List<String> patterns) {
    this.onAllow = onAllow.toArray(new Write[0]);
    this.onDeny = onDeny.toArray(new Write[0]);
    this.remove = List.copyOf(remove);
    this.patterns = List.copyOf(patterns);
    this.fixed = new Obligations(List.of(), this.remove, this.patterns, List.of(), List.of());
  }

  boolean hasDeny() {
    return onDeny.length > 0;
  }

  /**
   * The obligations of an allow, with the request line's strips; null when a value could not be
   * evaluated, with the failure in {@code f.obligationFailure} and the error recorded. The limits
   * of the decision (budget, deadline, a first try's steps) end the decision, as in conditions.
   */
  Obligations allow(Frame f) {
    RequestLine line = f.line;
    boolean strips = !line.stripHeaders().isEmpty() || !line.stripQuery().isEmpty();
    if (onAllow.length == 0 && !strips) {
      return fixed;
    }
    List<Obligations.Header> upstream = new ArrayList<>(onAllow.length);
    List<Obligations.Header> response = new ArrayList<>(2);
    List<String> absent = null;
    for (Write w : onAllow) {
      String v;
      try {
        v = w.eval(f);
      } catch (EvalException e) {
        if (!e.yielded) {
          f.error(w.block, e.kind, e.span != null ? e.span : w.span, e.getMessage());
        }
        if (e.yielded || e.budget()) {
          throw e;
        }
        f.obligationFailure = new Failure(w, e.kind, e.getMessage());
        return null;
      }
      if (v == null) {
        if (!w.response) {
          if (absent == null) {
            absent = new ArrayList<>(2);
          }
          absent.add(w.name);
        }
      } else {
        (w.response ? response : upstream).add(new Obligations.Header(w.name, v, w.append));
      }
    }
    List<String> removed = new ArrayList<>(remove);
    removed.addAll(line.stripHeaders());
    if (absent != null) {
      // An absent value writes nothing, and the client's copy goes all the same.
      for (String name : absent) {
        if (upstream.stream().noneMatch(h -> h.name().equals(name)) && !removed.contains(name)) {
          removed.add(name);
        }
      }
    }
    return new Obligations(upstream, removed, patterns, line.stripQuery(), response);
  }

  /**
   * The response headers of a denial of this route. A value that cannot be evaluated is left out
   * (the request is denied anyway) and its error recorded; past a limit of the decision the rest
   * are left out too.
   */
  Obligations deny(Frame f) {
    List<Obligations.Header> response = new ArrayList<>(onDeny.length);
    for (Write w : onDeny) {
      try {
        String v = w.eval(f);
        if (v != null) {
          response.add(new Obligations.Header(w.name, v, w.append));
        }
      } catch (EvalException e) {
        if (e.yielded) {
          throw e;
        }
        f.error(w.block, e.kind, e.span != null ? e.span : w.span, e.getMessage());
        if (e.budget()) {
          break;
        }
      }
    }
    return response.isEmpty() ? Obligations.NONE
        : new Obligations(List.of(), List.of(), List.of(), List.of(), response);
  }
}
