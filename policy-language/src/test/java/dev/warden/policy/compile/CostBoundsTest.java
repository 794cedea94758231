package dev.warden.policy.compile;

import static dev.warden.policy.support.Bundles.NOW;
import static dev.warden.policy.support.Bundles.compile;
import static dev.warden.policy.support.Bundles.program;
import static dev.warden.policy.support.Bundles.user;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warden.policy.ast.Expr.BinaryOp;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.check.Builtin;
import dev.warden.policy.check.Checked;
import dev.warden.policy.diag.Span;
import dev.warden.policy.runtime.Deadline;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.testing.TestOutcome;
import dev.warden.policy.types.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The step budget bounds the work of a decision, not just the number of operations: work that
 * grows with the input is charged by its size (see {@link Cost}), and membership in static data
 * is precomputed, so it stays one step however large the data.
 *
 * <p>Each "heavy" policy here was decided normally before charges followed the work: it took a
 * few hundred steps while reading megabytes. Outcomes are asserted, never times.
 */
class CostBoundsTest {
  private static final String LIMIT = "policy evaluation limit exceeded";
  /** A 60 KB header value: the largest Envoy passes by default. */
  private static final String BIG = "a".repeat(60 * 1024);
  /** The same characters in another string object, so equality cannot stop at identity. */
  private static final String BIG_COPY = new String(BIG.toCharArray());

  private static final String HEAD = """
      package cost
      principal { id = jwt.sub }
      api "Cost" {
        route op  GET /op
        route num GET /num/{n:int}
      }
      """;

  /** Two hundred repetitions: a quantifier turns one operation into a few hundred steps. */
  private static final String REPS = IntStream.range(0, 200).mapToObj(Integer::toString)
      .collect(Collectors.joining(",", "[", "]"));

  private static String jsonList(int n, IntFunction<String> item) {
    return IntStream.range(0, n).mapToObj(item).collect(Collectors.joining(",", "[", "]"));
  }

  private static String jsonMap(int n, IntFunction<String> value) {
    return IntStream.range(0, n).mapToObj(i -> "\"k" + i + "\":" + value.apply(i))
        .collect(Collectors.joining(",", "{", "}"));
  }

  private static Program withReps(String rule) {
    return program(HEAD + rule, "data/reps.json", REPS);
  }

  private static Decision get(Program p, Map<String, String> headers) {
    return p.decide(Request.builder("GET", "/op", NOW).identity(user("a")).headers(headers).build());
  }

  private static Decision get(Program p, String path) {
    return p.decide(Request.builder("GET", path, NOW).identity(user("a")).build());
  }

  private static Decision query(Program p, List<String> values) {
    StringBuilder target = new StringBuilder("/op");
    for (String v : values) {
      target.append(target.length() == 3 ? '?' : '&').append("q=")
          .append(java.net.URLEncoder.encode(v, java.nio.charset.StandardCharsets.UTF_8));
    }
    return p.decide(Request.builder("GET", target.toString(), NOW).identity(user("a")).build());
  }

  private static void assertLimit(Decision d) {
    assertThat(d.allowed()).as(d.explanation()).isFalse();
    assertThat(d.status()).isEqualTo(403);
    assertThat(d.reason()).isEqualTo(LIMIT);
  }

  private static void assertAllowed(Decision d) {
    assertThat(d.allowed()).as(d.explanation()).isTrue();
  }

  private static void assertNotAllowed(Decision d) {
    assertThat(d.allowed()).isFalse();
    assertThat(d.reason()).as(d.explanation()).isEqualTo("not allowed");
  }

