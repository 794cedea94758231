package dev.warden.policy.load;

import dev.warden.policy.diag.SourceFile;
import java.util.List;
import java.util.Map;

/**
 * A bundle after the load stage: its manifest, its policy texts and its data documents, each
 * decoded and read, and what could not be read reported. Input of the parse and check stages.
 *
 * @param manifest the settings of `bundle.yaml`, or the defaults where it is absent or wrong
 * @param policies every `.warden` file that is UTF-8 text, in path order
 * @param allPoliciesRead false when a `.warden` file is not UTF-8 text, or there is none: the
 *     checker then does not run, as it would report names the unread files declare
 * @param data one file per data document, in name order; twins were reported and dropped
 * @param sources every text file by path, for showing diagnostics: the policies, and the files
 *     that are not UTF-8 as far as they can be shown
 */
public record LoadedBundle(
    Manifest manifest,
    List<SourceFile> policies,
    boolean allPoliciesRead,
    List<DataFile> data,
    Map<String, SourceFile> sources) {
  public LoadedBundle {
    policies = List.copyOf(policies);
    data = List.copyOf(data);
    sources = Map.copyOf(sources);
  }
}
