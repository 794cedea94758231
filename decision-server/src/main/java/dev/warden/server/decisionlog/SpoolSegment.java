package dev.warden.server.decisionlog;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The format of one spool segment: a header {@code WDLSPL1\n}, then records, each a 4-byte
 * big-endian length, the 4-byte CRC-32C of the record, and the record (one encoded JSON line).
 *
 * <p>Reading gives back exactly the whole records from the start: the first record whose length
 * runs past the end, is over {@link #MAX_RECORD_BYTES}, or whose checksum does not match ends the
 * segment, and it and everything after it are reported as a corrupt tail. A crash mid-write
 * therefore loses only the record being written, never delivers part of one.
 */
final class SpoolSegment {
  static final byte[] MAGIC = "WDLSPL1\n".getBytes(StandardCharsets.US_ASCII);
  static final int HEADER_BYTES = MAGIC.length;
  /** Length and checksum before each record. */
  static final int RECORD_OVERHEAD = 8;
  /** Longer than any record Warden encodes; a length past it is damage, not a record. */
  static final int MAX_RECORD_BYTES = 64 << 20;

  private SpoolSegment() {}

  /**
   * What a segment holds.
   *
   * @param records the whole records, in order
   * @param corruptBytes how many bytes after them are not a whole record (0: the segment is whole)
   */
  record Read(List<byte[]> records, long corruptBytes) {
    boolean corrupt() {
      return corruptBytes > 0;
    }
  }

  static void writeHeader(OutputStream out) throws IOException {
    out.write(MAGIC);
  }

  static void writeRecord(OutputStream out, byte[] record) throws IOException {
    if (record.length > MAX_RECORD_BYTES) {
      throw new IOException("a decision record of " + record.length + " bytes is more than a spool segment holds");
    }
    CRC32C crc = new CRC32C();
    crc.update(record);
    byte[] head = ByteBuffer.allocate(RECORD_OVERHEAD).putInt(record.length).putInt((int) crc.getValue()).array();
    out.write(head);
    out.write(record);
  }

  /** The whole records of a segment's bytes; a missing or wrong header makes it all a corrupt tail. */
  static Read read(byte[] bytes) {
    List<byte[]> records = new ArrayList<>();
    if (bytes.length < HEADER_BYTES || !Arrays.equals(bytes, 0, HEADER_BYTES, MAGIC, 0, HEADER_BYTES)) {
      return new Read(records, bytes.length);
    }
    ByteBuffer in = ByteBuffer.wrap(bytes);
    in.position(HEADER_BYTES);
    CRC32C crc = new CRC32C();
    while (in.remaining() >= RECORD_OVERHEAD) {
      int start = in.position();
      int length = in.getInt();
      int sum = in.getInt();
      if (length < 0 || length > MAX_RECORD_BYTES || length > in.remaining()) {
        in.position(start);
        break;
      }
      byte[] record = new byte[length];
      in.get(record);
      crc.reset();
      crc.update(record);
      if ((int) crc.getValue() != sum) {
        in.position(start);
        break;
      }
      records.add(record);
    }
    return new Read(records, in.remaining());
  }
}
