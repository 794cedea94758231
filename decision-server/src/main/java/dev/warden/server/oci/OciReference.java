package dev.warden.server.oci;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A bundle's place in an OCI registry, {@code oci://HOST[:PORT]/REPO/PATH[:TAG|@sha256:HEX]},
 * parsed strictly: a host (a DNS name, an IPv4 address or a bracketed IPv6 one), an optional
 * port, a repository name in the OCI distribution grammar, and either a tag (default
 * {@code latest}) or a sha256 digest, never both. User info, a query or a fragment are refused:
 * credentials come from a file, never from the reference, so a reference is always safe to print.
 *
 * @param host the host as written (an IPv6 address with its brackets)
 * @param port the port, or -1 for the scheme's default
 * @param repository the repository name, such as {@code team/shop}
 * @param tag the tag, or null when {@code digest} is set
 * @param digest the manifest digest {@code sha256:HEX}, or null when {@code tag} is set
 */
public record OciReference(String host, int port, String repository, String tag, String digest) {
  /** The tag when the reference names none. */
  public static final String DEFAULT_TAG = "latest";

  private static final String SCHEME = "oci://";
  private static final String COMPONENT = "[a-z0-9]+(?:[._-][a-z0-9]+)*";
  private static final Pattern NAME = Pattern.compile(COMPONENT + "(?:/" + COMPONENT + ")*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?");
  private static final Pattern IPV6 = Pattern.compile("\\[[0-9A-Fa-f:.]+\\]");
  private static final int MAX_NAME = 255;

  public OciReference {
    if ((tag == null) == (digest == null)) {
      throw new IllegalArgumentException("an OCI reference has a tag or a digest, exactly one");
    }
  }

  /**
   * Parses {@code oci://HOST[:PORT]/REPO[:TAG|@sha256:HEX]}.
   *
   * @throws IllegalArgumentException with what is wrong and how the reference should look
   */
  public static OciReference parse(String text) {
    if (text == null || !text.startsWith(SCHEME)) {
      throw bad(text, "it does not start with `" + SCHEME + "`");
    }
    String rest = text.substring(SCHEME.length());
    if (rest.indexOf('?') >= 0 || rest.indexOf('#') >= 0) {
      throw bad(text, "a query (`?`) or a fragment (`#`) has no meaning in an OCI reference");
    }
    int slash = rest.indexOf('/');
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    if (authority.indexOf('@') >= 0) {
      throw new IllegalArgumentException("`oci://…@…` is not a valid OCI reference: it holds user info before the host;"
          + " give credentials with a token or user file, never in the reference");
    }
    if (authority.isEmpty()) {
      throw bad(text, "the host is empty");
    }
    if (slash < 0 || slash == rest.length() - 1) {
      throw bad(text, "there is no repository after the host");
    }
    String host = authority;
    int port = -1;
    int colon = authority.lastIndexOf(':');
    if (colon >= 0 && !(authority.startsWith("[") && authority.endsWith("]"))) {
      host = authority.substring(0, colon);
      port = port(text, authority.substring(colon + 1));
    }
    checkHost(text, host);
    String path = rest.substring(slash + 1);
    String tag = null;
    String digest = null;
    int at = path.indexOf('@');
    if (at >= 0) {
      digest = path.substring(at + 1);
      path = path.substring(0, at);
      checkDigest(text, digest);
    }
    int lastSlash = path.lastIndexOf('/');
    int tagColon = path.indexOf(':', lastSlash + 1);
    if (tagColon >= 0) {
      if (digest != null) {
        throw bad(text, "it has both a tag and a digest; give one of them");
      }
      tag = path.substring(tagColon + 1);
      path = path.substring(0, tagColon);
      if (!TAG.matcher(tag).matches()) {
        throw bad(text, "the tag `" + tag + "` is not valid: a tag is 1 to 128 of A-Z a-z 0-9 _ . -,"
            + " not starting with . or -");
      }
    }
    if (path.isEmpty()) {
      throw bad(text, "the repository name is empty");
    }
    if (!NAME.matcher(path).matches()) {
      throw bad(text, "the repository `" + path + "` is not a valid name: lowercase a-z 0-9 parts joined by"
          + " single `.`, `_` or `-`, separated by `/` (no empty parts, no uppercase)");
    }
    if (path.length() > MAX_NAME) {
      throw bad(text, "the repository name is longer than " + MAX_NAME + " characters");
    }
    if (tag == null && digest == null) {
      tag = DEFAULT_TAG;
    }
    return new OciReference(host, port, path, tag, digest);
  }

  /** What goes after {@code /manifests/}: the digest when there is one, else the tag. */
  public String reference() {
    return digest != null ? digest : tag;
  }

  /** {@code HOST[:PORT]}, as messages name the registry. */
  public String registry() {
    return port < 0 ? host : host + ":" + port;
  }

  /** This reference with {@code digest} instead of its tag or digest. */
  public OciReference withDigest(String manifestDigest) {
    checkDigest(toString(), manifestDigest);
    return new OciReference(host, port, repository, null, manifestDigest);
  }

  @Override
  public String toString() {
    return SCHEME + registry() + "/" + repository + (digest != null ? "@" + digest : ":" + tag);
  }

  private static int port(String text, String port) {
    if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw bad(text, "the port `" + port + "` is not a number from 1 to 65535");
    }
    int p = Integer.parseInt(port);
    if (p < 1 || p > 65535) {
      throw bad(text, "the port " + p + " is not from 1 to 65535");
    }
    return p;
  }

  private static void checkHost(String text, String host) {
    if (host.isEmpty()) {
      throw bad(text, "the host is empty");
    }
    if (IPV6.matcher(host).matches()) {
      return;
    }
    for (String label : host.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        throw bad(text, "the host `" + host + "` is not a valid host name or address");
      }
    }
  }

  private static void checkDigest(String text, String digest) {
    if (!OciDigest.valid(digest)) {
      String algorithm = digest.indexOf(':') > 0 ? digest.substring(0, digest.indexOf(':')) : "";
      throw bad(text, algorithm.toLowerCase(Locale.ROOT).equals("sha256") || algorithm.isEmpty()
          ? "the digest `" + digest + "` is not `sha256:` and 64 lowercase hex digits"
          : "the digest algorithm `" + algorithm + "` is not supported; Warden verifies sha256 digests only");
    }
  }

  private static IllegalArgumentException bad(String text, String why) {
    // A query may hold a credential someone put there: it is never echoed.
    return new IllegalArgumentException("`" + text.replaceFirst("[?#].*$", "?…") + "` is not a valid OCI reference: " + why
        + " (expected oci://HOST[:PORT]/REPO[:TAG|@sha256:HEX])");
  }
}
