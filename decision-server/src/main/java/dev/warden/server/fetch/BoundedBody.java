package dev.warden.server.fetch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntToLongFunction;

/**
 * One HTTP exchange bounded in both size and time, for fetches from servers Warden does not
 * trust to behave: at most {@code limit(status)} body bytes are kept (the rest is not read: the
 * exchange is cancelled), and the whole exchange — headers and body — must end within the
 * deadline, or it is cancelled. {@link HttpRequest#timeout} alone bounds only the wait for the
 * headers: a server that trickles its body a byte at a time would otherwise hold the reading
 * thread for as long as it likes.
 */
public final class BoundedBody {
  private BoundedBody() {}

  /**
   * What came back.
   *
   * @param truncated whether the body was longer than its limit (then {@code body} holds the first
   *     {@code limit} bytes and the rest was never read)
   */
  public record Result(HttpResponse<byte[]> response, boolean truncated) {
    public byte[] body() {
      return response.body();
    }
  }

  /**
   * @param limit the most body bytes to keep, by status (a HEAD's is 0)
   * @throws HttpTimeoutException when the exchange did not end within {@code deadline}
   * @throws IOException when it failed otherwise
   */
  public static Result send(HttpClient client, HttpRequest request, IntToLongFunction limit, Duration deadline)
      throws IOException, InterruptedException {
    Limited[] body = new Limited[1];
    CompletableFuture<HttpResponse<byte[]>> exchange = client.sendAsync(request, info -> {
      long max = Math.max(0, Math.min(limit.applyAsLong(info.statusCode()), Integer.MAX_VALUE - 8));
      body[0] = new Limited(max);
      return body[0];
    });
    try {
      HttpResponse<byte[]> r = exchange.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
      return new Result(r, body[0] != null && body[0].truncated);
    } catch (TimeoutException e) {
      exchange.cancel(true);
      throw new HttpTimeoutException("no complete answer within " + deadline.toMillis() + " ms");
    } catch (InterruptedException e) {
      exchange.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException(cause == null ? e.toString() : cause.toString(), cause);
    }
  }

  /** Keeps the first {@code max} bytes; past them, cancels the rest of the body. Called serially. */
  private static final class Limited implements HttpResponse.BodySubscriber<byte[]> {
    private final long max;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private Flow.Subscription subscription;
    private volatile boolean truncated;

    Limited(long max) {
      this.max = max;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      if (result.isDone()) {
        return;
      }
      for (ByteBuffer b : items) {
        int room = (int) Math.min(b.remaining(), max - kept.size());
        byte[] chunk = new byte[room];
        b.get(chunk);
        kept.write(chunk, 0, room);
        if (b.hasRemaining()) {
          truncated = true;
          subscription.cancel();
          result.complete(kept.toByteArray());
          return;
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      result.complete(kept.toByteArray());
    }
  }
}
