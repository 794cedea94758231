package dev.warden.cli;

import dev.warden.bundle.BundleArchive;
import dev.warden.bundle.BundleKeys;
import dev.warden.bundle.BundleReadException;
import dev.warden.bundle.BundleReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * `warden bundle build | verify | inspect | push | pull | rollback`: make a deterministic,
 * optionally signed `.tar.gz` of a bundle directory, check an archive's signatures against
 * trusted keys, show what a bundle holds, move archives to and from an OCI registry, and roll a
 * running sidecar back to its previous revision. Exit codes: 0 ok, 1 verification failed (for
 * rollback: nothing to roll back to), 2 usage (including an archive, a reference, a key or a credentials
 * file that cannot be read), 3 bundle errors, 5 the registry failed (unreachable, refused, not
 * found, a digest or size that does not match).
 */
@Command(name = "bundle", mixinStandardHelpOptions = true,
    description = "Build, verify and inspect bundle archives; push and pull them to and from OCI registries;"
        + " roll a running Warden back to its previous revision.",
    subcommands = {BundleBuildCommand.class, BundleVerifyCommand.class, BundleInspectCommand.class,
        BundlePushCommand.class, BundlePullCommand.class, BundleRollbackCommand.class})
final class BundleCommand implements Runnable {
  /** The signatures did not verify against the trusted keys. */
  static final int VERIFY_FAILED = 1;
  /** The registry could not be reached, refused, lacked the bundle, or sent what does not verify. */
  static final int REGISTRY_FAILED = 5;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /**
   * A bundle as `verify` and `inspect` read it, with its signatures if any: a directory (its
   * root's `.signatures.json`) as the sidecar reads it, or an archive whatever its name.
   */
  static BundleArchive.Signed read(Path path) throws BundleReadException {
    if (Files.isRegularFile(path)) {
      return BundleArchive.readSigned(path);
    }
    return BundleReader.readSigned(path);
  }

  /** Trusted keys from `--key` values, read as the sidecar's `reload.trusted_keys` ({@link BundleKeys#trusted}). */
  static Map<String, PublicKey> trusted(Iterable<String> keys) throws BundleReadException {
    return BundleKeys.trusted(keys);
  }
}
