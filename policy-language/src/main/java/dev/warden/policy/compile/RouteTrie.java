package dev.warden.policy.compile;

import dev.warden.policy.ast.PathTemplate;
import java.util.HashMap;
import java.util.Map;

/**
 * Finds the declared route for a method and path. One trie per method, keyed by path segment:
 * lookup cost grows with the path's depth, never with the number of routes. Literal segments win
 * over parameters, `int` over `uuid` over `string` parameters, and those over a trailing `**`.
 */
final class RouteTrie {
  private final Node[] roots = new Node[7];
  private int maxParams;

  private static final class Node {
    /** Filled while routes are added; {@link #freeze} turns it into {@link #table}. */
    Map<String, Node> literals = new HashMap<>();
    LiteralTable<Node> table;
    Node intParam;
    Node uuidParam;
    Node stringParam;
    CompiledRoute end;
    CompiledRoute rest;
  }


  void add(CompiledRoute route) {
    int m = methodIndex(route.method);
    if (roots[m] == null) {
      roots[m] = new Node();
    }
    Node node = roots[m];
    int params = 0;
    for (PathTemplate.Segment s : route.template.segments()) {
      if (s instanceof PathTemplate.Literal l) {
        node = node.literals.computeIfAbsent(l.text(), k -> new Node());
      } else if (s instanceof PathTemplate.Param p) {
        params++;
        Node parent = node;
        node = switch (p.type()) {
          case INT -> parent.intParam == null ? (parent.intParam = new Node()) : parent.intParam;
          case UUID -> parent.uuidParam == null ? (parent.uuidParam = new Node()) : parent.uuidParam;
          case STRING -> parent.stringParam == null ? (parent.stringParam = new Node()) : parent.stringParam;
        };
      } else {
        node.rest = route;
        maxParams = Math.max(maxParams, params);
        return;
      }
    }
    node.end = route;
    maxParams = Math.max(maxParams, params);
  }

  /** Builds the lookup tables; call once after the last {@link #add}. */
  void freeze() {
    for (Node root : roots) {
      freeze(root);
    }
  }

  private static void freeze(Node n) {
    if (n == null || n.table != null) {
      return;
    }
    n.table = new LiteralTable<>(n.literals);
    n.literals.values().forEach(RouteTrie::freeze);
    freeze(n.intParam);
    freeze(n.uuidParam);
    freeze(n.stringParam);
    n.literals = null;
  }

  /**
   * The route for a request, or null when no declared route matches. The raw text of its
   * parameters lands in {@code captured}, in path order (see {@link #captureSize()}).
   */
  CompiledRoute match(String method, String path, Object[] captured) {
    int m = methodIndex(method);
    if (m < 0 || roots[m] == null || path.isEmpty() || path.charAt(0) != '/') {
      return null;
    }
    return path.length() == 1 ? end(roots[m]) : walk(roots[m], path, 0, captured, 0);
  }

  /** How many parameters the deepest route captures: the size of the capture array. */
  int captureSize() {
    return maxParams;
  }

  /** The trie of each method the grammar knows; -1 for any other. */
  private static int methodIndex(String method) {
    return switch (method) {
      case "GET" -> 0;
      case "POST" -> 1;
      case "PUT" -> 2;
      case "PATCH" -> 3;
      case "DELETE" -> 4;
      case "HEAD" -> 5;
      case "OPTIONS" -> 6;
      default -> -1;
    };
  }

  private static CompiledRoute end(Node n) {
    return n.end != null ? n.end : n.rest;
  }

  /** Recursion depth is bounded by the deepest declared route, not by the request's path. */
  private static CompiledRoute walk(Node node, String path, int pos, Object[] captured, int count) {
    if (pos >= path.length()) {
      return end(node);
    }
    int next = path.indexOf('/', pos + 1);
    if (next < 0) {
      next = path.length();
    }
    if (next > pos + 1) {
      Node literal = node.table.get(path, pos + 1, next);
      CompiledRoute found = literal == null ? null : walk(literal, path, next, captured, count);
      boolean params = node.intParam != null || node.uuidParam != null || node.stringParam != null;
      String segment = found == null && params ? path.substring(pos + 1, next) : null;
      if (found == null && node.intParam != null && count < captured.length && isInt(segment)) {
        captured[count] = segment;
        found = walk(node.intParam, path, next, captured, count + 1);
      }
      if (found == null && node.uuidParam != null && count < captured.length && isUuid(segment)) {
        captured[count] = segment;
        found = walk(node.uuidParam, path, next, captured, count + 1);
      }
      if (found == null && node.stringParam != null && count < captured.length) {
        captured[count] = segment;
        found = walk(node.stringParam, path, next, captured, count + 1);
      }
      if (found != null) {
        return found;
      }
    }
    return node.rest;
  }

  static boolean isInt(String s) {
    if (s.isEmpty()) {
      return false;
    }
    int start = s.charAt(0) == '-' ? 1 : 0;
    if (s.length() == start || s.length() - start > 18) {
      return false;
    }
    for (int i = start; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  static boolean isUuid(String s) {
    if (s.length() != 36) {
      return false;
    }
    for (int i = 0; i < 36; i++) {
      char c = s.charAt(i);
      boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
      // ASCII hex only: Character.digit would take `٢` (Arabic-Indic two) as a digit.
      if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
        return false;
      }
    }
    return true;
  }
}
