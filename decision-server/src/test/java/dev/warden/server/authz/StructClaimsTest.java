package dev.warden.server.authz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.warden.policy.runtime.Identity;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StructClaimsTest {
  static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  static Value num(double d) {
    return Value.newBuilder().setNumberValue(d).build();
  }

  static final Struct PAYLOAD = Struct.newBuilder()
      .putFields("sub", str("alice"))
      .putFields("admin", Value.newBuilder().setBoolValue(true).build())
      .putFields("level", num(3))
      .putFields("score", num(2.5))
      .putFields("huge", num(1e16))
      .putFields("nothing", Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build())
      .putFields("roles", Value.newBuilder().setListValue(ListValue.newBuilder().addValues(str("customer"))
          .addValues(num(7))).build())
      .putFields("org", Value.newBuilder().setStructValue(Struct.newBuilder().putFields("tenant", str("acme"))).build())
      .build();

  @Test
  void readsEveryJsonKindAsThePolicyExpectsIt() {
    StructClaims claims = StructClaims.of(PAYLOAD);
    assertThat(claims.get("sub")).isEqualTo("alice");
    assertThat(claims.get("admin")).isEqualTo(true);
    // Numbers stay the doubles the Struct holds; ClaimNumbers turns them into principal fields,
    // as it does for every identity path.
    assertThat(claims.get("level")).isEqualTo(3.0);
    assertThat(claims.get("score")).isEqualTo(2.5);
    assertThat(claims.get("huge")).isEqualTo(1e16);
    assertThat(claims.get("nothing")).isNull();
    assertThat(claims.containsKey("nothing")).isTrue();
    assertThat(claims.get("roles")).isEqualTo(List.of("customer", 7.0));
    assertThat(claims.get("org")).isEqualTo(Map.of("tenant", "acme"));
    assertThat(claims.get("missing")).isNull();
    assertThat(claims.containsKey("missing")).isFalse();
    assertThat(claims).hasSize(8);
  }

  @Test
  void equalsTheSameClaimsCopiedIntoAPlainMap() {
    StructClaims claims = StructClaims.of(PAYLOAD);
    Map<String, Object> copy = new LinkedHashMap<>(claims);
    assertThat(copy).isEqualTo(claims).hasSize(8).containsEntry("sub", "alice").containsEntry("nothing", null);
    assertThat(claims).isEqualTo(copy);
  }

  @Test
  void isReadOnlyAndKeptAsItIsByIdentity() {
    StructClaims claims = StructClaims.of(PAYLOAD);
    assertThatThrownBy(() -> claims.put("sub", "mallory")).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> claims.entrySet().clear()).isInstanceOf(UnsupportedOperationException.class);
    @SuppressWarnings("unchecked")
    List<Object> roles = (List<Object>) claims.get("roles");
    assertThatThrownBy(() -> roles.add("admin")).isInstanceOf(UnsupportedOperationException.class);
    // Nothing can change it, so the identity need not copy it.
    assertThat(new Identity(claims, Identity.Credential.JWT, null).claims()).isSameAs(claims);
  }
}
