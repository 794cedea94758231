package dev.warden.policy.check;

import com.fasterxml.jackson.databind.JsonNode;
import dev.warden.policy.ast.Decl;
import dev.warden.policy.ast.PathTemplate;
import dev.warden.policy.load.Manifest;
import dev.warden.policy.diag.SourceFile;
import dev.warden.policy.diag.Span;
import dev.warden.policy.types.Type;
import java.time.Instant;
import java.time.LocalDate;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * A bundle that passed the checker: every name resolved, every expression typed, role
 * inheritance flattened, targets resolved to route ids. Input of the compile stage.
 *
 * @param logRedactions the `redact log` entries of every file, merged, in the order written
 */
public record CheckedBundle(
    Manifest manifest,
    List<PrincipalSpec> principal,
    List<RouteInfo> routes,
    List<RoleInfo> roles,
    List<CheckedGrant> grants,
    List<CheckedRule> rules,
    List<DataDocument> data,
    FieldIds fieldIds,
    int frameSize,
    List<CheckedTest> tests,
    Map<String, SourceFile> sources,
    List<CheckedOnBlock> obligations,
    List<String> packages,
    List<dev.warden.policy.runtime.LogRedaction> logRedactions,
    Map<Integer, dev.warden.policy.schema.RouteSchema> schemas,
    List<CheckedQuota> quotas) {

  /**
   * A `quota`: its compiled declaration, the routes it covers, its key ({@code null}: one bucket
   * for every caller), conditions and cost ({@code null}: 1).
   */
  public record CheckedQuota(dev.warden.policy.runtime.Quota spec, BitSet routes, Checked key,
      List<CheckedCondition> conditions, Checked cost, Span span) {
    public CheckedQuota {
      conditions = List.copyOf(conditions);
    }
  }

  /** One field of the principal and where its value comes from, first source first. */
  public record PrincipalSpec(String name, int slot, Type type, List<ClaimSource> sources) {
    public PrincipalSpec {
      sources = List.copyOf(sources);
    }

    public boolean required() {
      return !(type instanceof Type.Optional);
    }
  }

  /** Where a principal field's value comes from. */
  public sealed interface ClaimSource {
    /**
     * A claim by path (`jwt.claims.org.id` is [org, id]), read only when the caller's credential
     * is of the given kind: `jwt.` reads tokens, `apikey.` API keys.
     */
    record Claim(dev.warden.policy.runtime.Identity.Credential credential, List<String> path) implements ClaimSource {
      public Claim {
        path = List.copyOf(path);
      }
    }

    /** The SPIFFE id of the mTLS peer. */
    record Peer() implements ClaimSource {}

    /** A literal default. */
    record Constant(Object value) implements ClaimSource {}
  }

  /** A declared route, numbered. */
  public record RouteInfo(
      int id,
      String qualifiedName,
      String packageName,
      String name,
      String method,
      PathTemplate path,
      LocalDate since,
      LocalDate retired,
      String api,
      String owner,
      Span span) {

    public Instant sinceInstant() {
      return since == null ? null : since.atStartOfDay().toInstant(java.time.ZoneOffset.UTC);
    }

    public Instant retiredInstant() {
      return retired == null ? null : retired.atStartOfDay().toInstant(java.time.ZoneOffset.UTC);
    }
  }

  /**
   * A role with its flattened inheritance.
   *
   * @param implies this role and every role it extends, directly or not
   */
  public record RoleInfo(int id, String name, List<String> parents, BitSet implies, Span span) {}

  /**
   * A condition with its source text and its expression as written, for explanations (which
   * name the parts of a comparison as the author wrote them).
   */
  public record CheckedCondition(boolean unless, Checked expr, String text, Span span,
      dev.warden.policy.ast.Expr source) {}

  /** One `allow` line of a role. */
  public record CheckedGrant(String id, int role, String roleName, BitSet routes, List<CheckedCondition> conditions, Span span) {
    public CheckedGrant {
      conditions = List.copyOf(conditions);
    }
  }

  /**
   * A `permit` or `forbid` rule. {@code reason} may be null. A {@code shadow} rule is never
   * enforced: the program tells what the decision would have been with it.
   */
  public record CheckedRule(String id, boolean shadow, Decl.Effect effect, BitSet routes,
      List<CheckedCondition> conditions, String reason, Span span) {
    public CheckedRule {
      conditions = List.copyOf(conditions);
    }
  }

  /**
   * An `on allow` or `on deny` block, resolved to the routes it covers.
   *
   * @param id `orders.on_allow#1`: the package, the outcome and the block's number in the package
   * @param actions in the order written
   */
  public record CheckedOnBlock(String id, boolean allow, BitSet routes, List<CheckedHeaderAction> actions, Span span) {
    public CheckedOnBlock {
      actions = List.copyOf(actions);
    }
  }

  /**
   * One header action of an `on` block. {@code value} is a `string` or `string?` expression, null
   * for `remove`; a `remove` name ending in `*` is a pattern.
   */
  public record CheckedHeaderAction(Decl.HeaderOp op, boolean response, String name, Checked value, Span span) {
    public boolean pattern() {
      return name.endsWith("*");
    }

    /** How the action reads in explanations: `set header `x-user-id``. */
    public String describe() {
      return op.keyword() + (response ? " response header `" : " header `") + name + "`";
    }
  }

  /** A data document: its type and the JSON it was read from (null when declared only). */
  public record DataDocument(String name, int slot, Type type, JsonNode json, String file) {}

  /** A test block, checked. */
  /**
   * A test block, checked. {@code shadowExpect} is what the test expects of the would-be decision
   * with the bundle's shadow rules enforced (`expect shadow …`), or null.
   */
  public record CheckedTest(String name, Span span, List<DataOverride> data, List<Exchange> exchanges) {
    public CheckedTest {
      data = List.copyOf(data);
      exchanges = List.copyOf(exchanges);
      if (exchanges.isEmpty()) {
        throw new IllegalArgumentException("a test sends at least one request");
      }
    }

    /** A test of one request. */
    public CheckedTest(String name, Span span, TestRequest request, List<DataOverride> data, Expectation expect,
        Expectation shadowExpect) {
      this(name, span, data, List.of(new Exchange(request, expect, shadowExpect, 1, java.time.Duration.ZERO)));
    }

    public CheckedTest(String name, Span span, TestRequest request, List<DataOverride> data, Expectation expect) {
      this(name, span, request, data, expect, null);
    }

    /** The last request the test sends: its only one, but in a sequence. */
    public TestRequest request() {
      return last().request();
    }

    /** What the test expects of its last request. */
    public Expectation expect() {
      return last().expect();
    }

    /** What the test expects of its last request's would-be decision, or null. */
    public Expectation shadowExpect() {
      return last().shadowExpect();
    }

    /** Whether the test sends more than one request (a sequence: `repeat`, several `request`s). */
    public boolean sequence() {
      return exchanges.size() > 1 || exchanges.get(0).times() > 1;
    }

    private Exchange last() {
      return exchanges.get(exchanges.size() - 1);
    }
  }

  /**
   * One request of a test and what it expects, sent {@code times} times in a row, at
   * {@code offset} after the test's start (the `wait`s before it) unless the request pins its
   * time with `at`.
   */
  public record Exchange(TestRequest request, Expectation expect, Expectation shadowExpect, long times,
      java.time.Duration offset) {}

  /** The request of a test. Optional parts are null. */
  public record TestRequest(
      String method,
      String target,
      boolean anonymous,
      Checked claims,
      String peer,
      Instant at,
      String from,
      Checked headers,
      Checked body) {}

  /** `data name[key] = value` or `data name = value` in a test. */
  public record DataOverride(int slot, String doc, Checked key, Checked value) {}

  /** What a test expects. Optional parts are null. */
  public record Expectation(boolean allow, Integer status, String rule, String reason, Span span,
      List<HeaderExpectation> headers) {
    public Expectation {
      headers = List.copyOf(headers);
    }
  }

  /**
   * `with header "x-user-id" = "alice"`: the upstream receives the header (with that value, its
   * values joined by `, `, when {@code value} is not null); `without header "x-debug"`: it
   * receives no header of that name in any spelling; `response header` for the client's response.
   */
  public record HeaderExpectation(boolean present, boolean response, String name, String value) {
    /** As written: `with header "x-user-id" = "alice"`, or after `and` without the first word. */
    public String describe(boolean withWord) {
      return (withWord ? present ? "with " : "without " : "") + (response ? "response header \"" : "header \"") + name
          + "\"" + (value == null ? "" : " = \"" + value + "\"");
    }
  }
}
