package dev.warden.policy.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FrozenMapTest {
  @Test
  void aViewReadsThroughAndRefusesWrites() {
    Map<String, String> headers = Map.of("x-tenant", "acme");
    FrozenMap<String, String> view = FrozenMap.view(headers);
    assertThat(view).isEqualTo(headers).containsEntry("x-tenant", "acme").hasSize(1);
    assertThat(view.containsKey("x-tenant")).isTrue();
    assertThatThrownBy(() -> view.put("x-tenant", "globex")).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> view.entrySet().iterator().next().setValue("globex"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(FrozenMap.view(view)).isSameAs(view);
  }

  @Test
  void requestsAndIdentitiesKeepFrozenMapsAndCopyOthers() {
    Map<String, String> mutable = new HashMap<>(Map.of("x-tenant", "acme"));
    FrozenMap<String, String> frozen = FrozenMap.view(Map.of("x-tenant", "acme"));
    Request kept = Request.builder("GET", "/", Instant.EPOCH).headers(frozen).context(frozen).build();
    assertThat(kept.headers()).isSameAs(frozen);
    assertThat(kept.context()).isSameAs(frozen);

    Request copied = Request.builder("GET", "/", Instant.EPOCH).headers(mutable).build();
    mutable.put("x-tenant", "globex");
    assertThat(copied.headers()).containsEntry("x-tenant", "acme");

    Map<String, Object> claims = new HashMap<>(Map.of("sub", "alice"));
    Identity identity = new Identity(claims, null);
    claims.put("sub", "mallory");
    assertThat(identity.claims()).containsEntry("sub", "alice");
    FrozenMap<String, Object> frozenClaims = FrozenMap.view(Map.of("sub", "alice"));
    assertThat(new Identity(frozenClaims, null).claims()).isSameAs(frozenClaims);
  }
}
