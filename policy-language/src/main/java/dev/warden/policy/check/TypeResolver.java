package dev.warden.policy.check;

import dev.warden.policy.ast.TypeRef;
import dev.warden.policy.diag.Diagnostic;
import dev.warden.policy.diag.Diagnostics;
import dev.warden.policy.diag.EditDistance;
import dev.warden.policy.types.Type;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns a written type (`map<string, {owner: string}>`) into a {@link Type}. */
final class TypeResolver {
  private static final Map<String, Type> SCALARS = Map.of(
      "bool", Type.BOOL, "int", Type.INT, "decimal", Type.DECIMAL, "string", Type.STRING,
      "duration", Type.DURATION, "time", Type.TIME, "ip", Type.IP, "cidr", Type.CIDR);
  private static final List<String> NAMES =
      List.of("bool", "int", "decimal", "string", "duration", "time", "ip", "cidr", "list", "set", "map");

  private TypeResolver() {}

  /** The type, or null after reporting an error. */
  static Type resolve(TypeRef ref, Diagnostics diagnostics) {
    if (ref instanceof TypeRef.Optional o) {
      Type inner = resolve(o.inner(), diagnostics);
      return inner == null ? null : Type.optional(inner);
    }
    if (ref instanceof TypeRef.Record r) {
      Map<String, Type> fields = new LinkedHashMap<>();
      for (TypeRef.Field f : r.fields()) {
        Type t = resolve(f.type(), diagnostics);
        if (t == null) {
          return null;
        }
        if (fields.put(f.name(), f.optional() ? Type.optional(t) : t) != null) {
          diagnostics.add(Diagnostic.error("check.duplicate_field", f.span(), "field `" + f.name() + "` is declared twice"));
          return null;
        }
      }
      return Type.record(fields);
    }
    TypeRef.Named n = (TypeRef.Named) ref;
    Type scalar = SCALARS.get(n.name());
    int want = switch (n.name()) {
      case "list", "set" -> 1;
      case "map" -> 2;
      default -> 0;
    };
    if (scalar == null && want == 0) {
      Diagnostic d = Diagnostic.error("check.unknown_type", n.span(), "unknown type `" + n.name() + "`");
      diagnostics.add(EditDistance.closest(n.name(), NAMES).map(s -> d.withHelp("did you mean `" + s + "`?"))
          .orElse(d.withHelp("types are: " + String.join(", ", NAMES))));
      return null;
    }
    if (n.args().size() != want) {
      String form = switch (n.name()) {
        case "list" -> "list<T>";
        case "set" -> "set<T>";
        case "map" -> "map<string, T>";
        default -> n.name();
      };
      diagnostics.add(Diagnostic.error("check.bad_type", n.span(), "write `" + form + "`, found `" + n.name()
          + "` with " + n.args().size() + " type argument" + (n.args().size() == 1 ? "" : "s")));
      return null;
    }
    if (scalar != null) {
      return scalar;
    }
    List<Type> args = n.args().stream().map(a -> resolve(a, diagnostics)).toList();
    if (args.contains(null)) {
      return null;
    }
    return switch (n.name()) {
      case "list" -> new Type.ListType(args.get(0));
      case "set" -> new Type.SetType(args.get(0));
      default -> {
        if (args.get(0) != Type.STRING) {
          diagnostics.add(Diagnostic.error("check.bad_type", n.args().get(0).span(), "map keys must be `string`"));
          yield null;
        }
        yield new Type.MapType(args.get(1));
      }
    };
  }
}
