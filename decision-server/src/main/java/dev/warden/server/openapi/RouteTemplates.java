package dev.warden.server.openapi;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OpenAPI path templates as Warden route paths. Every path {@link #toWarden} returns parses as a
 * Warden route path (docs/language.md, "The API registry"): literal segments of the characters
 * Warden allows, parameters with valid, distinct names, no empty segment and no trailing `/`.
 * {@link #shape} is the key the drift check compares: method aside, two paths have the same
 * shape exactly when they differ only in parameter names and types.
 */
public final class RouteTemplates {
  private static final Pattern LITERAL = Pattern.compile("[A-Za-z0-9._~!$&'+=:@-]+");
  private static final Pattern PARAM = Pattern.compile("\\{([^{}/]*)}");

  /** The type of a path parameter, as Warden declares it (`{id}`, `{id:int}`, `{id:uuid}`). */
  public enum ParamType { STRING, INT, UUID }

  /** A Warden path and what the conversion had to change (empty when the path maps as it is). */
  public record Converted(String path, List<String> notes) {}

  private RouteTemplates() {}

  /**
   * The Warden path of an OpenAPI path. {@code types} gives each OpenAPI parameter's type by its
   * name in the spec (a name not in it is a string). A segment Warden cannot match literally
   * (`{name}.json`, `a,b`) becomes one string parameter, with a note saying so.
   */
  public static Converted toWarden(String openApiPath, Map<String, ParamType> types) {
    List<String> notes = new ArrayList<>();
    List<String> out = new ArrayList<>();
    WardenNames.Unique names = new WardenNames.Unique();
    String[] parts = openApiPath.split("/", -1);
    boolean empty = false;
    for (int i = 1; i < parts.length; i++) {
      String part = parts[i];
      if (part.isEmpty()) {
        empty |= i < parts.length - 1 || parts.length > 2;
        continue;
      }
      Matcher whole = PARAM.matcher(part);
      if (whole.matches()) {
        String specName = whole.group(1);
        String name = names.take(WardenNames.identifier(specName, "param"));
        out.add("{" + name + suffix(types.getOrDefault(specName, ParamType.STRING)) + "}");
      } else if (LITERAL.matcher(part).matches() && !part.equals(".") && !part.equals("..")) {
        out.add(part);
      } else {
        Matcher inner = PARAM.matcher(part);
        String base = inner.find() ? WardenNames.identifier(inner.group(1), "segment") : "segment" + i;
        String name = names.take(base);
        out.add("{" + name + "}");
        notes.add("segment `" + part + "` is not a Warden literal: matched whole as {" + name + "}");
      }
    }
    if (empty) {
      notes.add("empty segments and the trailing `/` of `" + openApiPath + "` dropped");
    }
    return new Converted("/" + String.join("/", out), notes);
  }

  /**
   * The shape of a Warden path: parameters as `{}`, whatever their name and type
   * (`/pets/{petId}` and `/pets/{id:int}` are both `/pets/{}`); literals and `**` as they are.
   */
  public static String shape(String wardenPath) {
    if (wardenPath.equals("/")) {
      return "/";
    }
    StringBuilder b = new StringBuilder();
    for (String part : wardenPath.substring(1).split("/", -1)) {
      b.append('/').append(part.startsWith("{") && part.endsWith("}") ? "{}" : part);
    }
    return b.toString();
  }

  private static String suffix(ParamType type) {
    return switch (type) {
      case STRING -> "";
      case INT -> ":int";
      case UUID -> ":uuid";
    };
  }
}
