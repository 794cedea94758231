package dev.warden.policy.check;

import com.fasterxml.jackson.databind.JsonNode;
import dev.warden.policy.ast.Decl;
import dev.warden.policy.ast.PathTemplate;
import dev.warden.policy.ast.PolicyFile;
import dev.warden.policy.check.CheckedBundle.CheckedCondition;
import dev.warden.policy.check.CheckedBundle.CheckedGrant;
import dev.warden.policy.check.CheckedBundle.CheckedRule;
import dev.warden.policy.check.CheckedBundle.DataDocument;
import dev.warden.policy.check.CheckedBundle.RoleInfo;
import dev.warden.policy.check.CheckedBundle.RouteInfo;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Diagnostics;
import dev.warden.policy.diag.SourceFile;
import dev.warden.policy.diag.Span;
import dev.warden.policy.load.DataFile;
import dev.warden.policy.load.LoadedBundle;
import dev.warden.policy.types.Type;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The check stage: resolves every declaration of a loaded bundle and types every expression,
 * against the manifest and data documents the load stage read. Reports all problems of all
 * files in one run. The {@link CheckedBundle} it returns holds what checked; it is complete, and
 * may be compiled, only when no error was reported.
 */
public final class BundleChecker {
  private final Diagnostics diagnostics;
  private final FieldIds fieldIds = new FieldIds();
  /** Every rule id declared, including rules with errors, so tests naming them do not cascade. */
  private final List<String> declaredIds = new ArrayList<>();
  private int frameSize;
  /** The routes' request models: the schemas' body types, over those given to the constructor. */
  private java.util.function.Function<RouteInfo, RequestModel> requestModels;
  private final SchemaChecker.Files schemaFiles;

  public BundleChecker(Diagnostics diagnostics) {
    this(diagnostics, route -> RequestModel.DEFAULT);
  }

  /**
   * @param requestModels what each route lets a policy see of the request beyond the fixed model
   *     (its body type); the schema stage provides it, every route has the default without one
   */
  public BundleChecker(Diagnostics diagnostics, java.util.function.Function<RouteInfo, RequestModel> requestModels) {
    this(diagnostics, requestModels, null);
  }

  /**
   * @param bundle the bundle's files, where `body json "…"` finds its JSON Schema files; null
   *     when checking policies without their bundle (such a reference is then an error)
   */
  public BundleChecker(Diagnostics diagnostics, java.util.function.Function<RouteInfo, RequestModel> requestModels,
      dev.warden.policy.source.Bundle bundle) {
    this.diagnostics = diagnostics;
    this.requestModels = requestModels;
    this.schemaFiles = JsonSchemaFiles.of(bundle);
  }

