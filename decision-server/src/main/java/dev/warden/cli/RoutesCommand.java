package dev.warden.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.warden.policy.ast.Decl;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.check.CheckedBundle;
import dev.warden.policy.check.CheckedBundle.CheckedGrant;
import dev.warden.policy.check.CheckedBundle.RoleInfo;
import dev.warden.policy.check.CheckedBundle.RouteInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * `warden routes DIR`: the API registry, with which roles may call each route and which forbids
 * restrict it: a role that reaches a route is not the whole story when a forbid (ownership,
 * tenancy, a gateway) still denies most of its callers.
 */
@Command(name = "routes", mixinStandardHelpOptions = true,
    description = "List the declared routes: method, path, owner, lifecycle, the roles that may call them and the"
        + " forbids that restrict them.")
final class RoutesCommand implements Callable<Integer> {
  enum Format { text, json, md }

  @CommandLine.Mixin BundleOption bundle;

  @CommandLine.Option(names = "--format", defaultValue = "text", description = "text, json or md (default: ${DEFAULT-VALUE}).")
  Format format;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** One row of the registry. Roles marked `?` are granted only under a condition. */
  record Row(String route, String method, String path, String api, String owner, String since, String retired,
      List<String> roles, List<String> permits, List<String> forbids) {}

  @Override
  public Integer call() throws Exception {
    int[] exit = {WardenCli.OK};
    CompileResult result = bundle.compile(BundleCompiler.standard().upTo(BundleCompiler.LINT), spec, exit);
    if (result == null) {
      return exit[0];
    }
    List<Row> rows = rows(result.checked());
    PrintWriter out = spec.commandLine().getOut();
    switch (format) {
      case json -> out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(rows));
      case md -> {
        out.println("| route | method | path | api | owner | since | retired | roles | permits | forbids |");
        out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (Row r : rows) {
          out.printf("| %s | %s | `%s` | %s | %s | %s | %s | %s | %s | %s |%n", r.route(), r.method(), r.path(),
              r.api(), dash(r.owner()), dash(r.since()), dash(r.retired()), dash(String.join(", ", r.roles())),
              dash(String.join(", ", r.permits())), dash(String.join(", ", r.forbids())));
        }
      }
      default -> {
        int w = rows.stream().mapToInt(r -> r.route().length()).max().orElse(5);
        int p = rows.stream().mapToInt(r -> r.path().length()).max().orElse(4);
        List<String> whos = rows.stream().map(RoutesCommand::who).toList();
        int x = whos.stream().mapToInt(String::length).max().orElse(5);
        String fmt = "%-" + w + "s  %-7s %-" + p + "s  %-14s %-10s %-10s %-" + x + "s  %s%n";
        out.printf(fmt, "ROUTE", "METHOD", "PATH", "OWNER", "SINCE", "RETIRED", "ROLES", "FORBIDS");
        for (int i = 0; i < rows.size(); i++) {
          Row r = rows.get(i);
          out.printf(fmt, r.route(), r.method(), r.path(), dash(r.owner()), dash(r.since()), dash(r.retired()),
              dash(whos.get(i)), dash(String.join(", ", r.forbids()))).flush();
        }
        out.println("(roles marked ? are granted only under a condition)");
      }
    }
    out.flush();
    return WardenCli.OK;
  }

  private static String who(Row r) {
    String who = String.join(", ", r.roles());
    if (!r.permits().isEmpty()) {
      who += (who.isEmpty() ? "" : "; ") + "permits: " + String.join(", ", r.permits());
    }
    return who.isEmpty() ? "-" : who;
  }

  private static String dash(String s) {
    return s == null || s.isEmpty() ? "-" : s;
  }

  static List<Row> rows(CheckedBundle b) {
    List<Row> rows = new ArrayList<>();
    for (RouteInfo r : b.routes()) {
      Map<String, Boolean> roles = new TreeMap<>();
      for (CheckedGrant g : b.grants()) {
        if (!g.routes().get(r.id())) {
          continue;
        }
        for (RoleInfo holder : b.roles()) {
          if (holder.implies().get(g.role())) {
            roles.merge(holder.name(), g.conditions().isEmpty(), Boolean::logicalOr);
          }
        }
      }
      List<String> names = new ArrayList<>();
      roles.forEach((name, always) -> names.add(always ? name : name + "?"));
      List<String> permits = rules(b, r, Decl.Effect.PERMIT);
      List<String> forbids = rules(b, r, Decl.Effect.FORBID);
      rows.add(new Row(r.qualifiedName(), r.method(), r.path().text(), r.api(), r.owner(),
          r.since() == null ? null : r.since().toString(), r.retired() == null ? null : r.retired().toString(),
          names, permits, forbids));
    }
    return rows;
  }

  private static List<String> rules(CheckedBundle b, RouteInfo r, Decl.Effect effect) {
    return b.rules().stream().filter(x -> x.effect() == effect && x.routes().get(r.id()))
        .map(CheckedBundle.CheckedRule::id).toList();
  }

}
