package dev.warden.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.warden.server.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps deploy/kubernetes in step with policies/shop: the generated ConfigMap must hold the
 * bundle as it is now, and the pod's volume must put every key back at its path, because a key
 * the volume does not list is a policy file silently missing from the running bundle.
 */
class KubernetesManifestsTest {
  private static final Path KUBE = Path.of("..", "deploy", "kubernetes");
  private static final Path BUNDLE = Path.of("..", "policies", "shop");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @Test
  void configMapHoldsTheBundleAsItIsNow() throws IOException {
    JsonNode data = YAML.readTree(KUBE.resolve("bundle-configmap.yaml").toFile()).get("data");
    Map<String, String> keys = new TreeMap<>();
    data.fields().forEachRemaining(e -> keys.put(e.getKey(), e.getValue().asText()));
    Map<String, String> expected = new TreeMap<>();
    for (String file : bundleFiles()) {
      expected.put(file.replace("/", "__"), Files.readString(BUNDLE.resolve(file)));
    }
    assertThat(keys).as("regenerate with deploy/kubernetes/make-configmap.sh").isEqualTo(expected);
  }

  @Test
  void volumePutsEveryKeyBackAtItsPath() throws IOException {
    Map<String, String> items = new TreeMap<>();
    for (JsonNode item : bundleVolume().get("configMap").get("items")) {
      items.put(item.get("key").asText(), item.get("path").asText());
    }
    Map<String, String> expected = new TreeMap<>();
    bundleFiles().forEach(f -> expected.put(f.replace("/", "__"), f));
    assertThat(items).as("regenerate with make-configmap.sh --items").isEqualTo(expected);
  }

  @Test
  void wardenKeepsExtAuthzOnLoopbackAndRunsLockedDown() throws Exception {
    JsonNode warden = container("warden");
    List<String> args = new ArrayList<>();
    warden.get("args").forEach(a -> args.add(a.asText()));
    assertThat(args).containsSubsequence("--grpc", "127.0.0.1:9191").containsSubsequence("--http", "0.0.0.0:9192");
    ServerConfig config = ServerConfig.load(null, Map.of(), Map.of("bundle", args.get(args.indexOf("--bundle") + 1),
        "grpc.listen", "127.0.0.1:9191", "http.listen", "0.0.0.0:9192"));
    assertThat(config.bundle()).isEqualTo(Path.of("/etc/warden/bundle"));
    JsonNode security = warden.get("securityContext");
    assertThat(security.get("readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(security.get("allowPrivilegeEscalation").asBoolean()).isFalse();
    assertThat(pod().get("securityContext").get("runAsNonRoot").asBoolean()).isTrue();
    assertThat(warden.get("readinessProbe").get("httpGet").get("path").asText()).isEqualTo("/ready");
  }

  private static List<String> bundleFiles() throws IOException {
    try (Stream<Path> walk = Files.walk(BUNDLE)) {
      return walk.filter(Files::isRegularFile)
          .map(p -> BUNDLE.relativize(p).toString().replace('\\', '/'))
          .filter(p -> !p.startsWith(".") && !p.contains("/."))
          .sorted()
          .toList();
    }
  }

  private static JsonNode pod() throws IOException {
    return YAML.readTree(KUBE.resolve("deployment.yaml").toFile()).get("spec").get("template").get("spec");
  }

  private static JsonNode container(String name) throws IOException {
    for (JsonNode c : pod().get("containers")) {
      if (c.get("name").asText().equals(name)) {
        return c;
      }
    }
    throw new AssertionError("no container " + name);
  }

  private static JsonNode bundleVolume() throws IOException {
    for (JsonNode v : pod().get("volumes")) {
      if (v.get("name").asText().equals("bundle")) {
        return v;
      }
    }
    throw new AssertionError("no volume bundle");
  }
}
