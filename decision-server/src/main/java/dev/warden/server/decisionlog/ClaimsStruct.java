package dev.warden.server.decisionlog;

import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.warden.server.authz.StructClaims;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * A caller's claims (JSON values: String, Number, Boolean, List, Map, null) as the protobuf
 * {@link Struct} a decision record carries them in. Every number becomes a double, as Envoy's
 * jwt_authn metadata and the decide API already carry them, so a replayed claim reads as it read
 * behind Envoy; a whole number past 2^53 from a token Warden verified itself loses its last
 * digits. A value of another type (none of the identity paths makes one) is kept as its text.
 */
final class ClaimsStruct {
  private ClaimsStruct() {}

  static Struct of(Map<String, ?> claims) {
    if (claims instanceof StructClaims view) {
      // Envoy's jwt_authn payload or the decide API's claims: already the Struct, logged as received.
      return view.struct();
    }
    Struct.Builder s = Struct.newBuilder();
    claims.forEach((k, v) -> s.putFields(k, value(v)));
    return s.build();
  }

  @SuppressWarnings("unchecked")
  private static Value value(Object v) {
    Value.Builder b = Value.newBuilder();
    if (v == null) {
      return b.setNullValue(NullValue.NULL_VALUE).build();
    }
    if (v instanceof String s) {
      return b.setStringValue(s).build();
    }
    if (v instanceof Boolean bool) {
      return b.setBoolValue(bool).build();
    }
    if (v instanceof Number n) {
      return b.setNumberValue(n.doubleValue()).build();
    }
    if (v instanceof Map<?, ?> m) {
      return b.setStructValue(of((Map<String, ?>) m)).build();
    }
    if (v instanceof Iterable<?> list) {
      ListValue.Builder l = ListValue.newBuilder();
      list.forEach(x -> l.addValues(value(x)));
      return b.setListValue(l).build();
    }
    return b.setStringValue(String.valueOf(v)).build();
  }

  /** A Struct as its JSON mapping, a plain JSON object; keys sorted, numbers as protobuf prints a double. */
  static void write(JsonGenerator g, Struct s) throws IOException {
    g.writeStartObject();
    for (Map.Entry<String, Value> e : new TreeMap<>(s.getFieldsMap()).entrySet()) {
      g.writeFieldName(e.getKey());
      value(g, e.getValue());
    }
    g.writeEndObject();
  }

  private static void value(JsonGenerator g, Value v) throws IOException {
    switch (v.getKindCase()) {
      case STRING_VALUE -> g.writeString(v.getStringValue());
      case BOOL_VALUE -> g.writeBoolean(v.getBoolValue());
      case NUMBER_VALUE -> {
        double d = v.getNumberValue();
        if (Double.isFinite(d)) {
          g.writeNumber(d);
        } else {
          g.writeString(Double.toString(d));
        }
      }
      case STRUCT_VALUE -> write(g, v.getStructValue());
      case LIST_VALUE -> {
        g.writeStartArray();
        for (Value x : v.getListValue().getValuesList()) {
          value(g, x);
        }
        g.writeEndArray();
      }
      default -> g.writeNull();
    }
  }
}
