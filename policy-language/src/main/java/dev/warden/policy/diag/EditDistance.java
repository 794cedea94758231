package dev.warden.policy.diag;

import java.util.Collection;
import java.util.Optional;

/** Finds the closest known name to a misspelled one, for "did you mean" help lines. */
public final class EditDistance {
  private EditDistance() {}

  /** The candidate nearest to {@code name}, if one is close enough to be a likely typo. */
  public static Optional<String> closest(String name, Collection<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    int allowed = Math.max(1, name.length() / 3);
    for (String c : candidates) {
      if (Math.abs(c.length() - name.length()) > allowed) {
        continue;
      }
      int d = distance(name.toLowerCase(), c.toLowerCase());
      if (d < bestDistance || (d == bestDistance && best != null && c.compareTo(best) < 0)) {
        bestDistance = d;
        best = c;
      }
    }
    return bestDistance <= allowed ? Optional.ofNullable(best) : Optional.empty();
  }

  /** Optimal string alignment distance (Levenshtein with adjacent transpositions). */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
