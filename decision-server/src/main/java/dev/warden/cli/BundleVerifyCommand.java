package dev.warden.cli;

import dev.warden.bundle.BundleArchive;
import dev.warden.bundle.BundleReadException;
import dev.warden.bundle.BundleSignatures;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * `warden bundle verify FILE --key KEY…`: exit 0 when a signature by a trusted key verifies and
 * its file list is exactly the archive's files, 1 with the reasons otherwise.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = "Verify a bundle's signatures against trusted public keys, matched by key id.")
final class BundleVerifyCommand implements Callable<Integer> {
  @CommandLine.Parameters(index = "0", paramLabel = "FILE", description = "The bundle archive (or directory).")
  Path file;

  @CommandLine.Option(names = "--key", required = true, paramLabel = "[ID=]KEY",
      description = "A trusted X.509 PEM public key; its id is ID, or the file name without .pem/.pub. Repeatable.")
  List<String> keys;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    BundleArchive.Signed read;
    Map<String, PublicKey> trusted;
    try {
      trusted = BundleCommand.trusted(keys);
      read = BundleCommand.read(file);
    } catch (BundleReadException e) {
      err.println("error: " + e.getMessage());
      return WardenCli.USAGE;
    }
    BundleSignatures.Verification v = BundleSignatures.verify(read.bundle(), read.signatures(), trusted);
    if (!v.verified()) {
      for (String p : v.problems()) {
        err.println("error: " + file + ": " + p);
      }
      err.println("error: " + file + " is not verified");
      err.flush();
      return BundleCommand.VERIFY_FAILED;
    }
    List<String> by = v.checks().stream().filter(c -> c.status() == BundleSignatures.Status.VERIFIED)
        .map(c -> "`" + c.signature().keyId() + "` (" + c.signature().algorithm() + ")").toList();
    out.printf("verified: %s, %d files, %s, signed by %s%n", file, read.bundle().paths().size(),
        BundleSignatures.contentDigest(read.bundle()), String.join(", ", by));
    out.flush();
    return WardenCli.OK;
  }
}
