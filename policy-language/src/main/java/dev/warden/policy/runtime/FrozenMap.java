package dev.warden.policy.runtime;

import java.util.AbstractMap;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A read-only map whose maker promises it never changes, such as a view of a parsed protobuf
 * message. {@link Request} and {@link Identity} keep such a map as it is; any other map they
 * copy, so that nobody can change a request or a principal after the fact. On the sidecar's hot
 * path this saves copying maps that cannot change anyway.
 */
public interface FrozenMap<K, V> extends Map<K, V> {

  /**
   * A read-only view of {@code map}, which the caller promises nobody will change (the maps of an
   * immutable message, or a map nothing else holds). Writes through the view fail.
   */
  static <K, V> FrozenMap<K, V> view(Map<K, V> map) {
    return map instanceof FrozenMap<K, V> frozen ? frozen : new View<>(map);
  }

  /** The forwarding view behind {@link #view}. */
  final class View<K, V> extends AbstractMap<K, V> implements FrozenMap<K, V> {
    private final Map<K, V> map;

    private View(Map<K, V> map) {
      this.map = Objects.requireNonNull(map, "map");
    }

    @Override
    public V get(Object key) {
      return map.get(key);
    }

    @Override
    public boolean containsKey(Object key) {
      return map.containsKey(key);
    }

    @Override
    public int size() {
      return map.size();
    }

    @Override
    public Set<Entry<K, V>> entrySet() {
      return Collections.unmodifiableMap(map).entrySet();
    }
  }
}
