package dev.warden.server.authz;

import dev.warden.policy.runtime.IpAddress;

/**
 * Parsed addresses by their text, in a small direct-mapped table: a sidecar sees the same few
 * peers (Envoy's own address, the clients behind it) over and over. Lock-free; a race only
 * stores an equal entry, and a miss just parses.
 */
final class AddressCache {
  private static final int SIZE = 1024;

  private record Entry(String text, IpAddress address) {}

  private final Entry[] table = new Entry[SIZE];

  /** The parsed address, or null when the text is not one. */
  IpAddress parse(String text) {
    int slot = text.hashCode() & (SIZE - 1);
    Entry e = table[slot];
    if (e != null && e.text.equals(text)) {
      return e.address;
    }
    IpAddress parsed = IpAddress.parse(text);
    if (parsed != null) {
      table[slot] = new Entry(text, parsed);
    }
    return parsed;
  }
}
