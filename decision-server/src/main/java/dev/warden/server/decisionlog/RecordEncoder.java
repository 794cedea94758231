package dev.warden.server.decisionlog;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.EvalError;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.Obligations;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.runtime.RuleRef;
import dev.warden.proto.v1.DecisionLog;
import dev.warden.proto.v1.LoggedBundle;
import dev.warden.proto.v1.LoggedError;
import dev.warden.proto.v1.LoggedHeader;
import dev.warden.proto.v1.LoggedObligations;
import dev.warden.proto.v1.LoggedPrincipal;
import dev.warden.proto.v1.LoggedRequest;
import dev.warden.proto.v1.LoggedRule;
import dev.warden.proto.v1.LoggedTrace;
import dev.warden.server.authz.DecisionRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A {@link DecisionRecord} as the `warden.v1.DecisionLog` it is logged as, masked
 * ({@link Masking}), and as its JSON line. Pure: the same record encodes to the same bytes.
 */
public final class RecordEncoder {
  /** The version this encoder writes. */
  public static final int VERSION = 1;
  private static final Pattern TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}");
  private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();

  private final Masking masking;
  private final Function<String, LoggedBundle> bundles;
  private final long epochNanosAtOrigin;
  private final long nanoOrigin;

  /**
   * @param bundles the bundle a revision is (name, digest), or null when it is not known any more
   * @param now the wall clock's instant at {@code nanoTime}, to date records from their arrival nanos
   */
  public RecordEncoder(Masking masking, Function<String, LoggedBundle> bundles, Instant now, long nanoTime) {
    this.masking = masking;
    this.bundles = bundles;
    this.epochNanosAtOrigin = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    this.nanoOrigin = nanoTime;
  }

  /** The record as a proto, masked. */
  public DecisionLog record(DecisionRecord r) {
    Decision d = r.decision();
    List<String> masked = new ArrayList<>();
    DecisionLog.Builder b = DecisionLog.newBuilder()
        .setVersion(VERSION)
        .setDecisionId(r.id())
        .setTime(timestamp(r.arrivedNanos()))
        .setApi(r.api().label())
        .setOutcome(d.outcome().label())
        .setAllowed(d.allowed())
        .setStatus(d.status())
        .setReason(nonNull(d.reason()))
        .setCause(r.cause().name().toLowerCase(Locale.ROOT))
        .setRoute(nonNull(d.route()))
        .setLatencyMicros(Math.max(0, r.decideNanos() / 1_000));
    if (d.revision() != null) {
      LoggedBundle known = bundles.apply(d.revision());
      b.setBundle(known != null ? known : LoggedBundle.newBuilder().setRevision(d.revision()).build());
    }
    for (RuleRef rule : d.rules()) {
      b.addRules(LoggedRule.newBuilder().setId(rule.id()).setKind(nonNull(rule.kind()))
          .setLocation(nonNull(rule.location())));
    }
    for (EvalError e : d.errors()) {
      b.addErrors(LoggedError.newBuilder().setKind(e.kind().label()).setRule(e.rule() == null ? "" : e.rule().id())
          .setLocation(nonNull(e.location())).setMessage(nonNull(e.message())));
    }
    Obligations o = d.obligations();
    if (o != null && !o.isEmpty()) {
      LoggedObligations.Builder ob = LoggedObligations.newBuilder()
          .addAllRemoveUpstreamHeaders(o.removeUpstreamHeaders())
          .addAllRemoveUpstreamPatterns(o.removeUpstreamPatterns())
          .addAllRemoveQueryParameters(o.removeQueryParameters());
      o.upstreamHeaders().forEach(h -> ob.addUpstreamHeaders(header(h)));
      o.responseHeaders().forEach(h -> ob.addResponseHeaders(header(h)));
      b.setObligations(ob);
    }
    Request q = r.request();
    if (q != null) {
      b.setRequest(request(q, masked));
      b.setTrace(trace(q.headers()));
      b.setPrincipal(principal(r, q.identity()));
    }
    return b.addAllMasked(masked.stream().distinct().toList()).build();
  }

  /**
   * The record as one JSON line, without the newline: the proto's JSON mapping (lowerCamelCase
   * names, default values left out), written by {@link JsonLine} with Jackson's streaming
   * generator rather than protobuf's reflective printer, which cost several times more per record.
   */
  public byte[] line(DecisionRecord r) {
    return JsonLine.of(record(r));
  }

  /** {@link #line} by protobuf's own printer: the reference the fast writer is tested against. */
  String referenceLine(DecisionRecord r) {
    try {
      return JSON.print(record(r));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a DecisionLog of plain fields always prints", e);
    }
  }

  private static LoggedHeader header(Obligations.Header h) {
    return LoggedHeader.newBuilder().setName(h.name()).setValue(h.value()).setAppend(h.append()).build();
  }

  private LoggedRequest request(Request q, List<String> masked) {
    String full = q.path();
    int mark = full.indexOf('?');
    LoggedRequest.Builder b = LoggedRequest.newBuilder().setMethod(q.method())
        .setPath(mark < 0 ? full : full.substring(0, mark)).setHost(q.host()).setScheme(q.scheme())
        .setSourceIp(q.sourceIp() == null ? "" : q.sourceIp().toString())
        .setSourcePrincipal(nonNull(q.sourcePrincipal()));
    if (mark >= 0) {
      Map<String, String> query = new TreeMap<>();
      for (String pair : full.substring(mark + 1).split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String rawName = eq < 0 ? pair : pair.substring(0, eq);
        String value = eq < 0 ? "" : pair.substring(eq + 1);
        // Matched as the upstream reads it: `%74oken` is `token`.
        String name = decoded(rawName);
        String shown = masking.queryValue(name, value, masked);
        query.merge(rawName, shown, (a, c) -> a + "," + c);
      }
      b.putAllQuery(query);
    }
    Map<String, String> headers = new TreeMap<>();
    q.headers().forEach((name, value) -> headers.put(name.toLowerCase(Locale.ROOT), masking.header(name, value,
        masked)));
    return b.putAllHeaders(headers).build();
  }

  /** Percent-decoding as servers do it, leniently: a bad escape stays as written. */
  static String decoded(String s) {
    if (s.indexOf('%') < 0 && s.indexOf('+') < 0) {
      return s;
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%' && i + 2 < s.length() && hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0) {
        out.write(hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2)));
        i += 2;
      } else if (c == '+') {
        out.write(' ');
      } else {
        byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        out.write(bytes, 0, bytes.length);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static int hex(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
  }

  private static LoggedTrace trace(Map<String, String> headers) {
    LoggedTrace.Builder t = LoggedTrace.newBuilder();
    String parent = headers.get("traceparent");
    if (parent != null) {
      java.util.regex.Matcher m = TRACEPARENT.matcher(parent.trim());
      if (m.matches() && !m.group(1).equals("0".repeat(32)) && !m.group(2).equals("0".repeat(16))) {
        t.setTraceId(m.group(1)).setParentSpanId(m.group(2));
      }
    }
    String id = headers.get("x-request-id");
    if (id != null && id.length() <= 128 && id.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
      t.setRequestId(id);
    }
    return t.build();
  }

  private static LoggedPrincipal principal(DecisionRecord r, Identity who) {
    LoggedPrincipal.Builder p = LoggedPrincipal.newBuilder().setId(nonNull(r.principalId())).addAllRoles(r.roles());
    String credential = who == null || who.isAnonymous() ? "anonymous"
        : who.credential() == null ? (who.peer() != null ? "peer" : "jwt")
        : who.credential().name().toLowerCase(Locale.ROOT);
    p.setCredential(credential);
    if (who != null && who.claims() != null) {
      p.setClaims(ClaimsStruct.of(who.claims()));
    }
    return p.build();
  }

  private Timestamp timestamp(long nanos) {
    long epoch = epochNanosAtOrigin + (nanos - nanoOrigin);
    return Timestamp.newBuilder().setSeconds(Math.floorDiv(epoch, 1_000_000_000L))
        .setNanos((int) Math.floorMod(epoch, 1_000_000_000L)).build();
  }

  private static String nonNull(String s) {
    return s == null ? "" : s;
  }
}
