package dev.warden.policy.compile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.runtime.Decision;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.runtime.Request;
import dev.warden.policy.support.Bundles;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Properties of decisions over random small bundles: default deny, forbid wins, rule order and
 * duplication do not matter, and deciding is repeatable.
 */
class DecisionProperties {
  private static final String[] USERS = {"u0", "u1", "u2"};

  /**
   * A random bundle, as declarations that may be written in any order. Routes `rI` are
   * `GET /rI`; roles `qJ` extend only roles with a lower index, so inheritance is a DAG.
   *
   * @param covered per route, whether some grant or permit names it
   */
  record Spec(int routes, int roles, List<String> roleDecls, List<String> rules, boolean[] covered) {
    String text(List<String> decls) {
      StringBuilder b = new StringBuilder("""
          package p
          principal {
            id:    string      = jwt.sub
            roles: set<string> = jwt.claims.roles ? []
          }
          api "P" {
          """);
      for (int i = 0; i < routes; i++) {
        b.append("  route r").append(i).append(" GET /r").append(i).append('\n');
      }
      b.append("}\n");
      decls.forEach(d -> b.append(d).append('\n'));
      return b.toString();
    }

    List<String> decls() {
      List<String> all = new ArrayList<>(roleDecls);
      all.addAll(rules);
      return all;
    }

    @Override
    public String toString() {
      return text(decls());
    }
  }

  @Provide
  Arbitrary<Spec> bundles() {
    return Arbitraries.longs().map(DecisionProperties::spec);
  }

  /** Builds a spec from a seed; jqwik shows the spec's policy text on a failure. */
  static Spec spec(long seed) {
    Random random = new Random(seed);
    int routes = 1 + random.nextInt(5);
    int roles = 1 + random.nextInt(4);
    boolean[] covered = new boolean[routes];
    List<String> roleDecls = new ArrayList<>();
    for (int j = 0; j < roles; j++) {
      StringBuilder b = new StringBuilder("role q" + j);
      List<String> parents = new ArrayList<>();
      for (int k = 0; k < j; k++) {
        if (random.nextInt(3) == 0) {
          parents.add("q" + k);
        }
      }
      if (!parents.isEmpty()) {
        b.append(" extends ").append(String.join(", ", parents));
      }
      b.append(" {\n");
      for (int i = 0; i < routes; i++) {
        if (random.nextInt(3) == 0) {
          covered[i] = true;
          b.append("  allow r").append(i).append(condition(random, roles)).append('\n');
        }
      }
      roleDecls.add(b.append('}').toString());
    }
    List<String> rules = new ArrayList<>();
    int n = random.nextInt(5);
    for (int r = 0; r < n; r++) {
      int route = random.nextInt(routes);
      boolean permit = random.nextBoolean();
      covered[route] |= permit;
      rules.add((permit ? "permit r" : "forbid r") + route + condition(random, roles));
    }
    return new Spec(routes, roles, roleDecls, rules, covered);
  }

  private static String condition(Random random, int roles) {
    return switch (random.nextInt(4)) {
      case 0 -> "";
      case 1 -> " when principal.id == \"" + USERS[random.nextInt(USERS.length)] + "\"";
      case 2 -> " unless principal is q" + random.nextInt(roles);
      default -> " when \"q" + random.nextInt(roles) + "\" in principal.roles";
    };
  }

  private static Program compile(String text) {
    CompileResult r = Bundles.compile(text);
    assertThat(r.ok()).as("%s%n%s", text, r.render()).isTrue();
    return r.programOrThrow();
  }

  private static Request request(int route, int user, int roleMask, int roles) {
    List<String> names = new ArrayList<>();
    for (int j = 0; j < roles; j++) {
      if ((roleMask & (1 << j)) != 0) {
        names.add("q" + j);
      }
    }
    Identity who = user < USERS.length ? Bundles.claims("sub", USERS[user], "roles", names) : Identity.anonymous();
    return Request.builder("GET", "/r" + route, Bundles.NOW).identity(who).build();
  }

  @Property(tries = 200)
  void aRouteNoGrantOrPermitCoversIsNeverAllowed(
      @ForAll("bundles") Spec spec,
      @ForAll @IntRange(max = 3) int user,
      @ForAll @IntRange(max = 15) int roleMask) {
    Program p = compile(spec.toString());
    for (int route = 0; route < spec.routes(); route++) {
      if (!spec.covered()[route]) {
        Decision d = p.decide(request(route, user, roleMask, spec.roles()));
        assertThat(d.allowed()).as("route r%d: %s", route, d.explanation()).isFalse();
      }
    }
  }

  @Property(tries = 200)
  void anUnconditionalForbidAlwaysWins(
      @ForAll("bundles") Spec spec,
      @ForAll @IntRange(max = 4) int forbidden,
      @ForAll @IntRange(max = 3) int user,
      @ForAll @IntRange(max = 15) int roleMask) {
    int route = forbidden % spec.routes();
    List<String> decls = spec.decls();
    decls.add("forbid r" + route);
    Program p = compile(spec.text(decls));
    Decision d = p.decide(request(route, user, roleMask, spec.roles()));
    assertThat(d.allowed()).isFalse();
    assertThat(d.rules()).extracting(r -> r.kind()).containsExactly("forbid");
  }

  @Property(tries = 200)
  void shufflingAndDuplicatingRulesChangesNoDecision(
      @ForAll("bundles") Spec spec, @ForAll long shuffleSeed) {
    Program original = compile(spec.toString());
    Random random = new Random(shuffleSeed);
    List<String> decls = spec.decls();
    List<String> changed = new ArrayList<>(decls);
    for (String rule : spec.rules()) {
      if (random.nextBoolean()) {
        changed.add(rule);
      }
    }
    Collections.shuffle(changed, random);
    Program shuffled = compile(spec.text(changed));
    for (int route = 0; route < spec.routes(); route++) {
      for (int user = 0; user <= USERS.length; user++) {
        for (int mask = 0; mask < (1 << spec.roles()); mask++) {
          Request r = request(route, user, mask, spec.roles());
          Decision a = original.decide(r);
          Decision b = shuffled.decide(r);
          assertThat(b.allowed()).as("r%d user %d roles %d", route, user, mask).isEqualTo(a.allowed());
          assertThat(b.status()).isEqualTo(a.status());
        }
      }
    }
  }

  @Property(tries = 200)
  void theSameRequestDecidesTheSameWayTwice(
      @ForAll("bundles") Spec spec,
      @ForAll @IntRange(max = 4) int route,
      @ForAll @IntRange(max = 3) int user,
      @ForAll @IntRange(max = 15) int roleMask) {
    Program p = compile(spec.toString());
    Request r = request(route % spec.routes(), user, roleMask, spec.roles());
    assertThat(p.decide(r)).isEqualTo(p.decide(r));
    assertThat(compile(spec.toString()).decide(r)).isEqualTo(p.decide(r));
  }
}
