package dev.warden.cli;

import dev.warden.server.oci.OciCredentials;
import dev.warden.server.oci.OciReference;
import dev.warden.server.oci.OciRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

/**
 * The registry options `bundle push` and `bundle pull` share: plain HTTP, and credentials read
 * from a file (a token, or one line `user:password`), never from the command line, where other
 * users of the machine would see them.
 */
final class RegistryOptions {
  /** A reference, a credentials file or a registry answer that is not what was expected. */
  static final class Failure extends Exception {
    Failure(String message) {
      super(message);
    }
  }

  @CommandLine.Option(names = "--plain-http",
      description = "Talk HTTP, not HTTPS, to the registry (a registry on loopback, for tests).")
  boolean plainHttp;

  static final class Credentials {
    @CommandLine.Option(names = "--token-file", paramLabel = "FILE",
        description = "A file holding a bearer token for the registry.")
    Path tokenFile;

    @CommandLine.Option(names = "--user-file", paramLabel = "FILE",
        description = "A file holding one line `user:password`, for basic auth or the registry's token service.")
    Path userFile;
  }

  @CommandLine.ArgGroup(exclusive = true, multiplicity = "0..1")
  Credentials credentials;

  /** The client for {@code reference}; a bad reference or an unreadable credentials file is a {@link Failure}. */
  OciRegistry client(String reference) throws Failure {
    OciReference ref;
    try {
      ref = OciReference.parse(reference);
    } catch (IllegalArgumentException e) {
      throw new Failure(e.getMessage());
    }
    return new OciRegistry(ref, plainHttp, credentials());
  }

  private OciCredentials credentials() throws Failure {
    if (credentials == null) {
      return null;
    }
    Path file = credentials.tokenFile != null ? credentials.tokenFile : credentials.userFile;
    String text;
    try {
      if (Files.size(file) > 64 << 10) {
        throw new Failure("`" + file + "` is larger than 64 KiB; it should hold only the credentials");
      }
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new Failure("cannot read the credentials file `" + file + "`: " + e.getClass().getSimpleName());
    }
    try {
      return credentials.tokenFile != null ? OciCredentials.bearer(text) : OciCredentials.parseBasic(text);
    } catch (IllegalArgumentException e) {
      throw new Failure("`" + file + "`: " + e.getMessage());
    }
  }
}
