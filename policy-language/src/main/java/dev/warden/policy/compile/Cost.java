package dev.warden.policy.compile;

/**
 * The cost model of the step budget, in one place so that every operation follows the same
 * rule: one step per element scanned or compared, per map entry or record field visited, and per
 * 32 characters read, compared or produced. Strings of at most {@link #FREE_CHARS} characters
 * cost nothing extra, so the common decision (a few comparisons of ids and short header values)
 * pays no more than before and does one length check per string operation.
 *
 * <p>Hash lookups of a string cost no extra step: a string caches its hash code, so each string
 * is hashed once, and a string built at run time was charged by its length when it was built.
 *
 * <p>Charges are made before the work, so that an operation too large for the budget is refused
 * instead of run.
 */
final class Cost {
  /** Strings up to this many characters are read for free. */
  static final int FREE_CHARS = 64;
  /** One step per {@code 1 << CHAR_SHIFT} = 32 characters: a shift, not a division. */
  static final int CHAR_SHIFT = 5;

  private Cost() {}

  /** Charges reading, comparing or producing {@code n} characters. */
  static void chars(Frame f, long n) {
    if (n > FREE_CHARS) {
      f.charge(n >>> CHAR_SHIFT);
    }
  }

  /** Charges comparing two strings, which reads at most the shorter one. */
  static void compare(Frame f, String a, String b) {
    if (a.length() > FREE_CHARS && b.length() > FREE_CHARS) {
      f.charge(Math.min(a.length(), b.length()) >>> CHAR_SHIFT);
    }
  }

  /**
   * Charges {@code s.contains(p)}: {@code String.indexOf} may compare every position of {@code s}
   * with most of {@code p}, so the worst case is the product of the lengths. A needle longer than
   * the haystack is refused at once and counts as long as the haystack.
   */
  static void search(Frame f, String s, String p) {
    int n = s.length();
    if (n > FREE_CHARS) {
      int m = Math.min(p.length(), n);
      f.charge(((n >>> CHAR_SHIFT) + 1L) * ((m >>> CHAR_SHIFT) + 1L));
    }
  }

  /**
   * The weight of a regular expression: RE2 runs in time linear in the subject, times the size of
   * the compiled program in the worst case.
   */
  static long regexWeight(com.google.re2j.Pattern pattern) {
    return 1L + (pattern.programSize() >>> CHAR_SHIFT);
  }

  /** Charges matching a subject of {@code n} characters against a pattern of this weight. */
  static void regex(Frame f, int n, long weight) {
    if (n > FREE_CHARS) {
      f.charge((n >>> CHAR_SHIFT) * weight);
    }
  }
}
