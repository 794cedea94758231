package dev.warden.policy.check;

import dev.warden.policy.ast.Decl;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Diagnostics;
import dev.warden.policy.diag.EditDistance;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Role inheritance: resolves parents, rejects cycles, and flattens the hierarchy so that each
 * role knows every role it implies. Role names are bundle-wide, like the role names in tokens.
 */
final class Roles {
  private Roles() {}

  static List<CheckedBundle.RoleInfo> resolve(List<Decl.Role> decls, Diagnostics diagnostics) {
    Map<String, Decl.Role> byName = new LinkedHashMap<>();
    for (Decl.Role r : decls) {
      Decl.Role previous = byName.putIfAbsent(r.name(), r);
      if (previous != null) {
        diagnostics.add(
            Diagnostic.error("check.duplicate_role", r.nameSpan(), "role `" + r.name() + "` is declared twice")
                .withHelp("the first declaration is at " + previous.nameSpan() + "; put all its grants there"));
      }
    }
    List<String> names = new ArrayList<>(byName.keySet());
    int n = names.size();
    List<List<Integer>> parents = new ArrayList<>();
    for (String name : names) {
      Decl.Role r = byName.get(name);
      List<Integer> ps = new ArrayList<>();
      for (Decl.NameRef p : r.parents()) {
        int idx = names.indexOf(p.name());
        if (idx < 0) {
          Diagnostic d = Diagnostic.error("check.unknown_role", p.span(), "role `" + name + "` extends unknown role `" + p.name() + "`");
          diagnostics.add(EditDistance.closest(p.name(), names).map(s -> d.withHelp("did you mean `" + s + "`?")).orElse(d));
        } else {
          ps.add(idx);
        }
      }
      parents.add(ps);
    }
    int[] state = new int[n];
    boolean cyclic = false;
    for (int i = 0; i < n; i++) {
      List<Integer> path = new ArrayList<>();
      if (state[i] == 0 && cycle(i, parents, state, path)) {
        cyclic = true;
        List<String> shown = path.stream().map(names::get).toList();
        Decl.Role r = byName.get(shown.get(0));
        diagnostics.add(
            Diagnostic.error("check.role_cycle", r.nameSpan(),
                "role `" + shown.get(0) + "` extends itself: " + String.join(" → ", shown))
                .withHelp("role inheritance must not loop; remove one of the `extends`"));
      }
    }
    List<CheckedBundle.RoleInfo> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      BitSet implies = new BitSet(n);
      if (!cyclic) {
        close(i, parents, implies);
      }
      Decl.Role r = byName.get(names.get(i));
      out.add(new CheckedBundle.RoleInfo(i, names.get(i), r.parents().stream().map(Decl.NameRef::name).toList(),
          implies, r.nameSpan()));
    }
    return out;
  }

  private static boolean cycle(int i, List<List<Integer>> parents, int[] state, List<Integer> path) {
    state[i] = 1;
    path.add(i);
    for (int p : parents.get(i)) {
      if (state[p] == 1) {
        path.add(p);
        int start = path.indexOf(p);
        List<Integer> loop = new ArrayList<>(path.subList(start, path.size()));
        path.clear();
        path.addAll(loop);
        return true;
      }
      if (state[p] == 0 && cycle(p, parents, state, path)) {
        return true;
      }
    }
    state[i] = 2;
    path.remove(path.size() - 1);
    return false;
  }

  private static void close(int i, List<List<Integer>> parents, BitSet implies) {
    if (implies.get(i)) {
      return;
    }
    implies.set(i);
    for (int p : parents.get(i)) {
      close(p, parents, implies);
    }
  }
}
