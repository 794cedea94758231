package dev.warden.server.quota;

import dev.warden.policy.runtime.QuotaCharge;
import dev.warden.policy.runtime.QuotaResult;
import java.util.ArrayList;
import java.util.List;

/**
 * The Lua scripts Redis runs for {@link RedisBuckets}, and their arguments and answers.
 *
 * <p>{@link #ADMIT}: KEYS are the buckets; ARGV holds four numbers a key: the interval in µs,
 * the capacity, the cost, and 1 for a shadow charge (0 otherwise). It reads the time once
 * ({@code TIME}), then runs {@link dev.warden.policy.runtime.Gcra#admit} in µs: every enforced
 * key is checked first, against what the earlier keys of the request would leave (a bucket named
 * twice is charged twice), and all are written only when all admit; then each shadow key alone.
 * A bucket is written with {@code SET key tat PX ttl}, where the ttl is the time until it is
 * full again; a full bucket is deleted, as forgetting it changes nothing. It answers four
 * integers a key: admitted (1 or 0), whole tokens remaining, retry-after in µs (0 when admitted,
 * -1 when never: the cost is above the capacity) and the time until full in µs.
 *
 * <p>{@link #REFUND}: KEYS are buckets, ARGV the µs to take off each (its cost times its
 * interval): what a Redis Cluster request gives back when another slot refused it.
 */
final class QuotaScript {
  private static final String COMMON = """
      if redis.replicate_commands then pcall(redis.replicate_commands) end
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
      local function load(key)
        local v = redis.call('GET', key)
        if v then return tonumber(v) end
        return nil
      end
      local function store(key, tat)
        if tat > now then
          redis.call('SET', key, string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000))
        else
          redis.call('DEL', key)
        end
      end
      """;

  static final String ADMIT = COMMON + """
      local function remaining(room, interval)
        if room <= 0 then return 0 end
        return math.floor(room / interval)
      end
      local function gcra(tat, interval, capacity, cost)
        local base = now
        if tat ~= nil and tat > now then base = tat end
        local tolerance = interval * capacity
        local used = base - now
        if cost > capacity then
          return 0, tat, remaining(tolerance - used, interval), -1, used
        end
        local after = used + cost * interval
        if after > tolerance then
          return 0, tat, remaining(tolerance - used, interval), after - tolerance, used
        end
        return 1, now + after, remaining(tolerance - after, interval), 0, after
      end
      local out = {}
      local pending = {}
      local order = {}
      local all = true
      for pass = 0, 1 do
        for i = 1, #KEYS do
          local a = (i - 1) * 4
          local shadow = ARGV[a + 4] == '1'
          if (pass == 0) ~= shadow then
            local key = KEYS[i]
            local tat = pending[key]
            if tat == nil then tat = load(key) end
            local ok, new, rem, retry, reset = gcra(tat, tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]))
            out[a + 1] = ok
            out[a + 2] = rem
            out[a + 3] = retry
            out[a + 4] = reset
            if shadow then
              if ok == 1 then store(key, new) end
            elseif ok == 1 then
              if pending[key] == nil then order[#order + 1] = key end
              pending[key] = new
            else
              all = false
            end
          end
        end
        if pass == 0 and all then
          for _, key in ipairs(order) do store(key, pending[key]) end
        end
      end
      return out
      """;

  static final String REFUND = COMMON + """
      for i = 1, #KEYS do
        local tat = load(KEYS[i])
        if tat ~= nil then store(KEYS[i], tat - tonumber(ARGV[i])) end
      end
      return 0
      """;

  private QuotaScript() {}

  /** A bucket's interval in µs: rounded up, so that the rate is never above the declared one; at least 1. */
  static long intervalMicros(QuotaCharge c) {
    return Math.max(1, -Math.floorDiv(-c.quota().intervalNanos(), 1000L));
  }

  static String[] admitArgs(List<QuotaCharge> charges) {
    String[] args = new String[charges.size() * 4];
    for (int i = 0; i < charges.size(); i++) {
      QuotaCharge c = charges.get(i);
      args[i * 4] = Long.toString(intervalMicros(c));
      args[i * 4 + 1] = Long.toString(c.quota().burst());
      args[i * 4 + 2] = Long.toString(c.cost());
      args[i * 4 + 3] = c.quota().shadow() ? "1" : "0";
    }
    return args;
  }

  /**
   * The answers of {@link #ADMIT} for {@code charges}, as {@link QuotaResult.Via#GLOBAL} ones; not
   * yet marked {@link QuotaResult.Via#NOT_CHARGED}, which takes the whole request's answers.
   */
  static List<QuotaResult> answers(List<QuotaCharge> charges, Object reply) {
    if (!(reply instanceof List<?> values) || values.size() != charges.size() * 4) {
      throw new IllegalStateException("the quota script answered `" + reply + "`, not 4 numbers a bucket");
    }
    List<QuotaResult> out = new ArrayList<>(charges.size());
    for (int i = 0; i < charges.size(); i++) {
      long retry = number(values.get(i * 4 + 2));
      out.add(new QuotaResult(charges.get(i), number(values.get(i * 4)) == 1, number(values.get(i * 4 + 1)),
          retry < 0 ? Long.MAX_VALUE : micros(retry), micros(number(values.get(i * 4 + 3))), QuotaResult.Via.GLOBAL));
    }
    return out;
  }

  /** Whether an enforced charge was refused, so that the request's enforced charges are all not charged. */
  static boolean refused(List<QuotaResult> answers) {
    return answers.stream().anyMatch(r -> !r.quota().shadow() && !r.admitted());
  }

  /** The request's answers with the enforced admitted ones marked not charged when an enforced one refused. */
  static List<QuotaResult> allOrNone(List<QuotaResult> answers) {
    if (!refused(answers)) {
      return answers;
    }
    return answers.stream().map(r -> r.quota().shadow() ? r : r.notCharged()).toList();
  }

  private static long number(Object o) {
    if (o instanceof Long l) {
      return l;
    }
    throw new IllegalStateException("the quota script answered `" + o + "` where a number belongs");
  }

  private static long micros(long us) {
    return us > Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : us * 1000;
  }
}
