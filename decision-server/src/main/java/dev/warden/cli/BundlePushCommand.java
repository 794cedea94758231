package dev.warden.cli;

import dev.warden.bundle.BundleArchive;
import dev.warden.bundle.BundleReadException;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.server.oci.OciRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * `warden bundle push FILE.tar.gz oci://HOST/REPO:TAG`: reads the archive as the sidecar would
 * and compiles it (a bundle with errors is not pushed), then uploads it and prints the
 * manifest's digest, which `pull` and the sidecar can pin.
 */
@Command(name = "push", mixinStandardHelpOptions = true,
    description = "Push a bundle archive to an OCI registry; prints the manifest digest.")
final class BundlePushCommand implements Callable<Integer> {
  @CommandLine.Parameters(index = "0", paramLabel = "FILE.tar.gz", description = "The bundle archive.")
  Path file;

  @CommandLine.Parameters(index = "1", paramLabel = "oci://HOST[:PORT]/REPO[:TAG]", description = "Where to push it.")
  String reference;

  @CommandLine.Mixin RegistryOptions registry;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    OciRegistry client;
    byte[] archive;
    BundleArchive.Signed read;
    try {
      client = registry.client(reference);
      if (Files.isRegularFile(file) && Files.size(file) > OciRegistry.MAX_LAYER_BYTES) {
        err.println("error: `" + file + "` is larger than the " + OciRegistry.MAX_LAYER_BYTES + " bytes a pull accepts");
        return WardenCli.USAGE;
      }
      archive = Files.readAllBytes(file);
      read = BundleArchive.readSigned(new ByteArrayInputStream(archive), file.toString());
    } catch (RegistryOptions.Failure | BundleReadException e) {
      err.println("error: " + e.getMessage());
      return WardenCli.USAGE;
    } catch (IOException e) {
      err.println("error: cannot read `" + file + "`: " + e.getMessage());
      return WardenCli.USAGE;
    }
    int[] exit = {WardenCli.OK};
    CompileResult compiled = BundleOption.compile(read.bundle(), file.toString(), BundleCompiler.standard(), spec, exit);
    if (compiled == null) {
      return exit[0];
    }
    try {
      String digest = client.push(archive, file.getFileName().toString());
      out.printf("pushed %s to %s: %s (%d bytes%s)%n", file, client.reference(), digest, archive.length,
          read.signatures() == null ? ", unsigned" : ", signed");
      out.flush();
      return WardenCli.OK;
    } catch (IOException e) {
      err.println("error: " + e.getMessage());
      return BundleCommand.REGISTRY_FAILED;
    }
  }
}
