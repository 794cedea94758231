package dev.warden.bench;

import dev.warden.bench.Scenario.Action;
import dev.warden.bench.Scenario.Obj;
import dev.warden.bench.Scenario.Role;
import dev.warden.bench.Scenario.Route;
import dev.warden.policy.api.Compilation;
import dev.warden.policy.api.PolicyEngine;
import dev.warden.policy.source.Bundle;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Writes a scenario as a Warden bundle: one package per resource type with its routes and its
 * ownership and tenant forbids, a package of roles, and one data document per resource type.
 */
public final class WardenBundle {
  private WardenBundle() {}

  /** Writes the standard scenario's bundle into the directory {@code args[0]}, to read or `warden check`. */
  public static void main(String[] args) throws java.io.IOException {
    java.nio.file.Path dir = java.nio.file.Path.of(args[0]);
    for (Map.Entry<String, String> f : files(Scenario.generate(42, Scenario.Sizes.standard())).entrySet()) {
      java.nio.file.Path file = dir.resolve(f.getKey());
      java.nio.file.Files.createDirectories(file.getParent());
      java.nio.file.Files.writeString(file, f.getValue());
    }
  }

  /** The bundle's files by relative path, as {@link Bundle#of} takes them. */
  public static Map<String, String> files(Scenario s) {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("bundle.yaml", "revision: bench\n");
    files.put("identity.warden", """
        package identity

        principal {
          id:     string      = jwt.sub
          roles:  set<string> = jwt.claims.roles ? []
          tenant: string?     = jwt.claims.tenant
        }
        """);
    for (String type : s.types()) {
      files.put(type + ".warden", typePolicy(s, type));
      files.put("data/" + type + ".json", data(s.objects().get(type)));
    }
    files.put("roles.warden", roles(s));
    return files;
  }

  /** Compiles the scenario's bundle, failing with Warden's diagnostics if it does not check. */
  public static PolicyEngine compile(Scenario s) {
    Compilation result = PolicyEngine.compile(Bundle.of(files(s)));
    if (!result.ok()) {
      throw new IllegalStateException("generated bundle does not compile:\n" + result.render());
    }
    return result.engine();
  }

  private static String typePolicy(Scenario s, String type) {
    StringBuilder b = new StringBuilder("package ").append(type).append("\n\n");
    b.append("api \"").append(type).append("\" owner \"team-").append(type).append("\" {\n");
    for (Route r : s.routes()) {
      if (r.type().equals(type)) {
        b.append("  route ").append(r.action().name()).append(' ').append(r.action().method()).append(' ')
            .append(r.template()).append('\n');
      }
    }
    b.append("}\n\n");
    b.append("forbid \"owner-only\" ").append(actions(a -> a.ownerOnly())).append('\n')
        .append("  unless data.").append(type).append("[id].owner == principal.id or principal is ")
        .append(Scenario.ADMIN).append('\n')
        .append("  because \"only the owner may change this object\"\n\n");
    b.append("forbid \"tenant-isolation\" ").append(actions(a -> a.hasId())).append('\n')
        .append("  unless data.").append(type).append("[id].tenant == principal.tenant or principal is ")
        .append(Scenario.ADMIN).append('\n')
        .append("  because \"object belongs to another tenant\"\n");
    return b.toString();
  }

  private static String actions(java.util.function.Predicate<Action> which) {
    return Scenario.ACTIONS.stream().filter(which).map(Action::name).collect(Collectors.joining(", "));
  }

  private static String roles(Scenario s) {
    StringBuilder b = new StringBuilder("package rbac\n");
    for (Role role : s.roles()) {
      b.append("\nrole ").append(role.name());
      if (!role.parents().isEmpty()) {
        b.append(" extends ").append(String.join(", ", role.parents()));
      }
      b.append(" {\n");
      if (role.all()) {
        b.append("  allow *\n");
      } else if (!role.grants().isEmpty()) {
        List<String> names = role.grants().stream().map(i -> s.routes().get(i).name()).toList();
        b.append("  allow ").append(String.join(", ", names)).append('\n');
      }
      b.append("}\n");
    }
    return b.toString();
  }

  private static String data(Map<String, Obj> objects) {
    StringBuilder b = new StringBuilder("{\n");
    String sep = "";
    for (Map.Entry<String, Obj> e : objects.entrySet()) {
      b.append(sep).append("  \"").append(e.getKey()).append("\": {\"owner\": \"").append(e.getValue().owner())
          .append("\", \"tenant\": \"").append(e.getValue().tenant()).append("\"}");
      sep = ",\n";
    }
    return b.append("\n}\n").toString();
  }
}
