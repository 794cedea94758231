package dev.warden.cli;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The lines of decision logs, streamed one at a time: `-` (standard input), files, and folders,
 * whose `decisions.log*` files are read oldest first (`decisions.log.3` before `decisions.log.1`
 * before `decisions.log`, as {@link dev.warden.server.decisionlog.RotatingFileSink} numbers
 * them). A file is gunzipped when it starts with gzip's magic bytes, whatever its name. Nothing
 * is held beyond the current line, and a line at most {@link #MAX_LINE_CHARS} long.
 */
final class DecisionLogLines {
  /** A line longer than this is not read (and not held): no record is near it. */
  static final int MAX_LINE_CHARS = 4 << 20;

  /**
   * One line and where it is: the source as the user named it, and its 1-based number; its text,
   * or null for a line longer than {@link #MAX_LINE_CHARS}.
   */
  record Line(String source, long number, String text) {}

  /** What reads the lines, one at a time. */
  @FunctionalInterface
  interface Visitor {
    void line(Line line);
  }

  /** A source that could not be opened or read; the message names it. */
  static final class Unreadable extends Exception {
    private static final long serialVersionUID = 1L;

    Unreadable(String message) {
      super(message);
    }
  }

  private DecisionLogLines() {}

  /**
   * The files {@code logs} name, in reading order: `-` as itself, a folder as its
   * `decisions.log*` files, oldest first.
   *
   * @throws Unreadable for a name that is neither, or a folder without logs
   */
  static List<String> expand(List<String> logs) throws Unreadable {
    List<String> out = new ArrayList<>();
    for (String log : logs) {
      if (log.equals("-")) {
        out.add(log);
        continue;
      }
      Path p = Path.of(log);
      if (Files.isDirectory(p)) {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(p, "decisions.log*")) {
          dir.forEach(f -> {
            if (Files.isRegularFile(f)) {
              files.add(f);
            }
          });
        } catch (IOException e) {
          throw new Unreadable("cannot list `" + log + "`: " + e.getMessage());
        }
        if (files.isEmpty()) {
          throw new Unreadable("`" + log + "` holds no `decisions.log*` file");
        }
        files.sort(Comparator.comparingLong(DecisionLogLines::age).reversed().thenComparing(Path::toString));
        files.forEach(f -> out.add(f.toString()));
      } else if (Files.isRegularFile(p)) {
        out.add(log);
      } else {
        throw new Unreadable("no such file or folder: `" + log + "`");
      }
    }
    return out;
  }

  /** How old a rotated file is by its name: `decisions.log.N` is N, the live `decisions.log` 0. */
  private static long age(Path f) {
    String name = f.getFileName().toString();
    if (name.endsWith(".gz")) {
      name = name.substring(0, name.length() - 3);
    }
    try {
      return Long.parseLong(name.substring(name.lastIndexOf('.') + 1));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * Reads one source line by line; a source given as `-` is standard input.
   *
   * @throws Unreadable when it cannot be opened, or a read fails (the lines before were visited)
   */
  static void read(String source, InputStream stdin, Visitor visitor) throws Unreadable {
    try (InputStream raw = source.equals("-") ? new NonClosing(stdin) : Files.newInputStream(Path.of(source));
        Reader in = new InputStreamReader(gunzipped(raw), StandardCharsets.UTF_8)) {
      char[] buffer = new char[8192];
      StringBuilder line = new StringBuilder();
      boolean tooLong = false;
      long number = 0;
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        int start = 0;
        for (int i = 0; i < n; i++) {
          if (buffer[i] == '\n') {
            tooLong = append(line, buffer, start, i, tooLong);
            visitor.line(new Line(source, ++number, tooLong ? null : strip(line)));
            line.setLength(0);
            tooLong = false;
            start = i + 1;
          }
        }
        tooLong = append(line, buffer, start, n, tooLong);
      }
      if (tooLong || !line.isEmpty()) {
        visitor.line(new Line(source, ++number, tooLong ? null : strip(line)));
      }
    } catch (IOException e) {
      throw new Unreadable("cannot read `" + source + "`: " + e.getMessage());
    }
  }

  /** Appends {@code buffer[from, to)} unless the line is past {@link #MAX_LINE_CHARS}; whether it is. */
  private static boolean append(StringBuilder line, char[] buffer, int from, int to, boolean tooLong) {
    if (tooLong || line.length() + (to - from) > MAX_LINE_CHARS) {
      line.setLength(0);
      return true;
    }
    line.append(buffer, from, to - from);
    return false;
  }

  private static String strip(StringBuilder line) {
    int end = line.length();
    return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
  }

  /** The stream gunzipped when it starts with gzip's magic bytes (1f 8b), else as it is. */
  private static InputStream gunzipped(InputStream raw) throws IOException {
    BufferedInputStream in = new BufferedInputStream(raw, 65_536);
    in.mark(2);
    int a = in.read();
    int b = in.read();
    in.reset();
    return a == 0x1f && b == 0x8b ? new GZIPInputStream(in, 65_536) : in;
  }

  /** Standard input, which reading a log must not close. */
  private static final class NonClosing extends java.io.FilterInputStream {
    NonClosing(InputStream in) {
      super(in);
    }

    @Override
    public void close() {}
  }
}