  public CheckedBundle check(LoadedBundle loaded, List<PolicyFile> files) {
    List<PolicyFile> packaged = new ArrayList<>();
    for (PolicyFile f : files) {
      if (f.packageName() == null) {
        diagnostics.add(
            Diagnostic.error("check.missing_package", f.packageSpan(), "file has no `package` line")
                .withHelp("start the file with a package name, such as `package orders`"));
      } else {
        packaged.add(f);
      }
      f.declsOf(Decl.Reserved.class).forEach(this::notSupported);
    }
    List<CheckedBundle.PrincipalSpec> principal = new Principals(diagnostics).resolve(packaged);
    List<RouteInfo> routes = routes(packaged);
    List<RoleInfo> roles = Roles.resolve(all(packaged, Decl.Role.class), diagnostics);
    Set<String> brokenData = new HashSet<>();
    List<DataDocument> data = data(loaded, packaged, brokenData);
    Env env = env(principal, data, roles, brokenData);
    Targets targets = new Targets(routes, diagnostics);
    Map<Integer, dev.warden.policy.schema.RouteSchema> schemas =
        new SchemaChecker(diagnostics, schemaFiles).check(packaged, routes, targets);
    java.util.function.Function<RouteInfo, RequestModel> given = requestModels;
    requestModels = route -> {
      dev.warden.policy.schema.RouteSchema s = schemas.get(route.id());
      if (s == null) {
        return given.apply(route);
      }
      Type query = s.query() == null ? null : s.query().type();
      if (s.body() == null || s.body().form()) {
        return new RequestModel(null, false, query);
      }
      return new RequestModel(s.body().type(), s.body().validator() == null && !s.body().optional(), query);
    };
    List<CheckedGrant> grants = grants(packaged, roles, routes, targets, env);
    List<CheckedRule> rules = rules(packaged, routes, targets, env);
    ObligationChecker onBlocks = new ObligationChecker(diagnostics, fieldIds, routes, targets, env, requestModels);
    List<CheckedBundle.CheckedOnBlock> obligations = onBlocks.check(packaged);
    declaredIds.addAll(onBlocks.ids());
    frameSize = Math.max(frameSize, onBlocks.frameSize());
    List<CheckedBundle.CheckedQuota> quotas = new QuotaChecker(diagnostics, targets, new QuotaChecker.Typing() {
      @Override
      public Checked check(dev.warden.policy.ast.Expr e, Env scope, boolean condition) {
        ExprChecker checker = new ExprChecker(scope, diagnostics, fieldIds);
        Checked c = condition ? checker.condition(e) : checker.check(e);
        frameSize = Math.max(frameSize, checker.frameSize());
        return c;
      }

      @Override
      public List<CheckedBundle.CheckedCondition> conditions(List<Decl.Condition> conditions, BitSet covered) {
        return BundleChecker.this.conditions(conditions, covered, routes, env, "this quota");
      }

      @Override
      public Env scope(BitSet covered) {
        return ParamScope.of(env, covered, routes, "this quota", requestModels);
      }
    }).check(packaged, declaredIds);
    List<CheckedBundle.CheckedTest> tests = new TestChecker(diagnostics, fieldIds, env, data)
        .check(packaged, declaredIds);
    List<dev.warden.policy.runtime.LogRedaction> logRedactions = new RedactionChecker(diagnostics).check(packaged);
    Map<String, SourceFile> sources = new LinkedHashMap<>();
    loaded.policies().forEach(s -> sources.put(s.name(), s));
    List<String> packages = packaged.stream().map(PolicyFile::packageName).distinct().sorted().toList();
    return new CheckedBundle(loaded.manifest(), principal, routes, roles, grants, rules, data, fieldIds,
        frameSize, tests, sources, obligations, packages, logRedactions, Map.copyOf(schemas), quotas);
  }

  private void notSupported(Decl.Reserved r) {
    String what = switch (r.keyword()) {
      case "redact" -> "response redaction arrives";
      default -> "lookups arrive";
    };
    diagnostics.add(
        Diagnostic.error("check.not_supported", r.span(), "`" + r.keyword() + "` is not supported yet")
            .withHelp(what + " in a later release; remove this block for now"));
  }

  // ---- routes ------------------------------------------------------------------------------

  private List<RouteInfo> routes(List<PolicyFile> files) {
    List<RouteInfo> out = new ArrayList<>();
    Map<String, RouteInfo> byName = new HashMap<>();
    Map<String, RouteInfo> byShape = new HashMap<>();
    for (PolicyFile f : files) {
      for (Decl.Api api : f.declsOf(Decl.Api.class)) {
        for (Decl.Route r : api.routes()) {
          String qualified = f.packageName() + "." + r.name();
          RouteInfo info = new RouteInfo(out.size(), qualified, f.packageName(), r.name(), r.method(), r.path(),
              r.since(), r.retired(), api.title(), api.owner(), r.nameSpan());
          RouteInfo twin = byName.get(qualified);
          if (twin != null) {
            diagnostics.add(
                Diagnostic.error("check.duplicate_route", r.nameSpan(), "route `" + qualified + "` is declared twice")
                    .withHelp("the first declaration is at " + twin.span()));
            continue;
          }
          String shape = r.method() + " " + shape(r.path());
          RouteInfo same = byShape.get(shape);
          if (same != null) {
            diagnostics.add(
                Diagnostic.error("check.route_conflict", r.pathSpan(),
                    "`" + r.method() + " " + r.path() + "` is already declared as route `" + same.qualifiedName() + "`")
                    .withHelp("two routes cannot match the same requests; remove or change one"));
            continue;
          }
          if (r.since() != null && r.retired() != null && !r.retired().isAfter(r.since())) {
            diagnostics.add(Diagnostic.error("check.bad_lifecycle", r.nameSpan(),
                "route `" + r.name() + "` is retired on " + r.retired() + ", before it starts on " + r.since()));
          }
          byName.put(qualified, info);
          declaredIds.add(qualified);
          byShape.put(shape, info);
          out.add(info);
        }
      }
    }
    return out;
  }

