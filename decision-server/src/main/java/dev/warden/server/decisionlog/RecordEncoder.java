package dev.warden.server.decisionlog;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.warden.proto.v1.DecisionLog;
import dev.warden.proto.v1.LoggedBundle;
import dev.warden.server.authz.DecisionRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.function.Function;

/**
 * A {@link DecisionRecord} as its `warden.v1.DecisionLog` JSON line, masked ({@link Masking}, with
 * the deciding bundle's `redact log`), and as the proto that line is. Pure: the same record
 * encodes to the same bytes.
 *
 * <p>The line is written straight from the record ({@link RecordWriter}: no proto built, which
 * cost as much again as writing); the proto is that line read back with protobuf's strict parser,
 * so the two can never say different things, and a line that is not the proto's JSON mapping
 * fails every test that asks for a record.
 */
public final class RecordEncoder {
  /** The version this encoder writes. */
  public static final int VERSION = 1;
  private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  /**
   * What the encoder knows of the bundle that decided: its name and digest, and its `redact log`
   * entries, which mask the record of its decisions.
   */
  public record KnownBundle(LoggedBundle bundle, PolicyRedactions redactions) {}

  private final RecordWriter writer;

  /**
   * @param bundles the bundle a revision is, or null when it is not known any more (the record
   *     is then masked whole: every header and query value)
   * @param now the wall clock's instant at {@code nanoTime}, to date records from their arrival nanos
   */
  public RecordEncoder(Masking masking, Function<String, KnownBundle> bundles, Instant now, long nanoTime) {
    this.writer = new RecordWriter(masking, bundles, now.getEpochSecond() * 1_000_000_000L + now.getNano(), nanoTime);
  }

  /** The record as one JSON line, without the newline: the proto's JSON mapping, masked. */
  public byte[] line(DecisionRecord r) {
    return writer.line(r);
  }

  /** The record as a proto: its line, parsed. */
  public DecisionLog record(DecisionRecord r) {
    DecisionLog.Builder b = DecisionLog.newBuilder();
    try {
      PARSER.merge(new String(line(r), StandardCharsets.UTF_8), b);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a decision record's line is not a DecisionLog: " + e.getMessage(), e);
    }
    return b.build();
  }

  /** The line as protobuf's own printer prints its proto: what tests hold {@link #line} equal to. */
  String referenceLine(DecisionRecord r) {
    try {
      return JSON.print(record(r));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a DecisionLog of plain fields always prints", e);
    }
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

}
