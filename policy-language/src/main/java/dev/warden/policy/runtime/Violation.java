package dev.warden.policy.runtime;

import java.util.Objects;
import java.util.Set;

/**
 * One way a request does not match its route's schema: where (a field path such as
 * `body.items[2].qty`, `body.extra`, `query.limit`, `headers.idempotency-key`, or `body` for the
 * body as a whole) and what is wrong, as a stable code. Never the value: a violation may be shown
 * to the client, and the value may be a secret sent in the wrong place.
 *
 * @param path the field, from `body`, `query` or `headers`
 * @param problem one of {@link #PROBLEMS}
 */
public record Violation(String path, String problem) {
  /**
   * The problem codes: an undeclared field or parameter, a required one missing, the wrong type,
   * a number out of range, a string of the wrong length, a string not matching its pattern or
   * format or enum, an array with too few or too many items, nesting too deep, a body too large,
   * a scalar parameter given more than once, a body that is not what its content type says.
   */
  public static final Set<String> PROBLEMS = Set.of("unknown", "required", "type", "range", "length", "pattern",
      "format", "enum", "items", "depth", "size", "repeated", "syntax");

  public Violation {
    Objects.requireNonNull(path, "path");
    if (!PROBLEMS.contains(problem)) {
      throw new IllegalArgumentException("schema violation problem `" + problem + "`; expected one of " + PROBLEMS);
    }
  }

  @Override
  public String toString() {
    return path + " (" + problem + ")";
  }
}
