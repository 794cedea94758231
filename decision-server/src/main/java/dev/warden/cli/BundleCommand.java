package dev.warden.cli;

import dev.warden.bundle.BundleArchive;
import dev.warden.bundle.BundleDirectory;
import dev.warden.bundle.BundleKeys;
import dev.warden.bundle.BundleReadException;
import dev.warden.bundle.BundleSignatures;
import dev.warden.policy.source.Bundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * `warden bundle build | verify | inspect`: make a deterministic, optionally signed `.tar.gz`
 * of a bundle directory, check an archive's signatures against trusted keys, and show what a
 * bundle holds. Exit codes: 0 ok, 1 verification failed, 2 usage (including an archive or a
 * key that cannot be read), 3 bundle errors.
 */
@Command(name = "bundle", mixinStandardHelpOptions = true,
    description = "Build, verify and inspect bundle archives.",
    subcommands = {BundleBuildCommand.class, BundleVerifyCommand.class, BundleInspectCommand.class})
final class BundleCommand implements Runnable {
  /** The signatures did not verify against the trusted keys. */
  static final int VERIFY_FAILED = 1;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** A bundle as `verify` and `inspect` read it: an archive, or a directory, with its signatures if any. */
  static BundleArchive.Signed read(Path path) throws BundleReadException {
    if (Files.isDirectory(path)) {
      Bundle bundle = BundleDirectory.read(path);
      Path sig = path.resolve(BundleSignatures.FILE);
      try {
        return new BundleArchive.Signed(bundle, Files.isRegularFile(sig) ? Files.readAllBytes(sig) : null);
      } catch (IOException e) {
        throw new BundleReadException("cannot read `" + sig + "`: " + e.getMessage());
      }
    }
    if (Files.isRegularFile(path)) {
      return BundleArchive.readSigned(path);
    }
    throw new BundleReadException("`" + path + "` is not a directory or a `.tar.gz` archive"
        + (Files.exists(path) ? "" : ": it does not exist"));
  }

  /**
   * Trusted keys from `--key` values: `ID=FILE`, or `FILE` alone, whose key id is then the file
   * name without `.pem` and `.pub` (`keys/ops-2026.pub.pem` is `ops-2026`).
   */
  static Map<String, PublicKey> trusted(Iterable<String> keys) throws BundleReadException {
    Map<String, PublicKey> out = new LinkedHashMap<>();
    for (String k : keys) {
      int eq = k.indexOf('=');
      String id = eq > 0 && k.lastIndexOf('/', eq) < 0 ? k.substring(0, eq) : null;
      Path file = Path.of(id == null ? k : k.substring(eq + 1));
      if (id == null) {
        id = keyId(file);
      }
      if (out.put(id, BundleKeys.readPublic(file)) != null) {
        throw new BundleReadException("two trusted keys have the id `" + id + "`; give one as `ID=FILE`");
      }
    }
    return out;
  }

  /** The key id a key file has when none is given: its name without `.pem`, `.key` and `.pub`. */
  static String keyId(Path file) {
    String name = file.getFileName().toString();
    for (String ext : new String[] {".pem", ".key", ".pub"}) {
      if (name.endsWith(ext) && name.length() > ext.length()) {
        name = name.substring(0, name.length() - ext.length());
      }
    }
    return name;
  }
}
