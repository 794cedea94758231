package dev.warden.policy.compile;

import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Set;

/**
 * An immutable set of numbers (and other scalars) that answers `x in set` by value: a set's own
 * lookup finds 1 but not 1.0. {@link #contains} stays the set's Java lookup, so equality and hash
 * code are those of the wrapped set.
 */
final class IndexedSet extends AbstractSet<Object> implements Indexed {
  private final Set<Object> items;
  private final ScalarIndex index;

  private IndexedSet(Set<Object> items, ScalarIndex index) {
    this.items = items;
    this.index = index;
  }

  /**
   * {@code items} as an immutable set; indexed when it holds numbers, the one case its own lookup
   * is not policy membership.
   */
  static Set<Object> of(Set<Object> items) {
    Set<Object> frozen = java.util.Collections.unmodifiableSet(items);
    if (items.stream().noneMatch(x -> x instanceof Number)) {
      return frozen;
    }
    ScalarIndex index = ScalarIndex.of(items);
    return index == null ? frozen : new IndexedSet(frozen, index);
  }

  @Override
  public Iterator<Object> iterator() {
    return items.iterator();
  }

  @Override
  public int size() {
    return items.size();
  }

  @Override
  public boolean contains(Object o) {
    return items.contains(o);
  }

  @Override
  public ScalarIndex index() {
    return index;
  }
}
