package dev.warden.server.openapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class WardenNamesTest {
  @Test
  void operationIdsKeepTheirCamelCaseAndLoseWhatNamesCannotHold() {
    assertThat(WardenNames.camel("listPets", "x")).isEqualTo("listPets");
    assertThat(WardenNames.camel("repos/list-for-org", "x")).isEqualTo("reposListForOrg");
    assertThat(WardenNames.camel("get_user by.id", "x")).isEqualTo("get_userById");
    assertThat(WardenNames.camel("2fa-verify", "x")).isEqualTo("_2faVerify");
    assertThat(WardenNames.camel("café", "x")).isEqualTo("caf");
    assertThat(WardenNames.camel("---", "fallback")).isEqualTo("fallback");
  }

  @Test
  void keywordsGetATrailingUnderscore() {
    assertThat(WardenNames.camel("owner", "x")).isEqualTo("owner_");
    assertThat(WardenNames.camel("DELETE", "x")).isEqualTo("DELETE_");
    assertThat(WardenNames.snake("Test", "x")).isEqualTo("test_");
    assertThat(WardenNames.isName("owner")).isFalse();
    assertThat(WardenNames.isName("owners")).isTrue();
  }

  @Test
  void titlesBecomeSnakeCasePackages() {
    assertThat(WardenNames.snake("Swagger Petstore", "api")).isEqualTo("swagger_petstore");
    assertThat(WardenNames.snake("GitHub v3 REST API", "api")).isEqualTo("github_v3_rest_api");
    assertThat(WardenNames.snake("  ", "openapi")).isEqualTo("openapi");
    assertThat(WardenNames.snake("", "api")).isEqualTo("api_");
  }

  @Test
  void collisionsAreNumberedInOrder() {
    WardenNames.Unique u = new WardenNames.Unique();
    assertThat(List.of(u.take("a"), u.take("a2"), u.take("a"), u.take("a"))).containsExactly("a", "a2", "a3", "a4");
  }

  @Property
  void everyCamelNameIsAValidWardenName(@ForAll String text) {
    String name = WardenNames.camel(text, "fallback");
    assertThat(name).matches("[a-zA-Z_][a-zA-Z_0-9]*");
    assertThat(WardenNames.isName(name)).isTrue();
    assertThat(WardenNames.camel(text, "fallback")).isEqualTo(name);
  }

  @Property
  void everySnakeNameIsAValidWardenName(@ForAll String text) {
    assertThat(WardenNames.isName(WardenNames.snake(text, "api"))).isTrue();
  }

  @Property
  void uniqueNamesAreDistinct(@ForAll List<@net.jqwik.api.constraints.StringLength(max = 3) String> names) {
    WardenNames.Unique u = new WardenNames.Unique();
    List<String> out = new ArrayList<>();
    names.forEach(n -> out.add(u.take(n)));
    assertThat(new HashSet<>(out)).hasSameSizeAs(out);
  }
}
