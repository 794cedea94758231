package dev.warden.server.authz;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Decision ids that are unique per process start and cheap: a random instance prefix and a
 * counter. An operator finds a decision by the id a client shows them.
 */
public final class DecisionIds {
  private final String prefix;
  private final AtomicLong counter = new AtomicLong();

  public DecisionIds() {
    this.prefix = String.format("%08x", new SecureRandom().nextInt());
  }

  public String next() {
    return prefix + "-" + Long.toHexString(counter.incrementAndGet());
  }
}
