package dev.warden.server.openapi;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns OpenAPI names (operation ids, titles, parameter names) into Warden names. Every name this
 * class returns matches `[a-zA-Z_][a-zA-Z_0-9]*` and is not a Warden keyword, so it is valid as a
 * route, package or path parameter name; the same input always gives the same output.
 */
public final class WardenNames {
  static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  /** The keywords of docs/language.md "Lexical structure": never a route, package or parameter name. */
  static final Set<String> KEYWORDS = Set.of(
      "package", "principal", "api", "owner", "route", "since", "retired", "role", "extends", "allow", "deny",
      "permit", "forbid", "when", "unless", "because", "data", "test", "request", "expect", "by", "reason", "as",
      "anonymous", "peer", "at", "from", "headers", "schema", "quota", "redact", "lookup", "on", "and", "or", "not",
      "in", "is", "has", "matches", "any", "all", "true", "false",
      "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");

  private WardenNames() {}

  /** Whether {@code s} may be used as a Warden name as it is. */
  public static boolean isName(String s) {
    return NAME.matcher(s).matches() && !KEYWORDS.contains(s);
  }

  /**
   * A name in camelCase from any text: runs of letters and digits are kept as they are (so
   * `listPets` stays `listPets`), every other character separates words, and each word after the
   * first starts with a capital (`repos/list-for-org` → `reposListForOrg`). A name that would
   * start with a digit gets a leading `_`, a keyword a trailing `_`, an empty one is {@code fallback}.
   */
  public static String camel(String text, String fallback) {
    String s = identifier(text, fallback);
    return KEYWORDS.contains(s) ? s + "_" : s;
  }

  /**
   * As {@link #camel}, but a keyword stays as it is: for path parameter names, which may be
   * keywords (`/repos/{owner}`: the policy reads it as `request.path.owner`).
   */
  public static String identifier(String text, String fallback) {
    StringBuilder b = new StringBuilder();
    boolean newWord = false;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      boolean keep = cp < 128 && (Character.isLetterOrDigit(cp) || cp == '_');
      if (!keep) {
        newWord = b.length() > 0;
        continue;
      }
      if (newWord && Character.isLetter(cp)) {
        b.append(Character.toUpperCase((char) cp));
      } else {
        b.append((char) cp);
      }
      newWord = false;
    }
    String s = b.length() == 0 ? fallback : b.toString();
    return Character.isDigit(s.charAt(0)) ? "_" + s : s;
  }

  /**
   * A lower-case snake_case name from a title (`Swagger Petstore` → `swagger_petstore`), for the
   * package: the same rules as {@link #camel} otherwise.
   */
  public static String snake(String text, String fallback) {
    StringBuilder b = new StringBuilder();
    boolean sep = false;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      if (cp < 128 && Character.isLetterOrDigit(cp)) {
        if (sep && b.length() > 0) {
          b.append('_');
        }
        b.append(Character.toLowerCase((char) cp));
        sep = false;
      } else {
        sep = true;
      }
    }
    return finish(b.toString(), fallback);
  }

  private static String finish(String s, String fallback) {
    if (s.isEmpty()) {
      s = fallback;
    }
    if (Character.isDigit(s.charAt(0))) {
      s = "_" + s;
    }
    return KEYWORDS.contains(s) ? s + "_" : s;
  }

  /** A word with its first letter in capitals (`pets` → `Pets`), for names built from parts. */
  static String capitalize(String s) {
    return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1);
  }

  /**
   * Hands out names unique among those taken so far: the first `name` keeps it, later ones get
   * `name2`, `name3`… (skipping any already taken), so the result depends only on the order of
   * the requests.
   */
  static final class Unique {
    private final Set<String> taken = new HashSet<>();

    String take(String name) {
      if (taken.add(name)) {
        return name;
      }
      for (int n = 2; ; n++) {
        String candidate = name + n;
        if (taken.add(candidate)) {
          return candidate;
        }
      }
    }
  }
}
