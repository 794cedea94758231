package dev.warden.policy.ast;

import dev.warden.policy.diag.Span;

/** What a grant or rule applies to: routes by name, by pattern, or all of them. */
public sealed interface Target {
  Span span();

  /** `*`: every declared route. */
  record All(Span span) implements Target {}

  /** `read` or `orders.read`, or `orders.*` when {@code wildcard}. */
  record Named(Span span, String name, boolean wildcard) implements Target {}

  /** `GET /customers/{id}` or `/admin/**`; {@code method} is null for any method. */
  record Path(Span span, String method, PathTemplate path) implements Target {}
}