  private static String shape(PathTemplate t) {
    StringBuilder b = new StringBuilder();
    for (PathTemplate.Segment s : t.segments()) {
      b.append('/');
      if (s instanceof PathTemplate.Literal l) {
        b.append(l.text());
      } else if (s instanceof PathTemplate.Param p) {
        b.append('{').append(p.type().keyword()).append('}');
      } else {
        b.append("**");
      }
    }
    return b.toString();
  }

  // ---- data --------------------------------------------------------------------------------

  /** The typed data documents; the names of those with an error go to {@code broken}. */
  private List<DataDocument> data(LoadedBundle loaded, List<PolicyFile> files, Set<String> broken) {
    Map<String, Decl.Data> declared = new LinkedHashMap<>();
    Map<String, Type> declaredTypes = new HashMap<>();
    for (Decl.Data d : all(files, Decl.Data.class)) {
      if (declared.putIfAbsent(d.name(), d) != null) {
        diagnostics.add(Diagnostic.error("check.duplicate_data", d.nameSpan(), "data `" + d.name() + "` is declared twice"));
        continue;
      }
      Type t = TypeResolver.resolve(d.type(), diagnostics);
      if (t != null) {
        declaredTypes.put(d.name(), t);
      }
    }
    Map<String, DataFile> byName = new TreeMap<>();
    loaded.data().forEach(f -> byName.put(f.name(), f));
    List<DataDocument> out = new ArrayList<>();
    List<String> names = new ArrayList<>(byName.keySet());
    declared.keySet().stream().filter(n -> !byName.containsKey(n)).forEach(names::add);
    for (String name : names) {
      DataFile file = byName.get(name);
      Decl.Data decl = declared.get(name);
      Type declaredType = declaredTypes.get(name);
      if (decl != null && declaredType == null) {
        broken.add(name);
        continue;
      }
      JsonNode json = file == null ? null : file.json();
      if (file != null && json == null) {
        broken.add(name);
        continue;
      }
      Type type = declaredType;
      if (json != null && declaredType != null) {
        DataTypes.validate(json, declaredType, "", (at, msg) -> dataError(file, at, msg));
      } else if (json != null) {
        type = DataTypes.infer(json, "", (at, msg) -> dataError(file, at, msg)).orElse(null);
      } else if (!(declaredType instanceof Type.MapType || declaredType instanceof Type.ListType
          || declaredType instanceof Type.SetType || declaredType instanceof Type.Optional)) {
        diagnostics.add(Diagnostic.error("data.missing", decl.nameSpan(),
            "data `" + name + "` is declared as `" + declaredType.display() + "` but the bundle has no `data/" + name + ".json`")
            .withHelp("add the file, or declare a map, list or optional type that may start empty"));
        broken.add(name);
        continue;
      }
      if (type == null) {
        broken.add(name);
      } else {
        out.add(new DataDocument(name, out.size(), type, json, file == null ? null : file.path()));
      }
    }
    return out;
  }

  private void dataError(DataFile file, String at, String message) {
    diagnostics.add(Diagnostic.error("data.type_mismatch", Span.of(file.path()), "at `" + at + "`: " + message));
  }

  // ---- grants and rules -------------------------------------------------------------------

  private Env env(
      List<CheckedBundle.PrincipalSpec> principal, List<DataDocument> data, List<RoleInfo> roles, Set<String> brokenData) {
    Map<String, Env.Slot> p = new LinkedHashMap<>();
    principal.forEach(s -> p.put(s.name(), new Env.Slot(s.slot(), s.type())));
    Map<String, Env.Slot> d = new LinkedHashMap<>();
    data.forEach(doc -> d.put(doc.name(), new Env.Slot(doc.slot(), doc.type())));
    Map<String, Integer> r = new LinkedHashMap<>();
    roles.forEach(role -> r.put(role.name(), role.id()));
    return new Env(p, d, Map.of(), name -> null, r, Set.copyOf(brokenData), RequestModel.DEFAULT, null);
  }

