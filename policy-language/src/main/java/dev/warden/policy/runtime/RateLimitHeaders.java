package dev.warden.policy.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * The response headers that tell a client its quotas: the IETF fields of
 * draft-ietf-httpapi-ratelimit-headers (`RateLimit-Policy: "per_user";q=100;w=60` and
 * `RateLimit: "per_user";r=42;t=10`, one list member a quota), or the draft-03 names Envoy's
 * rate limit filter sends (`X-RateLimit-Limit: 100, 100;w=60`, `X-RateLimit-Remaining`,
 * `X-RateLimit-Reset`, for the quota with the fewest tokens left), or both; and `Retry-After` on
 * a refusal. Names in lower case, as HTTP/2 carries them.
 *
 * <p>{@code q} and {@code w} are the declared limit and period (seconds, rounded up); {@code r} the
 * whole tokens left; {@code t} the seconds until the bucket is full again, rounded up.
 * Shadow quotas, quotas that admitted without counting (`fallback open`) and quotas not asked
 * (another refused before they were: what they hold is not known) are not shown; a quota that
 * was asked but not charged (another refused) shows what it still holds.
 */
public final class RateLimitHeaders {
  /** Which names to send (`quota.headers`). */
  public enum Style {
    IETF, DRAFT03, BOTH, NONE;

    /** `ietf`, `draft03`, `both` or `none`. */
    public static Style parse(String s) {
      return switch (s) {
        case "ietf" -> IETF;
        case "draft03" -> DRAFT03;
        case "both" -> BOTH;
        case "none" -> NONE;
        default -> throw new IllegalArgumentException("`" + s + "` is not a header style; expected ietf, draft03, both or none");
      };
    }

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private static final long SECOND = 1_000_000_000L;

  private RateLimitHeaders() {}

  /** The seconds of `Retry-After` for a refusal: the longest wait among the quotas that refused, at least 1. */
  public static long retryAfterSeconds(List<QuotaResult> results) {
    long most = 1;
    for (QuotaResult r : results) {
      if (r.refuses()) {
        long wait = r.retryAfterNanos() == Long.MAX_VALUE ? r.quota().fillNanos() : r.retryAfterNanos();
        most = Math.max(most, seconds(wait));
      }
    }
    return most;
  }

  /**
   * The headers for a response: with {@code refused}, `retry-after` first; then the quota fields
   * in {@code style}. Empty when no quota shows.
   */
  public static List<Obligations.Header> of(List<QuotaResult> results, Style style, boolean refused) {
    List<Obligations.Header> out = new ArrayList<>(4);
    if (refused) {
      out.add(new Obligations.Header("retry-after", Long.toString(retryAfterSeconds(results)), false));
    }
    List<QuotaResult> shown = new ArrayList<>(results.size());
    for (QuotaResult r : results) {
      if (!r.quota().shadow() && r.via() != QuotaResult.Via.FALLBACK_OPEN && r.remaining() >= 0) {
        shown.add(r);
      }
    }
    if (shown.isEmpty() || style == Style.NONE) {
      return out;
    }
    if (style == Style.IETF || style == Style.BOTH) {
      StringBuilder policy = new StringBuilder();
      StringBuilder now = new StringBuilder();
      for (QuotaResult r : shown) {
        Quota q = r.quota();
        String name = "\"" + q.name() + "\"";
        sep(policy).append(name).append(";q=").append(q.limit()).append(";w=").append(q.windowSeconds());
        sep(now).append(name).append(";r=").append(r.remaining()).append(";t=").append(seconds(r.resetNanos()));
      }
      out.add(new Obligations.Header("ratelimit-policy", policy.toString(), false));
      out.add(new Obligations.Header("ratelimit", now.toString(), false));
    }
    if (style == Style.DRAFT03 || style == Style.BOTH) {
      QuotaResult least = shown.get(0);
      for (QuotaResult r : shown) {
        if (!r.admitted() && least.admitted() || r.admitted() == least.admitted() && r.remaining() < least.remaining()) {
          least = r;
        }
      }
      Quota q = least.quota();
      out.add(new Obligations.Header("x-ratelimit-limit", q.limit() + ", " + q.limit() + ";w=" + q.windowSeconds(),
          false));
      out.add(new Obligations.Header("x-ratelimit-remaining", Long.toString(least.remaining()), false));
      out.add(new Obligations.Header("x-ratelimit-reset", Long.toString(seconds(least.resetNanos())), false));
    }
    return out;
  }

  private static StringBuilder sep(StringBuilder b) {
    return b.isEmpty() ? b : b.append(", ");
  }

  private static long seconds(long nanos) {
    return nanos <= 0 ? 0 : Quota.ceilDiv(nanos, SECOND);
  }
}
