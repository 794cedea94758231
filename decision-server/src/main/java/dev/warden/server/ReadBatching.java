package dev.warden.server;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.FixedRecvByteBufAllocator;

/**
 * How much a gRPC connection's transport thread reads before the answers it has ready go out
 * (`grpc.read_batch_bytes`).
 *
 * <p>With Netty's defaults a transport thread woken by a busy connection reads up to 16 times, up
 * to 64 KiB each, and handles every request in what it read before it runs the task that writes
 * the answers. Under load from Envoy, whose calls share one HTTP/2 connection per worker, that is
 * every call in flight at once: the caller gets all the answers together, after all the decisions,
 * and sends its next requests together, so the two sides take turns instead of working at the same
 * time. Reading at most {@code bytes} per wake-up (one read into a buffer of that size) lets the
 * answers to each slice leave while the caller is still sending, and the next slice is read right
 * after them. A message larger than a slice (a request with a body) is assembled over several
 * reads, as it is with the defaults; only the number of system calls grows.
 */
public final class ReadBatching {
  /** The default: a slice holds about 26 CheckRequests of the load benchmark's mix (docs/benchmarks.md). */
  public static final int DEFAULT_BYTES = 16 * 1024;

  public static final int MIN_BYTES = 1024;
  public static final int MAX_BYTES = 1024 * 1024;

  /** What {@link #valid} accepts, in words for error messages. */
  public static final String ACCEPTED = "0 (Netty's adaptive reads) or " + MIN_BYTES + " to " + MAX_BYTES;

  private ReadBatching() {}

  /** Whether {@code bytes} is a read batch: 0, or {@link #MIN_BYTES} to {@link #MAX_BYTES}. */
  public static boolean valid(int bytes) {
    return bytes == 0 || (bytes >= MIN_BYTES && bytes <= MAX_BYTES);
  }

  /**
   * Sets how the builder's connections read: at most {@code bytes} per wake-up, or Netty's
   * adaptive reads when {@code bytes} is 0.
   */
  public static NettyServerBuilder apply(NettyServerBuilder builder, int bytes) {
    if (bytes == 0) {
      return builder;
    }
    if (!valid(bytes)) {
      throw new IllegalArgumentException("read batch of " + bytes + " bytes; expected " + ACCEPTED);
    }
    return builder
        .withChildOption(ChannelOption.MAX_MESSAGES_PER_READ, 1)
        .withChildOption(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(bytes));
  }
}
