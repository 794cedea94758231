package dev.warden.server.decisionlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.bundle.BundleReader;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.compile.Program;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.LogRedaction;
import dev.warden.policy.runtime.LogRedaction.Action;
import dev.warden.policy.runtime.LogRedaction.Field;
import dev.warden.policy.runtime.Request;
import dev.warden.proto.v1.DecisionLog;
import dev.warden.proto.v1.LoggedBundle;
import dev.warden.server.authz.DecisionRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bundle's `redact log` entries applied to its decisions' records: each action on headers and
 * query parameters, names in any case and percent-encoding, defaults a policy cannot weaken, the
 * keyed hash, and a revision no longer known (fail closed).
 */
class PolicyMaskingTest {
  private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
  private static final ValueHasher HASHER = ValueHasher.random();
  private static Program shop;

  @TempDir Path dir;

  @BeforeAll
  static void compile() throws Exception {
    shop = BundleCompiler.standard().compile(BundleReader.read(Path.of("..", "policies", "shop"))).program();
  }

  private static LogRedaction r(Field field, String name, Action action) {
    return new LogRedaction(field, name, action, "p.warden:1");
  }

  /** The record of shop's decision on {@code path} with these headers, masked by {@code redactions}. */
  private static DecisionLog logged(List<LogRedaction> redactions, String path, Map<String, String> headers) {
    RecordEncoder encoder = new RecordEncoder(Masking.defaults("x-api-key", HASHER),
        revision -> new RecordEncoder.KnownBundle(LoggedBundle.newBuilder().setRevision(revision).build(),
            PolicyRedactions.of(redactions)), NOW, 0);
    Request q = Request.builder("GET", path, NOW).headers(headers)
        .identity(Identity.ofClaims(Map.of("sub", "alice", "roles", List.of("customer")))).build();
    return encoder.record(new DecisionRecord("d", DecisionRecord.Api.DECIDE, shop.decide(q),
        DecisionRecord.Cause.POLICY, q, 0, 1, false, null));
  }

  @Test
  void everyActionOnHeaders() {
    DecisionLog d = logged(List.of(r(Field.HEADER, "x-user-email", Action.HASH), r(Field.HEADER, "x-card", Action.LAST4),
        r(Field.HEADER, "x-name", Action.MASK), r(Field.HEADER, "x-debug", Action.REMOVE)), "/orders",
        Map.of("X-User-Email", "alice@example.com", "x-card", "4111111111114242", "x-name", "Alice",
            "X-Debug", "trace-me", "accept", "text/plain"));
    assertThat(d.getRequest().getHeadersMap())
        .containsEntry("x-user-email", HASHER.hash("alice@example.com"))
        .containsEntry("x-card", Masking.MASK + "4242")
        .containsEntry("x-name", Masking.MASK)
        .containsEntry("accept", "text/plain")
        .doesNotContainKey("x-debug");
    assertThat(d.getMaskedList()).containsExactlyInAnyOrder("request.headers.x-user-email#hash",
        "request.headers.x-card#last4", "request.headers.x-name", "request.headers.x-debug#remove");
    assertThat(d.toString()).doesNotContain("alice@example.com", "411111111111", "Alice", "trace-me");
  }

  @Test
  void everyActionOnQueryParametersByTheirDecodedName() {
    DecisionLog d = logged(List.of(r(Field.QUERY, "email", Action.HASH), r(Field.QUERY, "card", Action.LAST4),
        r(Field.QUERY, "name", Action.MASK), r(Field.QUERY, "debug", Action.REMOVE)),
        "/orders?%65mail=bob%40example.com&EMAIL=carol@example.com&card=5500000000000004&Name=Bob&debug=1&debug=2&page=3",
        Map.of());
    assertThat(d.getRequest().getQueryMap())
        .containsEntry("%65mail", HASHER.hash("bob%40example.com"))
        .containsEntry("EMAIL", HASHER.hash("carol@example.com"))
        .containsEntry("card", Masking.MASK + "0004")
        .containsEntry("Name", Masking.MASK)
        .containsEntry("page", "3")
        .doesNotContainKey("debug");
    assertThat(d.getMaskedList()).containsExactlyInAnyOrder("request.query.email#hash", "request.query.card#last4",
        "request.query.name", "request.query.debug#remove");
    assertThat(d.toString()).doesNotContain("bob%40example", "carol@", "55000000", "Bob");
  }

