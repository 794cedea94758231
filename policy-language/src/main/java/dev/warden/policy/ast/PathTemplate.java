package dev.warden.policy.ast;

import java.util.List;
import java.util.Optional;

/**
 * A route's path as declared: literal segments, typed parameters ({@code {id:uuid}}) and an
 * optional trailing {@code **} that matches the rest of the path.
 */
public record PathTemplate(String text, List<Segment> segments) {
  public PathTemplate {
    segments = List.copyOf(segments);
  }

  /** The types a path parameter may declare. */
  public enum ParamType {
    STRING,
    INT,
    UUID;

    public static Optional<ParamType> named(String name) {
      return switch (name) {
        case "string" -> Optional.of(STRING);
        case "int" -> Optional.of(INT);
        case "uuid" -> Optional.of(UUID);
        default -> Optional.empty();
      };
    }

    public String keyword() {
      return name().toLowerCase();
    }
  }

  /** One path segment. */
  public sealed interface Segment {}

  public record Literal(String text) implements Segment {}

  public record Param(String name, ParamType type) implements Segment {}

  /** {@code **}: any number of remaining segments, bound to nothing. */
  public record Rest() implements Segment {}

  /** {@code *}: exactly one segment; only in grant and rule patterns, never in a route. */
  public record Wildcard() implements Segment {}

  public List<Param> params() {
    return segments.stream().filter(Param.class::isInstance).map(Param.class::cast).toList();
  }

  @Override
  public String toString() {
    return text;
  }
}
