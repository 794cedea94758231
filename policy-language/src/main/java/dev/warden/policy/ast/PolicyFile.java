package dev.warden.policy.ast;

import dev.warden.policy.diag.SourceFile;
import dev.warden.policy.diag.Span;
import java.util.List;

/** One parsed `.warden` file. The AST holds no parser types and is immutable. */
public record PolicyFile(SourceFile source, String packageName, Span packageSpan, List<Decl> decls) {
  public PolicyFile {
    decls = List.copyOf(decls);
  }

  public <T extends Decl> List<T> declsOf(Class<T> kind) {
    return decls.stream().filter(kind::isInstance).map(kind::cast).toList();
  }
}