  // ---- string functions, by the length of what they read or produce --------------------------

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "X.startsWith(Y)",
      "X.endsWith(Y)",
      "X.contains(Y)",
      "X.lower() != \"\"",
      "X.upper() != \"\"",
      "size(X) > 0",
      "X.size() > 0",
      "X + Y != \"\"",
      "not (X matches \"b\")",
      "not has ip(X)",
      "not has cidr(X)",
      "X == Y",
      "not (X != Y)",
      "X <= Y",
      "X >= Y",
  })
  void stringWorkOnALongHeaderIsChargedByLength(String condition) {
    Program p = withReps("permit op when all i in data.reps: "
        + condition.replace("X", "(request.headers[\"x\"] ? \"\")").replace("Y", "(request.headers[\"y\"] ? \"\")"));
    assertAllowed(get(p, Map.of("x", "aaa", "y", "aaa")));
    assertLimit(get(p, Map.of("x", BIG, "y", BIG_COPY)));
  }

  @Test
  void substringSearchIsChargedForItsQuadraticWorstCase() {
    // "aaa…ab" in "aaa…a": String.indexOf compares about 30,000 characters at 30,000 offsets.
    Program p = program(HEAD + "permit op when not (request.headers[\"x\"] ? \"\").contains(request.headers[\"y\"] ? \"\")");
    String needle = "a".repeat(30 * 1024) + "b";
    assertAllowed(get(p, Map.of("x", "aaaaaaaa", "y", "aaab")));
    assertLimit(get(p, Map.of("x", BIG, "y", needle)));
  }

  @Test
  void aLongSubjectIsChargedByItsLengthTimesThePatternSize() {
    Program p = program(HEAD + "permit op when (request.headers[\"x\"] ? \"\") matches \"^a+$\"",
        "bundle.yaml", "step_budget: 1000\n");
    assertAllowed(get(p, Map.of("x", "a".repeat(64))));
    // 1 step for the match, 1920 for 61,440 characters: over a budget of 1000.
    assertLimit(get(p, Map.of("x", BIG)));
  }

  // ---- membership: scans are charged per element, static data is indexed ----------------------

  @Test
  void membershipInALargeRuntimeListIsChargedPerElement() {
    // A query string holds at most 16 KiB, so 2,000 values, against a budget of 1,000 steps.
    Program p = program(HEAD + """
        permit op when "needle" in (request.query["q"] ? [])
        permit op when (request.query["q"] ? []).contains("other")
        """, "bundle.yaml", "step_budget: 1000");
    List<String> many = new ArrayList<>(Collections.nCopies(2_000, "hay"));
    many.add("needle");
    assertAllowed(query(p, List.of("hay", "needle")));
    assertAllowed(query(p, List.of("other")));
    assertNotAllowed(query(p, List.of("hay")));
    assertLimit(query(p, many));
  }

  @Test
  void membershipInAListLiteralWithComputedItemsStillDecides() {
    Program p = program(HEAD + """
        permit op when "b" in [request.headers["x"] ? "", request.headers["y"] ? "", "c"]
        """, "bundle.yaml", "step_budget: 100\n");
    assertAllowed(get(p, Map.of("y", "b")));
    assertNotAllowed(get(p, Map.of("x", "a")));
  }

  @Test
  void membershipInALargeDataListIsOneLookup() {
    Program p = program(HEAD + """
        permit op when (request.headers["x"] ? "") in data.names
        forbid op when (request.headers["x"] ? "") == "k-1" and (request.headers["x"] ? "") not in data.names
        """, "data/names.json", jsonList(100_000, i -> "\"k" + i + "\""), "bundle.yaml", "step_budget: 100\n");
    // A scan of 100,000 names would take 100,000 steps.
    for (String name : List.of("k0", "k500", "k99999")) {
      assertAllowed(get(p, Map.of("x", name)));
    }
    assertThat(get(p, Map.of("x", "k-1")).decidingRule()).isEqualTo("cost.forbid#1");
    assertNotAllowed(get(p, Map.of("x", "k100000")));
    assertNotAllowed(get(p, Map.of("x", "K0")));
  }

  @Test
  void membershipInTheKeysOfALargeDataMapIsOneLookup() {
    Program p = program(HEAD + """
        data big: map<string, int>
        permit op when (request.headers["x"] ? "") in data.big.keys()
          and data.big.keys().contains(request.headers["x"] ? "")
          and (request.headers["x"] ? "") in data.big
        """, "data/big.json", jsonMap(100_000, Integer::toString), "bundle.yaml", "step_budget: 100\n");
    assertAllowed(get(p, Map.of("x", "k0")));
    assertAllowed(get(p, Map.of("x", "k99999")));
    assertNotAllowed(get(p, Map.of("x", "k100000")));
  }

  @Test
  void aQuantifierOverKeysIsStillChargedPerKey() {
    String policy = HEAD + """
        data big: map<string, int>
        permit op when any k in data.big.keys(): k == (request.headers["x"] ? "")
        """;
    Program large = program(policy, "data/big.json", jsonMap(1_000, Integer::toString), "bundle.yaml", "step_budget: 100\n");
    Program small = program(policy, "data/big.json", jsonMap(10, Integer::toString), "bundle.yaml", "step_budget: 100\n");
    assertLimit(get(large, Map.of("x", "nope")));
    assertNotAllowed(get(small, Map.of("x", "nope")));
    assertAllowed(get(small, Map.of("x", "k9")));
  }

  @Test
  void numbersInADataListMatchByValueThroughTheIndex() {
    // Ints and decimals mix: a list<decimal> holding 0, 1.0, 2, 3.00, 4, 5.0, …
    String nums = jsonList(100_000, i -> i % 2 == 0 ? Integer.toString(i) : i + (i % 4 == 1 ? ".0" : ".00"));
    Program p = program(HEAD + """
        permit num when n in data.nums and 1 in data.nums and 1.00 in data.nums and 2.0 in data.nums
        forbid num when 0.5 in data.nums or -1 in data.nums
        """, "data/nums.json", nums, "bundle.yaml", "step_budget: 100\n");
    for (int n : new int[] {0, 1, 2, 3, 77_777, 99_999}) {
      assertAllowed(get(p, "/num/" + n));
    }
    assertNotAllowed(get(p, "/num/100000"));
    assertNotAllowed(get(p, "/num/-2"));
  }

  @Test
  void numbersInADeclaredSetMatchByValueThroughTheIndex() {
    Program p = program(HEAD + """
        data levels: set<decimal>
        permit num when n in data.levels
        """, "data/levels.json", "[1.0, 2.50, 3]", "bundle.yaml", "step_budget: 100\n");
    assertAllowed(get(p, "/num/1"));
    assertAllowed(get(p, "/num/3"));
    assertNotAllowed(get(p, "/num/2"));
  }

  @Test
  void constantListLiteralsAreIndexed() {
    Program p = program(HEAD + """
        permit num when n in [1.0, 2, 3.50, 4]
        """);
    assertAllowed(get(p, "/num/1"));
    assertAllowed(get(p, "/num/4"));
    assertNotAllowed(get(p, "/num/3"));
  }

  @Test
  void dataSetByATestIsIndexedToo() {
    String nums = IntStream.range(0, 5_000).mapToObj(i -> i % 2 == 0 ? i + ".0" : Integer.toString(i))
        .collect(Collectors.joining(", ", "[", "]"));
    CompileResult r = compile(HEAD + """
        data nums: list<decimal>
        data groups: map<string, {members: list<string>}>
        permit num when n in data.nums
        permit op when principal.id in data.groups["ops"].members ? []

        test "a replaced document is indexed, numbers by value" {
          request GET /num/4998 as {sub: "a"}
          data nums = NUMS
          expect allow
        }
        test "a number not in the replaced document" {
          request GET /num/5000 as {sub: "a"}
          data nums = NUMS
          expect deny 403 reason "not allowed"
        }
        test "a list inside one key set by the test" {
          request GET /op as {sub: "a"}
          data groups["ops"] = {members: ["b", "a"]}
          expect allow
        }
        test "without the override" {
          request GET /num/1 as {sub: "a"}
          expect deny 403 reason "not allowed"
        }
        """.replace("NUMS", nums), "bundle.yaml", "step_budget: 100\n");
    assertThat(r.ok()).as(r.render()).isTrue();
    List<TestOutcome> outcomes = r.tests(name -> true).stream().map(t -> t.run(NOW)).toList();
    assertThat(outcomes).hasSize(4).allSatisfy(o -> assertThat(o.passed()).as("%s: %s", o.name(), o.failure()).isTrue());
  }

  // ---- equality of collections and records, element by element --------------------------------

  @Test
  void equalityOfLargeListsIsChargedPerElement() {
    String list = jsonList(100_000, i -> "\"v" + i + "\"");
    Program p = program(HEAD + "permit op when data.a == data.b\npermit num when data.a != data.c",
        "data/a.json", list, "data/b.json", list, "data/c.json", "[\"v0\"]");
    assertLimit(get(p, "/op"));
    // Lists of different sizes differ at once.
    assertAllowed(get(p, "/num/1"));
  }

  @Test
  void equalityOfLargeMapsIsChargedPerEntry() {
    String map = jsonMap(100_000, i -> "\"v" + i + "\"");
    Program p = program(HEAD + """
        data a: map<string, string>
        data b: map<string, string>
        permit op when data.a == data.b
        """, "data/a.json", map, "data/b.json", map);
    assertLimit(get(p, "/op"));
  }

  @Test
  void equalityOfLargeRecordsIsChargedPerField() {
    String record = jsonMap(20_000, Integer::toString);
    Program p = program(HEAD + "permit op when data.a == data.b", "data/a.json", record, "data/b.json", record);
    assertLimit(get(p, "/op"));
  }

  @Test
  void equalityOfLargeSetsIsChargedPerElement() {
    String map = jsonMap(100_000, Integer::toString);
    Program p = program(HEAD + """
        data a: map<string, int>
        data b: map<string, int>
        permit op when data.a.keys() == data.b.keys()
        """, "data/a.json", map, "data/b.json", map);
    assertLimit(get(p, "/op"));
  }

  @Test
  void equalityOfSmallCollectionsStillDecides() {
    Program p = program(HEAD + """
        data m: map<string, decimal>
        data n: map<string, decimal>
        permit op when data.a == data.b and data.m == data.n and data.a != data.c
          and data.m.keys() == data.n.keys() and [1, 2.0] == [1.0, 2]
        """, "data/a.json", "[{\"x\": 1, \"y\": [\"p\"]}, {\"x\": 2.0, \"y\": []}]",
        "data/b.json", "[{\"x\": 1.0, \"y\": [\"p\"]}, {\"x\": 2, \"y\": []}]",
        "data/c.json", "[{\"x\": 1, \"y\": [\"q\"]}, {\"x\": 2, \"y\": []}]",
        "data/m.json", "{\"k\": 1}", "data/n.json", "{\"k\": 1.0}", "bundle.yaml", "step_budget: 100\n");
    assertAllowed(get(p, "/op"));
  }

  // ---- the charges themselves, counted on one frame --------------------------------------------

  private static final Span AT = Span.of("test");

  private static Checked str(String s) {
    return new Checked.Const(AT, Type.STRING, s);
  }

  private static Checked call(Builtin b, Type t, Checked... args) {
    return new Checked.Call(AT, t, b, List.of(args));
  }

  private static Frame frame(Object... data) {
    return new Frame(null, new Object[0], false, new long[0], List.of(), data, 0, 10_000_000, 10_000_000, Deadline.NONE);
  }

  /** The steps one evaluation of {@code c} takes. */
  private static int steps(Checked c, Object... data) {
    Frame f = frame(data);
    new ExprCompiler(new Values(List.of()), Map.of(), List.of()).compile(c).eval(f);
    return f.steps;
  }

  @Test
  void stringChargesFollowTheDocumentedModel() {
    String s = "a".repeat(6400);
    String t = "a".repeat(3200);
    // 1 step per 32 characters, for strings longer than 64.
    assertThat(steps(call(Builtin.LOWER, Type.STRING, str(s)))).isEqualTo(200);
    assertThat(steps(call(Builtin.SIZE, Type.INT, str(s)))).isEqualTo(200);
    assertThat(steps(call(Builtin.STARTS_WITH, Type.BOOL, str(s), str(t)))).isEqualTo(100);
    assertThat(steps(call(Builtin.STARTS_WITH, Type.BOOL, str(s), str("a".repeat(64))))).isZero();
    assertThat(steps(new Checked.Binary(AT, Type.STRING, BinaryOp.PLUS, str(s), str(t)))).isEqualTo(300);
    assertThat(steps(new Checked.Binary(AT, Type.BOOL, BinaryOp.EQ, str(s), str(new String(s))))).isEqualTo(200);
    assertThat(steps(new Checked.Binary(AT, Type.BOOL, BinaryOp.EQ, str(s), str("short")))).isZero();
    // (1 + 200) × (1 + 100) for the quadratic worst case of indexOf.
    assertThat(steps(call(Builtin.STRING_CONTAINS, Type.BOOL, str(s), str(t)))).isEqualTo(201 * 101);
    assertThat(steps(call(Builtin.STRING_CONTAINS, Type.BOOL, str("a".repeat(64)), str(t)))).isZero();
  }

  @Test
  void membershipChargesFollowTheDocumentedModel() {
    Type strings = new Type.ListType(Type.STRING);
    List<Object> items = IntStream.range(0, 1_000).mapToObj(i -> (Object) ("k" + i)).toList();
    Checked data = new Checked.DataDoc(AT, strings, "names", 0);
    Checked in = new Checked.Binary(AT, Type.BOOL, BinaryOp.IN, str("zz"), data);
    // A runtime list is scanned: 1 step for `in`, 1 per element compared.
    assertThat(steps(in, List.copyOf(items))).isEqualTo(1 + 1_000);
    // The same list built as data is indexed.
    assertThat(steps(in, IndexedList.of(new ArrayList<>(items)))).isEqualTo(1);
    Checked contains = call(Builtin.COLLECTION_CONTAINS, Type.BOOL, data, str("zz"));
    assertThat(steps(contains, List.copyOf(items))).isEqualTo(1 + 1_000);
    assertThat(steps(contains, IndexedList.of(new ArrayList<>(items)))).isEqualTo(1);
    // A list literal with a computed item is built at run time and scanned; a constant one is not.
    Checked item = new Checked.DataDoc(AT, Type.STRING, "x", 0);
    Checked computed = new Checked.ListOf(AT, strings, List.of(item, str("b"), str("c")));
    assertThat(steps(new Checked.Binary(AT, Type.BOOL, BinaryOp.IN, str("b"), computed), "a")).isEqualTo(1 + 2);
    Checked constant = new Checked.ListOf(AT, strings, List.of(str("a"), str("b"), str("c")));
    assertThat(steps(new Checked.Binary(AT, Type.BOOL, BinaryOp.IN, str("c"), constant))).isEqualTo(1);
  }

  @Test
  void equalityChargesOneStepPerElementAtEveryDepth() {
    Frame f = frame();
    List<Object> inner = List.of(1L, 2L, 3L);
    assertThat(Values.equal(List.of(inner, inner), List.of(List.of(1L, 2L, 3L), List.of(1L, 2L, 3L)), f)).isTrue();
    // 2 outer elements, each a list of 3.
    assertThat(f.steps).isEqualTo(2 + 2 * 3);
  }

  @Test
  void chargeThrowsTheBudgetErrorOnceOver() {
    Frame f = new Frame(null, new Object[0], false, new long[0], List.of(), new Object[0], 0, 100, 100, Deadline.NONE);
    f.charge(60);
    f.charge(40);
    assertThat(f.steps).isEqualTo(100);
    assertThatThrownBy(() -> f.charge(1))
        .isInstanceOfSatisfying(EvalException.class, e -> assertThat(e.budget()).isTrue())
        .hasMessage("evaluation took more than 100 steps");
    Frame g = new Frame(null, new Object[0], false, new long[0], List.of(), new Object[0], 0, 100, 100, Deadline.NONE);
    assertThatThrownBy(() -> g.charge(Long.MAX_VALUE))
        .isInstanceOf(EvalException.class);
  }

  // ---- the index answers what a scan answers ---------------------------------------------------

  @Property(tries = 300)
  void theIndexAnswersWhatAScanAnswers(@ForAll("scalars") List<Object> items, @ForAll("scalar") Object probe) {
    boolean scan = items.stream().anyMatch(x -> Values.equal(x, probe));
    ScalarIndex index = ScalarIndex.of(items);
    assertThat(index).isNotNull();
    assertThat(index.contains(probe)).isEqualTo(scan);
    assertThat(Values.contains(IndexedList.of(new ArrayList<>(items)), probe, frame())).isEqualTo(scan);
  }

  @Property(tries = 200)
  void aSetOfNumbersAnswersByValueAndKeepsItsJavaEquality(@ForAll("numberSets") Set<Object> items,
      @ForAll("number") Object probe) {
    Set<Object> set = IndexedSet.of(new LinkedHashSet<>(items));
    assertThat(Values.contains(set, probe, frame())).isEqualTo(items.stream().anyMatch(x -> Values.equal(x, probe)));
    assertThat(set).isEqualTo(items);
    assertThat(set.hashCode()).isEqualTo(items.hashCode());
    assertThat(set.contains(probe)).isEqualTo(items.contains(probe));
  }

  @Provide
  Arbitrary<Object> number() {
    Arbitrary<Object> longs = Arbitraries.longs().between(-4, 4).map(x -> (Object) x);
    Arbitrary<Object> decimals = Combinators.combine(Arbitraries.integers().between(-400, 400),
        Arbitraries.integers().between(-2, 3)).as((u, scale) -> new BigDecimal(BigInteger.valueOf(u), scale));
    Arbitrary<Object> extremes = Arbitraries.<Object>of(Long.MAX_VALUE, Long.MIN_VALUE,
        new BigDecimal("9223372036854775807.0"), new BigDecimal("9223372036854775808"), new BigDecimal("0E+5"));
    return Arbitraries.oneOf(longs, decimals, extremes);
  }

  @Provide
  Arbitrary<Object> scalar() {
    return Arbitraries.oneOf(number(), Arbitraries.<Object>of("a", "b", "1", ""), Arbitraries.<Object>of(true, false));
  }

  @Provide
  Arbitrary<List<Object>> scalars() {
    return scalar().injectNull(0.1).list().ofMaxSize(30);
  }

  @Provide
  Arbitrary<Set<Object>> numberSets() {
    return number().set().ofMinSize(1).ofMaxSize(20);
  }
}
