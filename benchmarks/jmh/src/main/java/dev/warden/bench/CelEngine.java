package dev.warden.bench;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import dev.warden.bench.Scenario.Obj;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * CEL-Java in its fastest sensible configuration: the host parses the request, looks the role
 * grants up in its own index and fetches the object; only the attribute condition (ownership and
 * tenant) is CEL, compiled once and evaluated per request.
 */
public final class CelEngine extends HostEngine {
  static final String CONDITION =
      "is_admin || (resource.tenant == claims.tenant && (!owner_only || resource.owner == claims.sub))";

  private final CelRuntime.Program program;
  private final Map<Obj, Map<String, String>> resources = new IdentityHashMap<>();

  public CelEngine(Scenario scenario) {
    super("cel-java", scenario);
    CelCompiler compiler = CelCompilerFactory.standardCelCompilerBuilder()
        .addVar("claims", MapType.create(SimpleType.STRING, SimpleType.DYN))
        .addVar("resource", MapType.create(SimpleType.STRING, SimpleType.STRING))
        .addVar("is_admin", SimpleType.BOOL)
        .addVar("owner_only", SimpleType.BOOL)
        .setResultType(SimpleType.BOOL)
        .build();
    try {
      CelAbstractSyntaxTree ast = compiler.compile(CONDITION).getAst();
      this.program = CelRuntimeFactory.standardCelRuntimeBuilder().build().createProgram(ast);
    } catch (CelValidationException | CelEvaluationException e) {
      throw new IllegalStateException("CEL condition does not compile", e);
    }
    // CEL reads documents as maps; converting the data once keeps that cost out of each decision.
    for (Map<String, Obj> objects : scenario.objects().values()) {
      for (Obj o : objects.values()) {
        Map<String, String> fields = new HashMap<>();
        fields.put("owner", o.owner());
        fields.put("tenant", o.tenant());
        resources.put(o, fields);
      }
    }
  }

  @Override
  boolean decide(Map<String, Object> claims, List<String> roles, HostIndex.Match match) {
    HostIndex.Access access = index.access(roles, match.entry().route());
    if (access == HostIndex.Access.DENIED || match.id() == null) {
      return access != HostIndex.Access.DENIED;
    }
    Obj o = match.entry().objects().get(match.id());
    if (o == null) {
      return false;
    }
    Map<String, String> resource = resources.get(o);
    boolean isAdmin = access == HostIndex.Access.ADMIN;
    boolean ownerOnly = match.entry().route().action().ownerOnly();
    try {
      return Boolean.TRUE.equals(program.eval(name -> Optional.ofNullable(switch (name) {
        case "claims" -> claims;
        case "resource" -> resource;
        case "is_admin" -> isAdmin;
        case "owner_only" -> ownerOnly;
        default -> null;
      })));
    } catch (CelEvaluationException e) {
      return false;
    }
  }
}
