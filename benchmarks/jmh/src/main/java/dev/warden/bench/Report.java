package dev.warden.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a JMH JSON result ({@code -rf json}) into the tables of docs/benchmarks.md: the median of
 * the measurement iterations, which a noisy neighbour skews less than the mean, and ratios taken
 * within the one run.
 */
public final class Report {
  private Report() {}

  public static void main(String[] args) throws IOException {
    Map<String, List<Double>> raws = new LinkedHashMap<>();
    Map<String, Double> byName = new LinkedHashMap<>();
    for (JsonNode b : new ObjectMapper().readTree(Path.of(args[0]).toFile())) {
      String name = b.get("benchmark").asText().replaceFirst(".*\\.(\\w+\\.\\w+)$", "$1");
      JsonNode params = b.get("params");
      String key = params == null ? name : name + "/" + params.get("routes").asText();
      List<Double> raw = new ArrayList<>();
      b.get("primaryMetric").get("rawData").forEach(fork -> fork.forEach(v -> raw.add(v.asDouble())));
      byName.put(key, median(raw));
      raws.put(key, raw);
    }
    double base = byName.getOrDefault("DecisionBenchmark.handWritten", Double.NaN);
    double warden = byName.getOrDefault("DecisionBenchmark.warden", Double.NaN);
    System.out.println("| engine | median ns/op | iterations (ns/op) | × hand-written | Warden faster by |");
    System.out.println("|---|---:|---|---:|---:|");
    byName.forEach((key, median) -> {
      if (key.startsWith("DecisionBenchmark.")) {
        System.out.printf("| %s | %,.0f | %s | %.2f× | %.2f× |%n", key.substring(18), median,
            iterations(raws.get(key)), median / base, median / warden);
      }
    });
    double small = byName.getOrDefault("RouteScalingBenchmark.decide/10", Double.NaN);
    System.out.println();
    System.out.println("| routes | median ns/op | iterations (ns/op) | × 10 routes |");
    System.out.println("|---:|---:|---|---:|");
    byName.forEach((key, median) -> {
      if (key.startsWith("RouteScalingBenchmark.")) {
        System.out.printf("| %s | %,.0f | %s | %.2f× |%n", key.substring(key.indexOf('/') + 1), median,
            iterations(raws.get(key)), median / small);
      }
    });
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n == 0 ? Double.NaN : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static String iterations(List<Double> values) {
    List<String> out = new ArrayList<>();
    values.forEach(v -> out.add(String.format("%,.0f", v)));
    return String.join(", ", out);
  }
}
