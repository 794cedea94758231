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
import dev.warden.proto.v1.LoggedShadow;
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

/**
 * A {@link DecisionRecord} as the `warden.v1.DecisionLog` it is logged as, masked
 * ({@link Masking}), and as its JSON line. Pure: the same record encodes to the same bytes.
 */
public final class RecordEncoder {
  /** The version this encoder writes. */
  public static final int VERSION = 1;
  private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();

  private final Masking masking;
  private final Function<String, KnownBundle> bundles;
  private final long epochNanosAtOrigin;
  private final long nanoOrigin;

  /**
   * What the encoder knows of the bundle that decided: its name and digest, and its `redact log`
   * entries, which mask the record of its decisions.
   */
  public record KnownBundle(LoggedBundle bundle, PolicyRedactions redactions) {}

  /**
   * @param bundles the bundle a revision is, or null when it is not known any more (the record
   *     then keeps only the revision, and every value of its request is masked: fail closed)
   * @param now the wall clock's instant at {@code nanoTime}, to date records from their arrival nanos
   */
  public RecordEncoder(Masking masking, Function<String, KnownBundle> bundles, Instant now, long nanoTime) {
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
    // The policy that decided is the policy that masks; a record without one has no policy redactions.
    PolicyRedactions policy = PolicyRedactions.NONE;
    if (d.revision() != null) {
      KnownBundle known = bundles.apply(d.revision());
      b.setBundle(known != null ? known.bundle() : LoggedBundle.newBuilder().setRevision(d.revision()).build());
      policy = known != null ? known.redactions() : PolicyRedactions.UNKNOWN;
    }
    for (RuleRef rule : d.rules()) {
      b.addRules(rule(rule));
    }
    for (EvalError e : d.errors()) {
      b.addErrors(error(e));
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
      b.setRequest(request(q, policy, masked));
      b.setTrace(trace(q.headers()));
      b.setPrincipal(principal(r, q.identity()));
    }
    b.addAllMasked(masked.stream().distinct().toList());
    if (d.shadow() != null) {
      b.addShadow(shadow("rules", null, d.shadow(), d.shadowChanges()));
    }
    for (DecisionRecord.ShadowDecision s : r.shadowBundles()) {
      b.addShadow(shadow("bundle", s, s.decision(), s.changed()));
    }
    return b.build();
  }

  /** A would-be decision: of the shadow rules ({@code bundle} null) or of a shadow bundle. */
  private static LoggedShadow shadow(String source, DecisionRecord.ShadowDecision bundle, Decision d, boolean changed) {
    LoggedShadow.Builder s = LoggedShadow.newBuilder().setSource(source).setOutcome(d.outcome().label())
        .setAllowed(d.allowed()).setStatus(d.status()).setReason(nonNull(d.reason())).setChanged(changed);
    if (bundle != null) {
      s.setBundle(nonNull(bundle.bundle())).setRevision(nonNull(bundle.revision()));
    }
    d.rules().forEach(rule -> s.addRules(rule(rule)));
    d.errors().forEach(e -> s.addErrors(error(e)));
    return s.build();
  }

  private static LoggedRule rule(RuleRef rule) {
    return LoggedRule.newBuilder().setId(rule.id()).setKind(nonNull(rule.kind())).setLocation(nonNull(rule.location()))
        .build();
  }

  private static LoggedError error(EvalError e) {
    return LoggedError.newBuilder().setKind(e.kind().label()).setRule(e.rule() == null ? "" : e.rule().id())
        .setLocation(nonNull(e.location())).setMessage(nonNull(e.message())).build();
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

  private LoggedRequest request(Request q, PolicyRedactions policy, List<String> masked) {
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
        String shown = masking.queryValue(name, value, policy, masked);
        if (shown != null) {
          query.merge(rawName, shown, (a, c) -> a + "," + c);
        }
      }
      b.putAllQuery(query);
    }
    Map<String, String> headers = new TreeMap<>();
    q.headers().forEach((name, value) -> {
      String shown = masking.header(name, value, policy, masked);
      if (shown != null) {
        headers.put(name.toLowerCase(Locale.ROOT), shown);
      }
    });
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
      String p = parent.trim();
      // `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`, neither id all zeros (W3C Trace Context).
      if (p.length() == 55 && p.startsWith("00-") && p.charAt(35) == '-' && p.charAt(52) == '-'
          && lowerHex(p, 3, 35) && lowerHex(p, 36, 52) && lowerHex(p, 53, 55)
          && !p.regionMatches(3, ZEROS, 0, 32) && !p.regionMatches(36, ZEROS, 0, 16)) {
        t.setTraceId(p.substring(3, 35)).setParentSpanId(p.substring(36, 52));
      }
    }
    String id = headers.get("x-request-id");
    if (id != null && id.length() <= 128 && id.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
      t.setRequestId(id);
    }
    return t.build();
  }

  private static final String ZEROS = "0".repeat(32);

  private static boolean lowerHex(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
  }

  private static LoggedPrincipal principal(DecisionRecord r, Identity who) {
    LoggedPrincipal.Builder p = LoggedPrincipal.newBuilder().setId(nonNull(r.principalId())).addAllRoles(r.roles());
    String credential = who == null || who.isAnonymous() ? "anonymous"
        : who.credential() == null ? (who.peer() != null ? "peer" : "jwt")
        : who.credential().name().toLowerCase(Locale.ROOT);
    return p.setCredential(credential).build();
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
