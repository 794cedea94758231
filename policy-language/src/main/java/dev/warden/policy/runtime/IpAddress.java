package dev.warden.policy.runtime;

import java.util.Arrays;

/** An IPv4 or IPv6 address, parsed without any name lookup. */
public final class IpAddress {
  private final byte[] bytes;
  private final String text;

  private IpAddress(byte[] bytes, String text) {
    this.bytes = bytes;
    this.text = text;
  }

  /** The address, or null when {@code s} is not a literal IPv4 or IPv6 address. */
  public static IpAddress parse(String s) {
    if (s == null || s.isEmpty() || s.length() > 45) {
      return null;
    }
    byte[] b = s.indexOf(':') >= 0 ? parseV6(s) : parseV4(s);
    return b == null ? null : new IpAddress(b, s);
  }

  /** Dotted-quad IPv4 without leading zeros; one pass, no splitting. */
  private static byte[] parseV4(String s) {
    byte[] out = new byte[4];
    int part = 0;
    int value = 0;
    int digits = 0;
    for (int i = 0; i <= s.length(); i++) {
      char c = i < s.length() ? s.charAt(i) : '.';
      if (c == '.') {
        if (digits == 0 || part > 3) {
          return null;
        }
        out[part++] = (byte) value;
        value = 0;
        digits = 0;
      } else if (c >= '0' && c <= '9') {
        if (digits > 0 && value == 0) {
          return null;
        }
        value = value * 10 + (c - '0');
        if (++digits > 3 || value > 255) {
          return null;
        }
      } else {
        return null;
      }
    }
    return part == 4 ? out : null;
  }

  private static byte[] parseV6(String s) {
    int zone = s.indexOf('%');
    if (zone >= 0) {
      return null;
    }
    String[] halves = s.split("::", -1);
    if (halves.length > 2) {
      return null;
    }
    int[] head = groups(halves[0]);
    int[] tail = halves.length == 2 ? groups(halves[1]) : new int[0];
    if (head == null || tail == null) {
      return null;
    }
    int total = head.length + tail.length;
    if ((halves.length == 1 && total != 8) || (halves.length == 2 && total > 7)) {
      return null;
    }
    byte[] out = new byte[16];
    for (int i = 0; i < head.length; i++) {
      out[2 * i] = (byte) (head[i] >> 8);
      out[2 * i + 1] = (byte) head[i];
    }
    for (int i = 0; i < tail.length; i++) {
      int g = 8 - tail.length + i;
      out[2 * g] = (byte) (tail[i] >> 8);
      out[2 * g + 1] = (byte) tail[i];
    }
    return out;
  }

  private static int[] groups(String part) {
    if (part.isEmpty()) {
      return new int[0];
    }
    String[] gs = part.split(":", -1);
    int[] out = new int[gs.length];
    for (int i = 0; i < gs.length; i++) {
      String g = gs[i];
      if (g.isEmpty() || g.length() > 4) {
        return null;
      }
      for (int j = 0; j < g.length(); j++) {
        if (Character.digit(g.charAt(j), 16) < 0) {
          return null;
        }
      }
      out[i] = Integer.parseInt(g, 16);
    }
    return out;
  }

  byte[] bytes() {
    return bytes;
  }

  public boolean isV4() {
    return bytes.length == 4;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IpAddress other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return text;
  }
}
