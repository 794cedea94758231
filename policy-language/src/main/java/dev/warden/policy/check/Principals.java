package dev.warden.policy.check;

import dev.warden.policy.ast.Decl;
import dev.warden.policy.ast.Expr;
import dev.warden.policy.ast.PolicyFile;
import dev.warden.policy.check.CheckedBundle.ClaimSource;
import dev.warden.policy.check.CheckedBundle.PrincipalSpec;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Diagnostics;
import dev.warden.policy.runtime.Identity;
import dev.warden.policy.types.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The `principal` block: which identity claims become which typed principal fields. A bundle has
 * at most one. Sources are `jwt.<claim>`, `jwt.claims.<claim>…` (a token's claims),
 * `apikey.<field>` (an API key's record), `mtls.spiffe` and literals, chained with `?` fallbacks:
 * `id = jwt.sub ? apikey.sub ? mtls.spiffe`.
 */
final class Principals {
  /** Field types a claim can be converted to. */
  private static final Set<Type> ALLOWED = Set.of(
      Type.STRING, Type.INT, Type.BOOL, Type.DECIMAL, new Type.ListType(Type.STRING), new Type.SetType(Type.STRING));

  private final Diagnostics diagnostics;

  Principals(Diagnostics diagnostics) {
    this.diagnostics = diagnostics;
  }

  List<PrincipalSpec> resolve(List<PolicyFile> files) {
    List<Decl.Principal> blocks = BundleChecker.all(files, Decl.Principal.class);
    for (int i = 1; i < blocks.size(); i++) {
      diagnostics.add(
          Diagnostic.error("check.duplicate_principal", blocks.get(i).span(), "a bundle has one `principal` block")
              .withHelp("the first is at " + blocks.get(0).span() + "; merge the fields into it"));
    }
    List<PrincipalSpec> out = new ArrayList<>();
    if (blocks.isEmpty()) {
      return out;
    }
    Map<String, Decl.PrincipalField> seen = new LinkedHashMap<>();
    for (Decl.PrincipalField f : blocks.get(0).fields()) {
      if (seen.putIfAbsent(f.name(), f) != null) {
        diagnostics.add(Diagnostic.error("check.duplicate_field", f.span(), "principal field `" + f.name() + "` is declared twice"));
        continue;
      }
      Type type = type(f);
      if (type == null) {
        continue;
      }
      List<ClaimSource> sources = new ArrayList<>();
      if (!sources(f.source(), sources, type)) {
        continue;
      }
      boolean hasDefault = sources.stream().anyMatch(s -> s instanceof ClaimSource.Constant);
      out.add(new PrincipalSpec(f.name(), out.size(), type, sources));
      if (hasDefault && type instanceof Type.Optional) {
        diagnostics.add(Diagnostic.warning("check.needless_default", f.span(),
            "principal field `" + f.name() + "` has a default, so it is never absent; drop the `?` from its type"));
      }
    }
    return out;
  }

  private Type type(Decl.PrincipalField f) {
    Type declared = f.type() == null ? null : TypeResolver.resolve(f.type(), diagnostics);
    if (f.type() != null && declared == null) {
      return null;
    }
    if (f.name().equals("roles")) {
      Type t = declared == null ? new Type.SetType(Type.STRING) : declared;
      if (!t.equals(new Type.SetType(Type.STRING)) && !t.equals(new Type.ListType(Type.STRING))) {
        diagnostics.add(Diagnostic.error("check.bad_type", f.type().span(), "`principal.roles` is a `set<string>`")
            .withHelp("drop the type, or write `roles: set<string> = …`"));
        return null;
      }
      return new Type.SetType(Type.STRING);
    }
    Type t = declared == null ? Type.STRING : declared;
    if (!ALLOWED.contains(Type.unwrap(t))) {
      diagnostics.add(Diagnostic.error("check.bad_type", f.type().span(),
          "a principal field cannot be a `" + t.display() + "`")
          .withHelp("use string, int, decimal, bool, list<string> or set<string>, optionally with `?`"));
      return null;
    }
    return t;
  }

  private boolean sources(Expr e, List<ClaimSource> out, Type type) {
    if (e instanceof Expr.Binary b && b.op() == Expr.BinaryOp.DEFAULT) {
      return sources(b.left(), out, type) && sources(b.right(), out, type);
    }
    if (e instanceof Expr.Literal l) {
      boolean fits = (l.value() instanceof String && Type.unwrap(type) == Type.STRING)
          || (l.value() instanceof Long && Type.unwrap(type) == Type.INT)
          || (l.value() instanceof Boolean && Type.unwrap(type) == Type.BOOL);
      if (!fits) {
        diagnostics.add(Diagnostic.error("check.type_mismatch", l.span(),
            "default `" + ExprPrinter.print(l) + "` does not fit type `" + type.display() + "`"));
        return false;
      }
      out.add(new ClaimSource.Constant(l.value()));
      return true;
    }
    if (e instanceof Expr.ListLiteral l && l.items().isEmpty() && Type.unwrap(type) instanceof Type.SetType
        || e instanceof Expr.ListLiteral l2 && l2.items().isEmpty() && Type.unwrap(type) instanceof Type.ListType) {
      out.add(new ClaimSource.Constant(List.of()));
      return true;
    }
    List<String> path = new ArrayList<>();
    Expr cur = e;
    while (cur instanceof Expr.Member m) {
      path.add(0, m.name());
      cur = m.target();
    }
    if (cur instanceof Expr.Name n && n.name().equals("jwt") && !path.isEmpty()) {
      if (path.get(0).equals("claims") && path.size() > 1) {
        path.remove(0);
      }
      out.add(new ClaimSource.Claim(Identity.Credential.JWT, path));
      return true;
    }
    if (cur instanceof Expr.Name n && n.name().equals("apikey") && !path.isEmpty()) {
      out.add(new ClaimSource.Claim(Identity.Credential.API_KEY, path));
      return true;
    }
    if (cur instanceof Expr.Name n && n.name().equals("mtls") && path.equals(List.of("spiffe"))) {
      out.add(new ClaimSource.Peer());
      return true;
    }
    diagnostics.add(
        Diagnostic.error("check.bad_principal_source", e.span(),
            "`" + ExprPrinter.print(e) + "` is not an identity source")
            .withHelp("use `jwt.<claim>`, `apikey.<field>`, `mtls.spiffe` or a literal, chained with `?`"));
    return false;
  }
}
