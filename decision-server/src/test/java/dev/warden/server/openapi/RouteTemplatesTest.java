package dev.warden.server.openapi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.policy.bundle.CompileResult;
import dev.warden.policy.source.Bundle;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class RouteTemplatesTest {
  @Test
  void parametersAreTypedFromTheirSchemas() {
    var types = Map.of("petId", RouteTemplates.ParamType.INT, "orderId", RouteTemplates.ParamType.UUID);
    assertThat(RouteTemplates.toWarden("/pets/{petId}/orders/{orderId}/{name}", types).path())
        .isEqualTo("/pets/{petId:int}/orders/{orderId:uuid}/{name}");
  }

  @Test
  void segmentsWardenCannotMatchLiterallyBecomeOneParameterWithANote() {
    RouteTemplates.Converted c = RouteTemplates.toWarden("/repos/{owner}/compare/{base}...{head}", Map.of());
    assertThat(c.path()).isEqualTo("/repos/{owner}/compare/{base}");
    assertThat(c.notes()).singleElement().asString().contains("`{base}...{head}` is not a Warden literal");
    assertThat(RouteTemplates.toWarden("/files/a,b", Map.of()).path()).isEqualTo("/files/{segment2}");
  }

  @Test
  void trailingSlashesAndEmptySegmentsAreDropped() {
    assertThat(RouteTemplates.toWarden("/pets/", Map.of()).path()).isEqualTo("/pets");
    assertThat(RouteTemplates.toWarden("/pets/", Map.of()).notes()).hasSize(1);
    assertThat(RouteTemplates.toWarden("/", Map.of()).path()).isEqualTo("/");
    assertThat(RouteTemplates.toWarden("/", Map.of()).notes()).isEmpty();
  }

  @Test
  void repeatedAndInvalidParameterNamesBecomeDistinctNames() {
    assertThat(RouteTemplates.toWarden("/a/{id}/b/{id}", Map.of()).path()).isEqualTo("/a/{id}/b/{id2}");
    assertThat(RouteTemplates.toWarden("/a/{pet-id}", Map.of()).path()).isEqualTo("/a/{petId}");
  }

  @Test
  void parametersMayBeNamedLikeKeywords() {
    String path = RouteTemplates.toWarden("/repos/{owner}/{in}/{2fa}", Map.of()).path();
    assertThat(path).isEqualTo("/repos/{owner}/{in}/{_2fa}");
    CompileResult r = BundleCompiler.standard().upTo(BundleCompiler.LINT).compile(
        Bundle.of(Map.of("p.warden", "package p\napi \"t\" {\n  route r GET " + path + "\n}\n")), System::nanoTime);
    assertThat(r.errors()).as(r.render()).isEmpty();
  }

  @Test
  void theShapeIgnoresParameterNamesAndTypes() {
    assertThat(RouteTemplates.shape("/pets/{petId}")).isEqualTo(RouteTemplates.shape("/pets/{id:int}")).isEqualTo("/pets/{}");
    assertThat(RouteTemplates.shape("/assets/**")).isEqualTo("/assets/**");
    assertThat(RouteTemplates.shape("/")).isEqualTo("/");
  }

  @Provide
  Arbitrary<String> openApiPaths() {
    Arbitrary<String> segment = Arbitraries.oneOf(
        Arbitraries.strings().withChars("abcXYZ019-._~!$&'+=:@,;*%() ").ofMinLength(0).ofMaxLength(6),
        Arbitraries.strings().withChars("abcXYZ_-1").ofMinLength(0).ofMaxLength(5).map(n -> "{" + n + "}"),
        Arbitraries.of("{id}", "{id}.json", "{a}-{b}", ".", "..", ""));
    return segment.list().ofMinSize(0).ofMaxSize(5).map(l -> "/" + String.join("/", l));
  }

  /** Whatever path a spec has, the route Warden gets from it compiles (parse and check, no errors). */
  @Property(tries = 300)
  void everyConvertedPathCompiles(@ForAll("openApiPaths") String path) {
    String warden = RouteTemplates.toWarden(path, Map.of("id", RouteTemplates.ParamType.INT)).path();
    CompileResult r = BundleCompiler.standard().upTo(BundleCompiler.LINT).compile(
        Bundle.of(Map.of("p.warden", "package p\napi \"t\" {\n  route r GET " + warden + "\n}\n")), System::nanoTime);
    assertThat(r.errors()).as(path + " -> " + warden + "\n" + r.render()).isEmpty();
    assertThat(RouteTemplates.shape(warden)).doesNotContain("//");
    assertThat(List.of(warden)).allMatch(p -> p.equals("/") || !p.endsWith("/"));
  }
}
