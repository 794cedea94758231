package dev.warden.server.source;

import dev.warden.bundle.BundleReadException;
import dev.warden.bundle.BundleReader;
import java.nio.file.Files;
import java.nio.file.Path;

/** A bundle directory or `.tar.gz` archive on the local file system (a ConfigMap mount included). */
public final class LocalSource implements BundleSource {
  private final Path path;

  public LocalSource(Path path) {
    this.path = path;
  }

  public Path path() {
    return path;
  }

  @Override
  public String kind() {
    return Files.isDirectory(path) ? "directory" : "archive";
  }

  @Override
  public String location() {
    return path.toString();
  }

  @Override
  public boolean local() {
    return true;
  }

  /** Reads the whole bundle every time: a local read is cheap, and the digest decides what changed. */
  @Override
  public Fetched fetch() throws BundleReadException {
    return new Fetched(BundleReader.readSigned(path), null);
  }

  @Override
  public void accept(Fetched fetched) {}
}
