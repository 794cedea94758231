package dev.warden.cli;

import dev.warden.bundle.BundleArchive;
import dev.warden.bundle.BundleDirectory;
import dev.warden.bundle.BundleKeys;
import dev.warden.bundle.BundleReadException;
import dev.warden.bundle.BundleSignatures;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * `warden bundle build DIR -o FILE.tar.gz`: compiles the bundle (a bundle with errors is not
 * built), then writes a deterministic archive, signed by every `--signing-key` given.
 */
@Command(name = "build", mixinStandardHelpOptions = true,
    description = "Compile a bundle directory and write it as a deterministic .tar.gz, optionally signed.")
final class BundleBuildCommand implements Callable<Integer> {
  @CommandLine.Parameters(index = "0", paramLabel = "DIR", description = "The bundle directory.")
  Path dir;

  @CommandLine.Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE.tar.gz",
      description = "The archive to write (replaced atomically).")
  Path output;

  /** One signing key and its id; the option pair repeats for several signatures. */
  static final class Signing {
    @CommandLine.Option(names = "--signing-key", required = true, paramLabel = "KEY",
        description = "A PKCS#8 PEM private key (Ed25519, EC P-256/P-384/P-521 or RSA) to sign with; repeatable.")
    Path key;

    @CommandLine.Option(names = "--key-id", paramLabel = "ID",
        description = "The key id (`kid`) of the signing key before it (default: its file name without .pem/.key).")
    String keyId;
  }

  @CommandLine.ArgGroup(exclusive = false, multiplicity = "0..*")
  List<Signing> signing = new ArrayList<>();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      BundleDirectory.Strict read = BundleDirectory.readStrict(dir);
      for (String s : read.skipped()) {
        err.println("note: left out the hidden `" + s + "`");
      }
      int[] exit = {WardenCli.OK};
      CompileResult result = BundleOption.compile(read.bundle(), dir.toString(), BundleCompiler.standard(), spec, exit);
      if (result == null) {
        return exit[0];
      }
      List<BundleSignatures.SigningKey> keys = new ArrayList<>();
      for (Signing s : signing) {
        String id = s.keyId == null || s.keyId.isBlank() ? BundleKeys.keyId(s.key) : s.keyId;
        if (keys.stream().anyMatch(k -> k.keyId().equals(id))) {
          err.println("error: two signing keys have the id `" + id + "`");
          return WardenCli.USAGE;
        }
        keys.add(new BundleSignatures.SigningKey(id, BundleKeys.readPrivate(s.key)));
      }
      byte[] signatures = keys.isEmpty() ? null : BundleSignatures.sign(read.bundle(), keys);
      write(read, signatures);
      out.printf("built %s: %d files, %s, revision %s%s%n", output, read.bundle().paths().size(),
          BundleSignatures.contentDigest(read.bundle()), result.checked().manifest().revision(),
          keys.isEmpty() ? ", unsigned" : ", signed by " + String.join(", ",
              keys.stream().map(k -> "`" + k.keyId() + "`").toList()));
      out.flush();
      return WardenCli.OK;
    } catch (BundleReadException e) {
      err.println("error: " + e.getMessage());
      return WardenCli.USAGE;
    } catch (IOException e) {
      err.println("error: cannot write `" + output + "`: " + e.getMessage());
      return WardenCli.USAGE;
    }
  }

  private void write(BundleDirectory.Strict read, byte[] signatures) throws IOException, BundleReadException {
    Path target = output.toAbsolutePath();
    Path root = dir.toAbsolutePath().normalize();
    if (target.normalize().startsWith(root)) {
      throw new BundleReadException("the archive `" + output + "` would be inside the bundle `" + dir
          + "`; write it elsewhere");
    }
    Path tmp = Files.createTempFile(target.getParent(), ".warden-bundle", ".tmp");
    try {
      try (OutputStream o = Files.newOutputStream(tmp)) {
        BundleArchive.write(read.bundle(), signatures, o);
      }
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
