package dev.warden.server;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import java.time.Instant;
import java.util.Map;

/**
 * Claims as the protobuf `Struct` that Envoy's jwt_authn metadata and the decide API carry: every
 * number a double, as Envoy turns a token's JSON numbers into doubles. Shared by the parity test
 * and the adversarial suite.
 */
public final class Structs {
  private Structs() {}

  public static Struct of(Map<String, ?> m) {
    Struct.Builder s = Struct.newBuilder();
    m.forEach((k, v) -> s.putFields(k, value(v)));
    return s.build();
  }

  @SuppressWarnings("unchecked")
  private static Value value(Object v) {
    if (v == null) {
      return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
    }
    if (v instanceof String s) {
      return Value.newBuilder().setStringValue(s).build();
    }
    if (v instanceof Boolean b) {
      return Value.newBuilder().setBoolValue(b).build();
    }
    if (v instanceof Number n) {
      return Value.newBuilder().setNumberValue(n.doubleValue()).build();
    }
    if (v instanceof Map<?, ?> m) {
      return Value.newBuilder().setStructValue(of((Map<String, ?>) m)).build();
    }
    ListValue.Builder l = ListValue.newBuilder();
    ((Iterable<?>) v).forEach(x -> l.addValues(value(x)));
    return Value.newBuilder().setListValue(l).build();
  }

  public static Timestamp timestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }
}
