package dev.warden.policy.load;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Diagnostics;
import dev.warden.policy.diag.SourceFile;
import dev.warden.policy.diag.Span;
import dev.warden.policy.source.Bundle;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The load stage: a bundle's files in, its manifest, policy texts and data documents out. Decodes
 * every file the language reads as strict UTF-8 (a file that is not is a `source.encoding` error
 * at its first bad byte), reads `bundle.yaml` and the data files, and reports all it finds; what
 * could be read goes on to the next stages.
 */
public final class Loader {
  private static final List<String> DATA_EXTENSIONS = List.of(".json", ".yaml", ".yml");

  private final Diagnostics diagnostics;

  public Loader(Diagnostics diagnostics) {
    this.diagnostics = diagnostics;
  }

  public LoadedBundle load(Bundle bundle) {
    Map<String, SourceFile> sources = new LinkedHashMap<>();
    List<SourceFile> policies = new ArrayList<>();
    boolean allRead = true;
    boolean anyPolicy = false;
    Map<String, DataFile> data = new TreeMap<>();
    Map<String, String> dataPaths = new TreeMap<>();
    for (String path : bundle.paths()) {
      if (path.endsWith(".warden")) {
        anyPolicy = true;
        String text = text(bundle, path, sources);
        if (text == null) {
          allRead = false;
        } else {
          SourceFile source = new SourceFile(path, text);
          sources.put(path, source);
          policies.add(source);
        }
        continue;
      }
      String name = dataName(path);
      if (name == null) {
        continue;
      }
      String twin = dataPaths.putIfAbsent(name, path);
      if (twin != null) {
        diagnostics.add(Diagnostic.error("data.duplicate", Span.of(path),
            "`" + path + "` and `" + twin + "` both define `data." + name + "`"));
        continue;
      }
      boolean yaml = !path.endsWith(".json");
      String text = text(bundle, path, sources);
      data.put(name, new DataFile(path, name, yaml, text == null ? null : readJson(path, text, yaml)));
    }
    if (!anyPolicy) {
      diagnostics.add(Diagnostic.error("bundle.empty", Span.of("."), "bundle has no `.warden` files")
          .withHelp("a bundle is a folder of `.warden` policy files, with `data/` beside them"));
      allRead = false;
    }
    String manifestText = bundle.has(Bundle.MANIFEST) ? text(bundle, Bundle.MANIFEST, sources) : null;
    Manifest manifest = Manifest.parse(manifestText, bundle.digest(), diagnostics::add);
    return new LoadedBundle(manifest, policies, allRead, new ArrayList<>(data.values()), sources);
  }

  /** `data/NAME.json|yaml|yml`, one level deep, is the document NAME; anything else is not data. */
  private static String dataName(String path) {
    if (!path.startsWith("data/") || path.indexOf('/', 5) >= 0) {
      return null;
    }
    String file = path.substring(5);
    for (String ext : DATA_EXTENSIONS) {
      if (file.endsWith(ext)) {
        return file.substring(0, file.length() - ext.length());
      }
    }
    return null;
  }

  /** The file as text, or null after reporting where it is not UTF-8. */
  private String text(Bundle bundle, String path, Map<String, SourceFile> sources) {
    Utf8.Decoded d = Utf8.decode(bundle.bytes(path));
    if (d.ok()) {
      return d.text();
    }
    SourceFile shown = new SourceFile(path, d.text());
    sources.put(path, shown);
    diagnostics.add(Diagnostic.error("source.encoding", shown.span(d.badChar(), 1),
            "file is not UTF-8 text: `" + hex(d.badBytes()) + "` is not a valid UTF-8 sequence")
        .withHelp("Warden reads policy, data and manifest files as UTF-8 only; convert this one, e.g. with"
            + " `iconv -f latin1 -t utf-8`"));
    return null;
  }

  private static String hex(byte[] bytes) {
    List<String> parts = new ArrayList<>();
    for (byte b : bytes) {
      parts.add("0x" + HexFormat.of().toHexDigits(b).toUpperCase(Locale.ROOT));
    }
    return String.join(" ", parts);
  }

  private JsonNode readJson(String path, String text, boolean yaml) {
    try {
      ObjectMapper mapper = yaml ? new ObjectMapper(new YAMLFactory()) : new ObjectMapper();
      JsonNode node = mapper.readTree(text);
      if (node == null || node.isMissingNode()) {
        diagnostics.add(Diagnostic.error("data.parse_error", Span.of(path), "data file is empty"));
        return null;
      }
      return node;
    } catch (JsonProcessingException e) {
      var loc = e.getLocation();
      String line = loc == null ? "" : ":" + loc.getLineNr() + ":" + loc.getColumnNr();
      String msg = e.getOriginalMessage() == null ? "syntax error" : e.getOriginalMessage().split("\n")[0];
      diagnostics.add(Diagnostic.error("data.parse_error", Span.of(path + line),
          "data file is not valid " + (yaml ? "YAML" : "JSON") + ": " + lowerFirst(msg)));
      return null;
    }
  }

  private static String lowerFirst(String s) {
    return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
  }
}
