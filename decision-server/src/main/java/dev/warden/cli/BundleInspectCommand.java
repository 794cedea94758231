package dev.warden.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.warden.bundle.BundleArchive;
import dev.warden.bundle.BundleReadException;
import dev.warden.bundle.BundleSignatures;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.check.CheckedBundle.RouteInfo;
import dev.warden.policy.source.Bundle;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * `warden bundle inspect FILE|DIR`: the manifest, the content digest, the files with their
 * sizes and hashes, the routes (the bundle compiled as the sidecar compiles it) and the
 * signatures, each checked when `--key` is given. Exit 0; 1 when keys are given and the bundle
 * does not verify; else 3 when the bundle has errors (all the rest is still shown).
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = "Show a bundle's manifest, content digest, files, routes and signatures.")
final class BundleInspectCommand implements Callable<Integer> {
  enum Format { text, json }

  @CommandLine.Parameters(index = "0", paramLabel = "FILE|DIR", description = "The bundle archive or directory.")
  Path path;

  @CommandLine.Option(names = "--key", paramLabel = "[ID=]KEY",
      description = "A trusted X.509 PEM public key, to check each signature against. Repeatable.")
  List<String> keys = new ArrayList<>();

  @CommandLine.Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
  Format format;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  record FileRow(String path, int size, String sha256) {}

  record RouteRow(String route, String method, String path) {}

  record SignatureRow(String keyId, String algorithm, String status, List<String> problems) {}

  record Report(String bundle, String manifest, String revision, String digest, List<FileRow> files,
      List<RouteRow> routes, int errors, List<SignatureRow> signatures, Boolean verified) {}

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    BundleArchive.Signed read;
    Map<String, PublicKey> trusted;
    List<BundleSignatures.Signature> signatures = List.of();
    try {
      trusted = BundleCommand.trusted(keys);
      read = BundleCommand.read(path);
      if (read.signatures() != null) {
        signatures = BundleSignatures.read(read.signatures());
      }
    } catch (BundleReadException e) {
      err.println("error: " + e.getMessage());
      return WardenCli.USAGE;
    }
    Bundle bundle = read.bundle();
    List<FileRow> files = bundle.paths().stream()
        .map(p -> new FileRow(p, bundle.size(p), BundleSignatures.sha256(bundle.bytes(p)))).toList();
    CompileResult result = BundleCompiler.standard().compile(bundle, System::nanoTime);
    List<RouteRow> routes = new ArrayList<>();
    String revision = null;
    if (result.ok()) {
      revision = result.checked().manifest().revision();
      for (RouteInfo r : result.checked().routes()) {
        routes.add(new RouteRow(r.qualifiedName(), r.method(), r.path().text()));
      }
    }
    Boolean verified = null;
    List<SignatureRow> rows = new ArrayList<>();
    if (!trusted.isEmpty()) {
      BundleSignatures.Verification v = BundleSignatures.verify(bundle, read.signatures(), trusted);
      verified = v.verified();
      for (BundleSignatures.Check c : v.checks()) {
        rows.add(new SignatureRow(c.signature().keyId(), c.signature().algorithm(),
            c.status().name().toLowerCase(Locale.ROOT), c.problems()));
      }
    } else {
      for (BundleSignatures.Signature s : signatures) {
        rows.add(new SignatureRow(s.keyId(), s.algorithm(), "not checked", List.of()));
      }
    }
    String manifest = bundle.has(Bundle.MANIFEST) ? new String(bundle.bytes(Bundle.MANIFEST), StandardCharsets.UTF_8) : null;
    Report report = new Report(path.toString(), manifest, revision, BundleSignatures.contentDigest(bundle), files,
        routes, result.errors().size(), rows, verified);
    if (format == Format.json) {
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
    } else {
      text(out, report);
    }
    out.flush();
    if (!result.ok()) {
      err.print(result.render());
      err.println("error: " + path + " has " + result.errors().size() + " error(s)");
      err.flush();
    }
    // An archive that does not verify is not to be trusted at all: that outranks its errors.
    if (Boolean.FALSE.equals(verified)) {
      return BundleCommand.VERIFY_FAILED;
    }
    return result.ok() ? WardenCli.OK : WardenCli.POLICY_ERRORS;
  }

  private static void text(PrintWriter out, Report r) {
    out.println("bundle:   " + r.bundle());
    out.println("revision: " + (r.revision() == null ? "- (the bundle has errors)" : r.revision()));
    out.println("digest:   " + r.digest());
    if (r.manifest() == null) {
      out.println("manifest: none (" + Bundle.MANIFEST + " is optional)");
    } else {
      out.println("manifest: " + Bundle.MANIFEST);
      r.manifest().lines().forEach(l -> out.println("  " + l));
    }
    long total = r.files().stream().mapToLong(FileRow::size).sum();
    out.printf("files: %d, %,d bytes%n", r.files().size(), total);
    int w = r.files().stream().mapToInt(f -> f.path().length()).max().orElse(0);
    for (FileRow f : r.files()) {
      out.printf("  %-" + w + "s  %,9d  %s%n", f.path(), f.size(), f.sha256());
    }
    if (r.errors() > 0) {
      out.println("routes: - (the bundle has " + r.errors() + " error(s))");
    } else {
      out.println("routes: " + r.routes().size());
      int rw = r.routes().stream().mapToInt(x -> x.route().length()).max().orElse(0);
      for (RouteRow x : r.routes()) {
        out.printf("  %-" + rw + "s  %-7s %s%n", x.route(), x.method(), x.path());
      }
    }
    out.println("signatures: " + (r.signatures().isEmpty() ? "none" : r.signatures().size()));
    int kw = r.signatures().stream().mapToInt(s -> s.keyId().length()).max().orElse(0);
    for (SignatureRow s : r.signatures()) {
      out.printf("  %-" + kw + "s  %-6s %s%n", s.keyId(), s.algorithm(), s.status().replace('_', ' '));
      s.problems().forEach(p -> out.println("    " + p));
    }
    if (r.verified() != null) {
      out.println("verified: " + (r.verified() ? "yes" : "no"));
    }
  }
}