  @Test
  void lastFourIsKeptOnlyFromEightCharactersAndNeverFromAJwt() {
    String jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";
    DecisionLog d = logged(List.of(r(Field.HEADER, "x-short", Action.LAST4), r(Field.HEADER, "x-eight", Action.LAST4),
        r(Field.HEADER, "x-token", Action.LAST4), r(Field.HEADER, "x-wide", Action.LAST4)), "/orders",
        Map.of("x-short", "1234567", "x-eight", "12345678", "x-token", jwt, "x-wide", "ab😀cdefg😀"));
    assertThat(d.getRequest().getHeadersMap())
        .containsEntry("x-short", Masking.MASK)
        .containsEntry("x-eight", Masking.MASK + "5678")
        .containsEntry("x-token", Masking.MASK)
        .containsEntry("x-wide", Masking.MASK + "efg😀");
    assertThat(d.getMaskedList()).containsExactlyInAnyOrder("request.headers.x-short", "request.headers.x-eight#last4",
        "request.headers.x-token", "request.headers.x-wide#last4");
  }

  @Test
  void aPolicyCannotWeakenADefaultButMayRemoveIt() {
    String jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNlY3JldA";
    DecisionLog d = logged(List.of(r(Field.HEADER, "authorization", Action.LAST4), r(Field.HEADER, "x-api-key",
        Action.HASH), r(Field.HEADER, "cookie", Action.REMOVE), r(Field.QUERY, "token", Action.LAST4)),
        "/orders?token=abcdefgh12345678", Map.of("Authorization", "Bearer " + jwt, "x-api-key", "key-1234567890",
            "cookie", "session=s3cr3t-s3cr3t"));
    assertThat(d.getRequest().getHeadersMap())
        .containsEntry("authorization", Masking.MASK)
        .containsEntry("x-api-key", Masking.MASK)
        .doesNotContainKey("cookie");
    assertThat(d.getRequest().getQueryMap()).containsEntry("token", Masking.MASK);
    assertThat(d.getMaskedList()).containsExactlyInAnyOrder("request.headers.authorization",
        "request.headers.x-api-key", "request.headers.cookie#remove", "request.query.token");
    assertThat(d.toString()).doesNotContain("c2lnbmF0dXJl", "key-1234567890", "s3cr3t", "5678");
  }

  @Test
  void aHashIsKeyedAndNotThePlainDigest() throws Exception {
    String value = "alice@example.com";
    String hashed = HASHER.hash(value);
    assertThat(hashed).matches("hmac:[A-Za-z0-9_-]{43}").isEqualTo(HASHER.hash(value));
    assertThat(ValueHasher.random().hash(value)).isNotEqualTo(hashed);
    byte[] plain = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
    assertThat(hashed).doesNotContain(Base64.getUrlEncoder().withoutPadding().encodeToString(plain))
        .doesNotContain(HexFormat.of().formatHex(plain));
    Path key = dir.resolve("key");
    Files.writeString(key, "k".repeat(32) + "\n");
    Path same = dir.resolve("same");
    Files.writeString(same, "k".repeat(32));
    assertThat(ValueHasher.fromFile(key).hash(value)).isEqualTo(ValueHasher.fromFile(same).hash(value))
        .isNotEqualTo(hashed);
    assertThat(ValueHasher.fromFile(key).randomKey()).isFalse();
  }

