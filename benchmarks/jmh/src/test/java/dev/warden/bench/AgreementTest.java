package dev.warden.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AgreementTest {
  private static Scenario scenario;
  private static WardenEngine warden;

  @BeforeAll
  static void generate() {
    scenario = Scenario.generate(7, new Scenario.Sizes(5, 8, 24, 16, 600));
    warden = new WardenEngine(scenario);
  }

  @Test
  void scenarioMixesAllowsAndDenials() {
    int allowed = Agreement.allowedCount(scenario, warden);
    assertThat(allowed).isBetween(scenario.inputs().size() / 5, scenario.inputs().size() * 4 / 5);
  }

  @Test
  void handWrittenAgreesWithWarden() {
    assertThat(Agreement.disagreements(scenario, warden, new HandWrittenEngine(scenario), 5)).isEmpty();
  }

  @Test
  void celAgreesWithWarden() {
    assertThat(Agreement.disagreements(scenario, warden, new CelEngine(scenario), 5)).isEmpty();
  }

  @Test
  void casbinAgreesWithWarden() {
    assertThat(Agreement.disagreements(scenario, warden, new CasbinEngine(scenario), 5)).isEmpty();
  }

  @Test
  void generationIsDeterministic() {
    Scenario again = Scenario.generate(7, new Scenario.Sizes(5, 8, 24, 16, 600));
    assertThat(WardenBundle.files(again)).isEqualTo(WardenBundle.files(scenario));
    assertThat(again.inputs().stream().map(Input::path).toList())
        .isEqualTo(scenario.inputs().stream().map(Input::path).toList());
  }

  @Test
  void agreementCheckRejectsAnEngineThatDecidesDifferently() {
    Engine allowAll = new Engine() {
      @Override
      public String name() {
        return "allow-all";
      }

      @Override
      public boolean allowed(Input input) {
        return true;
      }
    };
    assertThat(Agreement.disagreements(scenario, warden, allowAll, 3)).hasSize(3);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Agreement.require(scenario, warden, List.of(allowAll)))
        .isInstanceOf(IllegalStateException.class);
  }
}
