package dev.warden.server.source;

import dev.warden.bundle.BundleArchive;
import dev.warden.bundle.BundleReadException;
import dev.warden.server.oci.OciCredentials;
import dev.warden.server.oci.OciReference;
import dev.warden.server.oci.OciRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A bundle in an OCI registry (`oci://HOST[:PORT]/REPO[:TAG|@sha256:…]`), polled by manifest
 * digest: while the tag names the manifest of the bundle last accepted, a check is one `HEAD`
 * and downloads nothing. The layer is verified by {@link OciRegistry} (digest, size) and then read
 * as any archive, under the same limits.
 *
 * <p>Credentials: `reload.remote.token_file` (a bearer token) or `reload.remote.basic_auth_file`
 * (`user:password`, for the registry's token service), read at every check; the client, and the
 * registry token it holds, is made again only when what the file holds changes.
 */
public final class OciSource implements BundleSource {
  private final OciReference reference;
  private final Remote settings;
  private OciRegistry registry;
  private String credentialsRead;
  /** The manifest digest of the last accepted bundle, or null: the next pull is unconditional. */
  private String acceptedDigest;

  public OciSource(OciReference reference, Remote settings) {
    this.reference = reference;
    this.settings = settings;
  }

  @Override
  public String kind() {
    return "oci";
  }

  @Override
  public String location() {
    return reference.toString();
  }

  @Override
  public boolean local() {
    return false;
  }

  @Override
  public Fetched fetch() throws BundleReadException {
    OciRegistry r = registry();
    OciRegistry.Pulled pulled;
    try {
      pulled = r.pull(acceptedDigest);
    } catch (IOException e) {
      throw new BundleReadException(reference + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
    }
    if (pulled.unchanged()) {
      return null;
    }
    BundleArchive.Signed signed = BundleArchive.readSigned(new ByteArrayInputStream(pulled.archive()),
        reference.toString());
    return new Fetched(signed, pulled.manifestDigest());
  }

  private OciRegistry registry() throws BundleReadException {
    String token = HttpSource.token(settings.tokenFile());
    String basic = basic(settings.basicAuthFile());
    String read = token != null ? "t:" + token : basic != null ? "b:" + basic : "";
    if (registry == null || !Objects.equals(read, credentialsRead)) {
      OciCredentials credentials;
      try {
        credentials = token != null ? OciCredentials.bearer(token)
            : basic != null ? OciCredentials.parseBasic(basic) : null;
      } catch (IllegalArgumentException e) {
        throw new BundleReadException("`reload.remote.basic_auth_file` must hold `user:password`");
      }
      registry = new OciRegistry(reference, settings.plainHttp(), credentials, settings.timeout(), settings.timeout());
      credentialsRead = read;
    }
    return registry;
  }

  private static String basic(Path file) throws BundleReadException {
    if (file == null) {
      return null;
    }
    try {
      String s = Files.readString(file).strip();
      if (s.indexOf(':') <= 0) {
        throw new BundleReadException("`reload.remote.basic_auth_file` `" + file + "` must hold `user:password`");
      }
      return s;
    } catch (IOException e) {
      throw new BundleReadException("cannot read `reload.remote.basic_auth_file` `" + file + "`: " + e.getMessage());
    }
  }

  @Override
  public void accept(Fetched fetched) {
    acceptedDigest = fetched.version();
  }
}