  @Test
  void aShortKeyFileIsRefusedWithHowToMakeOne() throws Exception {
    Path key = dir.resolve("key");
    Files.writeString(key, "short\r\n");
    assertThatThrownBy(() -> ValueHasher.fromFile(key)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("it holds 5 bytes; a key needs at least 32 (make one with `head -c 32 /dev/urandom | base64 > FILE`)");
  }

  @Test
  void aClaimIsRedactedByTheHelperTheRecordsPrincipalCalls() {
    Masking m = Masking.defaults(null, HASHER);
    PolicyRedactions p = PolicyRedactions.of(List.of(r(Field.CLAIM, "email", Action.HASH),
        r(Field.CLAIM, "phone", Action.REMOVE)));
    List<String> masked = new ArrayList<>();
    assertThat(m.claim("email", "alice@example.com", p, masked)).isEqualTo(HASHER.hash("alice@example.com"));
    assertThat(m.claim("phone", "+44 20 7946 0000", p, masked)).isNull();
    assertThat(m.claim("Email", "kept", p, masked)).as("claim names are case-sensitive").isEqualTo("kept");
    assertThat(masked).containsExactly("principal.claims.email#hash", "principal.claims.phone#remove");
  }

  @Test
  void aRecordWhosePolicyIsNotKnownAnyMoreIsMaskedWhole() {
    RecordEncoder encoder = new RecordEncoder(Masking.defaults("x-api-key", HASHER), revision -> null, NOW, 0);
    Request q = Request.builder("GET", "/orders?email=a@b.c", NOW).headers(Map.of("x-user-email", "a@b.c"))
        .identity(Identity.ofClaims(Map.of("sub", "alice", "roles", List.of("customer")))).build();
    DecisionLog d = encoder.record(new DecisionRecord("d", DecisionRecord.Api.DECIDE, shop.decide(q),
        DecisionRecord.Cause.POLICY, q, 0, 1, false, null));
    assertThat(d.getBundle().getRevision()).isEqualTo(shop.revision());
    assertThat(d.getRequest().getHeadersMap()).containsEntry("x-user-email", Masking.MASK);
    assertThat(d.getRequest().getQueryMap()).containsEntry("email", Masking.MASK);
    // The claims too: nothing the unknown policy might have redacted is kept.
    assertThat(d.getPrincipal().getClaims().getFieldsMap().get("sub").getStringValue()).isEqualTo(Masking.MASK);
    assertThat(d.getMaskedList()).containsExactlyInAnyOrder("request.headers.x-user-email", "request.query.email",
        "principal.claims.sub", "principal.claims.roles");
  }

  @Test
  void theCompiledPolicysRedactionsAreTheOnesApplied() throws Exception {
    Program p = BundleCompiler.standard().compile(dev.warden.policy.source.Bundle.of(Map.of("p.warden", """
        package p
        principal { id: string = jwt.sub }
        api "P" { route list GET /items }
        permit list
        redact log { request.headers.X-User-Email hash, request.query["e-mail"] last4 }
        """))).programOrThrow();
    RecordEncoder encoder = new RecordEncoder(Masking.defaults(null, HASHER), revision -> revision.equals(p.revision())
        ? new RecordEncoder.KnownBundle(LoggedBundle.newBuilder().setRevision(revision).build(),
            PolicyRedactions.of(p.logRedactions())) : null, NOW, 0);
    Request q = Request.builder("GET", "/items?E-Mail=someone@example.com", NOW)
        .headers(Map.of("x-user-email", "someone@example.com")).identity(Identity.ofClaims(Map.of("sub", "a"))).build();
    DecisionLog d = encoder.record(new DecisionRecord("d", DecisionRecord.Api.DECIDE, p.decide(q),
        DecisionRecord.Cause.POLICY, q, 0, 1, false, null));
    assertThat(d.getAllowed()).isTrue();
    assertThat(d.getRequest().getHeadersMap()).containsEntry("x-user-email", HASHER.hash("someone@example.com"));
    assertThat(d.getRequest().getQueryMap()).containsEntry("E-Mail", Masking.MASK + ".com");
    assertThat(d.getMaskedList()).containsExactlyInAnyOrder("request.headers.x-user-email#hash",
        "request.query.e-mail#last4");
  }
}