  private List<CheckedGrant> grants(
      List<PolicyFile> files, List<RoleInfo> roles, List<RouteInfo> routes, Targets targets, Env env) {
    List<CheckedGrant> out = new ArrayList<>();
    Map<String, Integer> roleIds = new HashMap<>();
    roles.forEach(r -> roleIds.put(r.name(), r.id()));
    Map<String, Integer> counters = new HashMap<>();
    for (PolicyFile f : files) {
      for (Decl.Role role : f.declsOf(Decl.Role.class)) {
        for (Decl.Grant g : role.grants()) {
          int n = counters.merge(role.name(), 1, Integer::sum);
          declaredIds.add("role." + role.name() + "#" + n);
          BitSet covered = targets.resolve(f.packageName(), g.targets());
          if (covered == null) {
            continue;
          }
          List<CheckedCondition> conditions = conditions(g.conditions(), covered, routes, env, "this rule");
          if (conditions != null) {
            out.add(new CheckedGrant("role." + role.name() + "#" + n, roleIds.get(role.name()), role.name(), covered,
                conditions, g.span()));
          }
        }
      }
    }
    return out;
  }

  private List<CheckedRule> rules(List<PolicyFile> files, List<RouteInfo> routes, Targets targets, Env env) {
    List<CheckedRule> out = new ArrayList<>();
    Map<String, Integer> counters = new HashMap<>();
    Map<String, Span> labels = new HashMap<>();
    for (PolicyFile f : files) {
      for (Decl.Rule r : f.declsOf(Decl.Rule.class)) {
        // Shadow rules count apart (`orders.shadow-forbid#1`), so that trying one renumbers no
        // enforced rule that tests and logs name.
        String kind = (r.shadow() ? "shadow-" : "") + r.effect().keyword();
        int n = counters.merge(f.packageName() + "." + kind, 1, Integer::sum);
        String id = r.label() == null ? f.packageName() + "." + kind + "#" + n
            : f.packageName() + "." + r.label();
        if (r.label() != null && !r.label().matches("[A-Za-z_][A-Za-z0-9_-]*")) {
          diagnostics.add(Diagnostic.error("check.bad_label", r.span(), "rule label `" + r.label() + "` is not a name")
              .withHelp("labels are letters, digits, `_` and `-`, such as \"owner-only\""));
          continue;
        }
        declaredIds.add(id);
        Span twin = labels.putIfAbsent(id, r.span());
        if (twin != null) {
          diagnostics.add(Diagnostic.error("check.duplicate_rule_name", r.span(), "rule `" + id + "` is declared twice")
              .withHelp("the first is at " + twin + "; give this one another label"));
          continue;
        }
        BitSet covered = targets.resolve(f.packageName(), r.targets());
        if (covered == null) {
          continue;
        }
        List<CheckedCondition> conditions = conditions(r.conditions(), covered, routes, env, "this rule");
        if (conditions != null) {
          out.add(new CheckedRule(id, r.shadow(), r.effect(), covered, conditions, r.reason(), r.span()));
        }
      }
    }
    return out;
  }

  /** Checks conditions with the path parameters that every covered route declares in scope. */
  private List<CheckedCondition> conditions(
      List<Decl.Condition> conditions, BitSet covered, List<RouteInfo> routes, Env env, String what) {
    Env local = ParamScope.of(env, covered, routes, what, requestModels);
    List<CheckedCondition> out = new ArrayList<>();
    boolean ok = true;
    for (Decl.Condition c : conditions) {
      ExprChecker checker = new ExprChecker(local, diagnostics, fieldIds);
      Checked e = checker.condition(c.expr());
      frameSize = Math.max(frameSize, checker.frameSize());
      if (e == null) {
        ok = false;
      } else {
        out.add(new CheckedCondition(c.unless(), e, c.text(), c.span(), c.expr()));
      }
    }
    return ok ? out : null;
  }

  static <T extends Decl> List<T> all(List<PolicyFile> files, Class<T> kind) {
    List<T> out = new ArrayList<>();
    files.forEach(f -> out.addAll(f.declsOf(kind)));
    return out;
  }

}
