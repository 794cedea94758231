package dev.warden.policy.diag;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/**
 * Collects diagnostics up to a cap, so that a hostile file cannot produce millions of them. Not
 * thread-safe: one collector serves one compilation.
 */
public final class Diagnostics {
  /** How many diagnostics a compilation keeps before it only counts. */
  public static final int DEFAULT_LIMIT = 50;

  private final List<Diagnostic> items = new ArrayList<>();
  private final int limit;
  private int dropped;
  private int errors;

  public Diagnostics() {
    this(DEFAULT_LIMIT);
  }

  public Diagnostics(int limit) {
    this.limit = limit;
  }

  public void add(Diagnostic d) {
    if (d.isError()) {
      errors++;
    }
    if (items.size() < limit) {
      items.add(d);
    } else {
      dropped++;
    }
  }

  public void addAll(List<Diagnostic> ds) {
    ds.forEach(this::add);
  }

  public boolean hasErrors() {
    return errors > 0;
  }

  public int errorCount() {
    return errors;
  }

  /** How many diagnostics were counted but not kept because the cap was reached. */
  public int dropped() {
    return dropped;
  }

  /** The kept diagnostics in file, line and column order. */
  public List<Diagnostic> sorted() {
    List<Diagnostic> copy = new ArrayList<>(items);
    copy.sort(
        Comparator.comparing((Diagnostic d) -> d.span().file())
            .thenComparingInt(d -> d.span().line())
            .thenComparingInt(d -> d.span().column()));
    return Collections.unmodifiableList(copy);
  }
}
