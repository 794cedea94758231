package dev.warden.policy.compile;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/**
 * An immutable list of scalars that answers `x in list` by a hash lookup. Everything else,
 * equality and hash code included, is that of an ordinary list of the same elements.
 */
final class IndexedList extends AbstractList<Object> implements RandomAccess, Indexed {
  private final Object[] items;
  private final ScalarIndex index;

  private IndexedList(Object[] items, ScalarIndex index) {
    this.items = items;
    this.index = index;
  }

  /** {@code items} as an immutable list, indexed when every item is a scalar. */
  static List<Object> of(List<Object> items) {
    ScalarIndex index = ScalarIndex.of(items);
    return index == null ? java.util.Collections.unmodifiableList(items) : new IndexedList(items.toArray(), index);
  }

  @Override
  public Object get(int i) {
    return items[i];
  }

  @Override
  public int size() {
    return items.length;
  }

  @Override
  public ScalarIndex index() {
    return index;
  }
}
