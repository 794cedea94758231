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
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * `warden bundle pull oci://… -o FILE.tar.gz`: fetches the bundle with its digests verified
 * ({@link OciRegistry#pull}), reads and compiles it as the sidecar would, and only then writes
 * the archive (atomically); a bundle that does not read or compile is not written.
 */
@Command(name = "pull", mixinStandardHelpOptions = true,
    description = "Pull a bundle from an OCI registry, verify it and write the archive.")
final class BundlePullCommand implements Callable<Integer> {
  @CommandLine.Parameters(index = "0", paramLabel = "oci://HOST[:PORT]/REPO[:TAG|@sha256:HEX]",
      description = "The bundle to pull.")
  String reference;

  @CommandLine.Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE.tar.gz",
      description = "The archive to write (replaced atomically).")
  Path output;

  @CommandLine.Mixin RegistryOptions registry;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    OciRegistry client;
    try {
      client = registry.client(reference);
    } catch (RegistryOptions.Failure e) {
      err.println("error: " + e.getMessage());
      return WardenCli.USAGE;
    }
    OciRegistry.Pulled pulled;
    try {
      pulled = client.pull(null);
    } catch (IOException e) {
      err.println("error: " + e.getMessage());
      return BundleCommand.REGISTRY_FAILED;
    }
    String name = client.reference().toString();
    BundleArchive.Signed read;
    try {
      read = BundleArchive.readSigned(new ByteArrayInputStream(pulled.archive()), name);
    } catch (BundleReadException e) {
      err.println("error: " + e.getMessage());
      return WardenCli.POLICY_ERRORS;
    }
    int[] exit = {WardenCli.OK};
    CompileResult compiled = BundleOption.compile(read.bundle(), name, BundleCompiler.standard(), spec, exit);
    if (compiled == null) {
      return exit[0];
    }
    try {
      write(pulled.archive());
    } catch (IOException e) {
      err.println("error: cannot write `" + output + "`: " + e.getMessage());
      return WardenCli.USAGE;
    }
    out.printf("pulled %s: %s, layer %s (%d bytes%s), revision %s, written to %s%n", name, pulled.manifestDigest(),
        pulled.layerDigest(), pulled.archive().length, read.signatures() == null ? ", unsigned" : ", signed",
        compiled.checked().manifest().revision(), output);
    out.flush();
    return WardenCli.OK;
  }

  private void write(byte[] archive) throws IOException {
    Path target = output.toAbsolutePath();
    Path tmp = Files.createTempFile(target.getParent(), ".warden-bundle", ".tmp");
    try {
      Files.write(tmp, archive);
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
