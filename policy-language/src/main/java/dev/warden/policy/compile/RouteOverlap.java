package dev.warden.policy.compile;

import dev.warden.policy.ast.PathTemplate;
import dev.warden.policy.ast.PathTemplate.Literal;
import dev.warden.policy.ast.PathTemplate.Param;
import dev.warden.policy.ast.PathTemplate.ParamType;
import dev.warden.policy.ast.PathTemplate.Rest;
import dev.warden.policy.ast.PathTemplate.Segment;
import java.util.List;

/**
 * Whether some path matches two route templates, as {@link RouteTrie} matches: a literal segment
 * only itself, an `int` parameter ASCII digits, a `uuid` parameter the canonical form, a
 * `string` parameter any segment, and a trailing `**` whatever follows (nothing included).
 * Exact, not a heuristic: two templates overlap exactly when a path exists that both match.
 */
final class RouteOverlap {
  private RouteOverlap() {}

  static boolean overlap(PathTemplate a, PathTemplate b) {
    return overlap(a.segments(), 0, b.segments(), 0);
  }

  private static boolean overlap(List<Segment> a, int i, List<Segment> b, int j) {
    boolean aEnd = i == a.size();
    boolean bEnd = j == b.size();
    if (!aEnd && a.get(i) instanceof Rest || !bEnd && b.get(j) instanceof Rest) {
      return true;
    }
    if (aEnd || bEnd) {
      return aEnd && bEnd;
    }
    return segmentsMeet(a.get(i), b.get(j)) && overlap(a, i + 1, b, j + 1);
  }

  /** Whether one path segment can match both. */
  private static boolean segmentsMeet(Segment x, Segment y) {
    if (x instanceof Literal l && y instanceof Literal m) {
      return l.text().equals(m.text());
    }
    if (x instanceof Literal l && y instanceof Param p) {
      return accepts(p.type(), l.text());
    }
    if (x instanceof Param p && y instanceof Literal l) {
      return accepts(p.type(), l.text());
    }
    ParamType s = ((Param) x).type();
    ParamType t = ((Param) y).type();
    // An `int` segment is at most 19 characters, a `uuid` one 36: no segment is both.
    return s == t || s == ParamType.STRING || t == ParamType.STRING;
  }

  private static boolean accepts(ParamType type, String segment) {
    return switch (type) {
      case INT -> RouteTrie.isInt(segment);
      case UUID -> RouteTrie.isUuid(segment);
      case STRING -> !segment.isEmpty();
    };
  }
}
