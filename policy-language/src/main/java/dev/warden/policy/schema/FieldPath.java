package dev.warden.policy.schema;

/**
 * Where a value is in a request, built as validation descends and printed only for a violation:
 * `body`, `body.items[2].qty`, `query.limit`, `headers.idempotency-key`. A name that is not a
 * plain word, or is longer than 64 code points, prints bracketed and JSON-escaped (`body["a b"]`,
 * cut after 64 code points with `…`), so a client's key can never forge the look of another path
 * nor carry a value into it. Immutable.
 */
public final class FieldPath {
  private final FieldPath parent;
  private final String name;
  private final int index;

  private FieldPath(FieldPath parent, String name, int index) {
    this.parent = parent;
    this.name = name;
    this.index = index;
  }

  /** A root: `body`, `query` or `headers`. */
  public static FieldPath root(String name) {
    return new FieldPath(null, name, -1);
  }

  /** The field {@code name} of this value. */
  public FieldPath field(String name) {
    return new FieldPath(this, name, -1);
  }

  /** Element {@code i} of this list. */
  public FieldPath at(int i) {
    return new FieldPath(this, null, i);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    append(b);
    return b.toString();
  }

  private void append(StringBuilder b) {
    if (parent == null) {
      b.append(name);
      return;
    }
    parent.append(b);
    if (name == null) {
      b.append('[').append(index).append(']');
    } else if (plain(name) && name.length() <= 64) {
      b.append('.').append(name);
    } else {
      b.append("[\"");
      int[] cps = name.codePoints().limit(65).toArray();
      for (int i = 0; i < Math.min(64, cps.length); i++) {
        int cp = cps[i];
        if (cp == '"' || cp == '\\') {
          b.append('\\').appendCodePoint(cp);
        } else if (cp < 0x20 || cp > 0x7e) {
          for (char ch : Character.toChars(cp)) {
            b.append(String.format("\\u%04x", (int) ch));
          }
        } else {
          b.appendCodePoint(cp);
        }
      }
      b.append(cps.length > 64 ? "…\"]" : "\"]");
    }
  }

  /** `[A-Za-z_][A-Za-z0-9_-]*`. */
  private static boolean plain(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean letter = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_';
      if (!(letter || i > 0 && (c >= '0' && c <= '9' || c == '-'))) {
        return false;
      }
    }
    return true;
  }
}
