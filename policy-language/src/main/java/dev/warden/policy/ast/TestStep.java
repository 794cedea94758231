package dev.warden.policy.ast;

import dev.warden.policy.diag.Span;
import java.time.Instant;
import java.util.List;

/** One line of a `test` block. */
public sealed interface TestStep {
  Span span();

  /**
   * `request GET /orders/1 as {…} peer "spiffe://…" at 2026-01-01 from "10.0.0.1" headers {…}`.
   * Absent options are null; {@code anonymous} is true for `as anonymous`.
   */
  record Request(
      Span span,
      String method,
      String target,
      boolean anonymous,
      Expr claims,
      String peer,
      Instant at,
      String from,
      Expr headers,
      Expr body)
      implements TestStep {
    /** A request without a body. */
    public Request(Span span, String method, String target, boolean anonymous, Expr claims, String peer, Instant at,
        String from, Expr headers) {
      this(span, method, target, anonymous, claims, peer, at, from, headers, null);
    }
  }

  /** `repeat 5 { request … expect … }`: the steps inside, {@code times} times over. */
  record Repeat(Span span, long times, Span timesSpan, List<TestStep> steps) implements TestStep {
    public Repeat {
      steps = List.copyOf(steps);
    }
  }

  /** `wait 30s`: the test's clock moves on by {@code duration} before the next request. */
  record Wait(Span span, java.time.Duration duration) implements TestStep {}

  /** `data orders["k"] = {…}` ({@code key} non-null) or `data orders = {…}`. */
  record Data(Span span, String name, Span nameSpan, Expr key, Expr value) implements TestStep {}

  /**
   * `expect allow [with header "…" = "…" …]`; `expect shadow allow …` ({@code shadow}) for the
   * would-be decision with the bundle's shadow rules enforced.
   */
  record ExpectAllow(Span span, boolean shadow, List<HeaderCheck> headers) implements TestStep {
    public ExpectAllow {
      headers = List.copyOf(headers);
    }

    public ExpectAllow(Span span, List<HeaderCheck> headers) {
      this(span, false, headers);
    }
  }

  /**
   * `expect [shadow] deny [status] [by rule] [reason "…"] [with response header …]`; absent parts
   * are null.
   */
  record ExpectDeny(Span span, boolean shadow, Integer status, String rule, String reason, List<HeaderCheck> headers)
      implements TestStep {
    public ExpectDeny {
      headers = List.copyOf(headers);
    }

    public ExpectDeny(Span span, Integer status, String rule, String reason, List<HeaderCheck> headers) {
      this(span, false, status, rule, reason, headers);
    }
  }

  /**
   * `with header "x-user-id" = "alice"` (present, with that value; {@code value} null: any),
   * `without header "x-debug"` ({@code present} false); {@code response} for `response header`.
   */
  record HeaderCheck(Span span, boolean present, boolean response, String name, Span nameSpan, String value) {}
}
