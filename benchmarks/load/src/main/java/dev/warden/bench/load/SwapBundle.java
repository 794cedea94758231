package dev.warden.bench.load;

import com.google.protobuf.Value;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A private copy of the example bundle in a temporary directory, and two revisions of it that a
 * swap alternates between. Revision 1 is {@code policies/shop} as it is; revision 2 has another
 * {@code revision:} in bundle.yaml and the two grants of role {@code customer} in the other order.
 * Both decide every request alike (same allows, same denials and statuses), so every answer of
 * the mix is checked as usual, but the deciding grant's id differs: an `orders.*` route allowed
 * to a customer is decided by `role.customer#1` in revision 1 and `role.customer#2` in revision
 * 2, and `customers.me` the other way round. The id travels in the answer's dynamic metadata
 * (`rules`, with `route`), so each such answer tells which revision decided it.
 *
 * <p>A swap writes the other revision's two files next to the bundle (outside the bundle
 * directory, so a half-written file is never read) and moves them in atomically.
 */
final class SwapBundle implements AutoCloseable {
  static final String BUNDLE_YAML = "bundle.yaml";
  static final String ROLES = "roles.warden";
  private static final String GRANT_ORDERS = "  allow orders.list, orders.read, orders.create, orders.cancel\n";
  private static final String GRANT_ME = "  allow customers.me\n";

  private final Path root;
  private final Path dir;
  private final Path staging;
  /** Index 1 and 2: each revision's file contents. */
  private final List<Map<String, String>> revisions;
  private final List<String> names;
  private int active = 1;

  private SwapBundle(Path root, Path dir, Path staging, List<Map<String, String>> revisions, List<String> names) {
    this.root = root;
    this.dir = dir;
    this.staging = staging;
    this.revisions = revisions;
    this.names = names;
  }

  /** Copies {@code source} (the example bundle) to a new temporary directory and derives revision 2. */
  static SwapBundle copyOf(Path source) throws IOException {
    String yaml = Files.readString(source.resolve(BUNDLE_YAML), StandardCharsets.UTF_8);
    String roles = Files.readString(source.resolve(ROLES), StandardCharsets.UTF_8);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^revision: *(\\S+)$").matcher(yaml);
    if (!m.find() || !roles.contains(GRANT_ORDERS + GRANT_ME)) {
      throw new IOException(source + " is not the example bundle policies/shop this benchmark swaps"
          + " (a `revision:` line in bundle.yaml, role customer's grants in roles.warden)");
    }
    String first = m.group(1);
    String second = first + "-swapped";
    Map<String, String> one = Map.of(BUNDLE_YAML, yaml, ROLES, roles);
    Map<String, String> two = Map.of(BUNDLE_YAML, m.replaceFirst("revision: " + second),
        ROLES, roles.replace(GRANT_ORDERS + GRANT_ME, GRANT_ME + GRANT_ORDERS));
    Path root = Files.createTempDirectory("warden-swap");
    Path dir = root.resolve("bundle");
    Path staging = Files.createDirectory(root.resolve("staging"));
    try (Stream<Path> files = Files.walk(source)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path target = dir.resolve(source.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
    return new SwapBundle(root, dir, staging, List.of(Map.of(), one, two), List.of("", first, second));
  }

  Path dir() {
    return dir;
  }

  /** The `revision:` of revision 1 or 2. */
  String name(int revision) {
    return names.get(revision);
  }

  /** The revision now in the directory. */
  int active() {
    return active;
  }

  /** Writes the other revision into the directory and returns its number; the sidecar sees it on its next check. */
  int flip() throws IOException {
    int next = 3 - active;
    for (Map.Entry<String, String> f : revisions.get(next).entrySet()) {
      Path tmp = staging.resolve(f.getKey());
      Files.writeString(tmp, f.getValue(), StandardCharsets.UTF_8);
      Files.move(tmp, dir.resolve(f.getKey()), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
    active = next;
    return next;
  }

  /**
   * Which revision decided an answer, from the deciding rules and route in its dynamic metadata:
   * 1 or 2, or 0 when the answer does not tell (its decision did not rest on role customer's grants).
   */
  static int revisionOf(CheckResponse answer) {
    Map<String, Value> m = answer.getDynamicMetadata().getFieldsMap();
    Value rules = m.get("rules");
    Value route = m.get("route");
    if (rules == null || route == null) {
      return 0;
    }
    boolean first = false;
    boolean second = false;
    for (String id : rules.getStringValue().split(",")) {
      first |= id.equals("role.customer#1");
      second |= id.equals("role.customer#2");
    }
    if (first == second) {
      return 0;
    }
    String r = route.getStringValue();
    if (r.startsWith("orders.")) {
      return first ? 1 : 2;
    }
    if (r.equals("customers.me")) {
      return first ? 2 : 1;
    }
    return 0;
  }

  /** Deletes the temporary directory. */
  @Override
  public void close() {
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }
}
