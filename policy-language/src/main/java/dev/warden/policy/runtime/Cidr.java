package dev.warden.policy.runtime;

/** A block of addresses such as {@code 10.0.0.0/8}. */
public final class Cidr {
  private final IpAddress network;
  private final int prefix;
  private final String text;

  private Cidr(IpAddress network, int prefix, String text) {
    this.network = network;
    this.prefix = prefix;
    this.text = text;
  }

  /** The block, or null when {@code s} is not `address/prefix`. */
  public static Cidr parse(String s) {
    if (s == null) {
      return null;
    }
    int slash = s.indexOf('/');
    if (slash < 0 || slash == s.length() - 1 || s.length() - slash > 4) {
      return null;
    }
    IpAddress ip = IpAddress.parse(s.substring(0, slash));
    String p = s.substring(slash + 1);
    if (ip == null || !p.chars().allMatch(Character::isDigit)) {
      return null;
    }
    int prefix = Integer.parseInt(p);
    if (prefix > ip.bytes().length * 8) {
      return null;
    }
    return new Cidr(ip, prefix, s);
  }

  public boolean contains(IpAddress ip) {
    byte[] net = network.bytes();
    byte[] addr = ip.bytes();
    if (net.length != addr.length) {
      return false;
    }
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (net[i] != addr[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (net[full] & mask) == (addr[full] & mask);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && c.prefix == prefix && c.network.equals(network);
  }

  @Override
  public int hashCode() {
    return network.hashCode() * 31 + prefix;
  }

  @Override
  public String toString() {
    return text;
  }
}
