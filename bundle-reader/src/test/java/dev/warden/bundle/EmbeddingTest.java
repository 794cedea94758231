package dev.warden.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.api.Caller;
import dev.warden.policy.api.HttpRequest;
import dev.warden.policy.api.PolicyEngine;
import dev.warden.policy.api.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Runs the embedding snippet of docs/embedding.md exactly as the page shows it (the working
 * directory is the repository root), and checks that the page still shows exactly this code.
 */
class EmbeddingTest {
  private static final Path PAGE = Path.of("docs", "embedding.md");
  private static final Path SELF = Path.of("bundle-reader", "src", "test", "java", "dev", "warden", "bundle",
      "EmbeddingTest.java");

  @Test
  void theSnippetDecidesAsThePageSays() throws Exception {
    // snippet begin
    PolicyEngine shop = PolicyEngine.compile(BundleReader.read(Path.of("policies/shop"))).engine();

    Caller alice = Caller.withClaims(Map.of("sub", "alice", "roles", List.of("customer"), "tenant", "acme"));
    Verdict read = shop.decide(HttpRequest.of("GET", "/orders/7f0c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e01", alice, Instant.now()));

    Caller bob = Caller.withClaims(Map.of("sub", "bob", "roles", List.of("customer"), "tenant", "acme"));
    UUID order = UUID.fromString("7f0c2a9e-1b2c-4d3e-8f40-5a6b7c8d9e01");
    Verdict cancel = shop.decide("orders.cancel", Map.of("orderId", order), bob, Instant.now());
    // snippet end

    assertThat(read.allowed()).as(read.explanation()).isTrue();
    assertThat(read.rules()).containsExactly("role.customer#1");
    assertThat(cancel.allowed()).isFalse();
    assertThat(cancel.status()).isEqualTo(403);
    assertThat(cancel.reason()).isEqualTo("only the owner may touch an order");
    assertThat(cancel.rules()).containsExactly("orders.owner-only");
    assertThat(shop.revision()).matches("shop-2026\\.11\\.1@sha256:[0-9a-f]{12}");
  }

  @Test
  void thePageShowsExactlyTheSnippetThisTestRuns() throws Exception {
    Matcher self = Pattern.compile("(?s)// snippet begin\\n(.*?)\\n\\s*// snippet end").matcher(Files.readString(SELF));
    assertThat(self.find()).isTrue();
    String code = self.group(1).replaceAll("(?m)^ {4}", "");
    Matcher page = Pattern.compile("(?s)<!-- snippet: EmbeddingTest -->\\n```java\\n(.*?)\\n```").matcher(Files.readString(PAGE));
    assertThat(page.find()).as("%s has the snippet block", PAGE).isTrue();
    assertThat(page.group(1)).isEqualTo(code);
  }
}
