package dev.warden.policy.parser;

import dev.warden.policy.ast.PathTemplate;
import dev.warden.policy.ast.PathTemplate.ParamType;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.SourceFile;
import dev.warden.policy.diag.Span;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/** Parses the path of a route (`/orders/{id:uuid}`) or of a pattern (`/admin/**`). */
final class PathTemplates {
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern LITERAL = Pattern.compile("[A-Za-z0-9._~!$&'+;=:@-]+");

  private PathTemplates() {}

  /**
   * @param offset where the path starts in the source, for diagnostic spans
   * @param pattern whether `*` segments are allowed (grant and rule targets)
   */
  static PathTemplate parse(
      String text, SourceFile source, int offset, boolean pattern, Consumer<Diagnostic> report) {
    List<PathTemplate.Segment> segments = new ArrayList<>();
    Set<String> names = new HashSet<>();
    if (text.equals("/")) {
      return new PathTemplate(text, segments);
    }
    int pos = 1;
    String[] parts = text.substring(1).split("/", -1);
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      Span span = source.span(offset + pos, Math.max(1, part.length()));
      boolean last = i == parts.length - 1;
      if (part.isEmpty()) {
        report.accept(
            Diagnostic.error("parse.bad_path", span, last ? "path ends with `/`" : "path has an empty segment `//`")
                .withHelp("write paths like `/orders/{id}`"));
      } else if (part.equals("**")) {
        if (!last) {
          report.accept(
              Diagnostic.error("parse.bad_path", span, "`**` may only be the last segment of a path"));
        }
        segments.add(new PathTemplate.Rest());
      } else if (part.equals("*")) {
        if (!pattern) {
          report.accept(
              Diagnostic.error("parse.bad_path", span, "a route cannot contain `*`")
                  .withHelp("declare a parameter instead, such as `{id}`"));
        }
        segments.add(new PathTemplate.Wildcard());
      } else if (part.startsWith("{") && part.endsWith("}")) {
        String inner = part.substring(1, part.length() - 1);
        int colon = inner.indexOf(':');
        String name = colon < 0 ? inner : inner.substring(0, colon);
        String typeName = colon < 0 ? "string" : inner.substring(colon + 1);
        ParamType type = ParamType.named(typeName).orElse(null);
        if (!NAME.matcher(name).matches()) {
          report.accept(
              Diagnostic.error("parse.bad_path", span, "`" + name + "` is not a valid parameter name")
                  .withHelp("parameter names are letters, digits and `_`, such as `{orderId}`"));
        } else if (type == null) {
          report.accept(
              Diagnostic.error("parse.bad_path", span, "unknown parameter type `" + typeName + "`")
                  .withHelp("use `string`, `int` or `uuid`, such as `{" + name + ":uuid}`"));
        } else if (!names.add(name)) {
          report.accept(
              Diagnostic.error("parse.bad_path", span, "parameter `" + name + "` appears twice in the path"));
        } else {
          segments.add(new PathTemplate.Param(name, type));
        }
      } else if (part.equals(".") || part.equals("..")) {
        report.accept(
            Diagnostic.error("parse.bad_path", span, "`" + part + "` can never match: dot segments are resolved before routing")
                .withHelp("`/a/../b` is `/b` when Warden reads a request; write the path it resolves to"));
      } else if (part.indexOf(';') >= 0) {
        report.accept(
            Diagnostic.error("parse.bad_path", span, "`" + part + "` can never match: a request path with `;` is refused")
                .withHelp("path parameters (`;jsessionid=…`) are refused, or stripped with bundle.yaml"
                    + " `requests.path_parameters: strip`; either way no segment holds `;`"));
      } else if (!LITERAL.matcher(part).matches()) {
        report.accept(
            Diagnostic.error("parse.bad_path", span, "`" + part + "` is not a valid path segment")
                .withHelp(part.contains("?")
                    ? "a route's path has no query string; query parameters are not part of routing"
                    : "segments are letters, digits and `-._~`, or a parameter such as `{id}`"));
      } else {
        segments.add(new PathTemplate.Literal(part));
      }
      pos += part.length() + 1;
    }
    return new PathTemplate(text, segments);
  }
}
