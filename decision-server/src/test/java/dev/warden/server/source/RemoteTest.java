package dev.warden.server.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The remote poll's schedule: the interval, doubled per failure up to the cap, jittered within bounds. */
class RemoteTest {
  private static final Remote R = new Remote(Duration.ofSeconds(30), 0.2, Duration.ofMinutes(5), Duration.ofSeconds(10),
      null, null, false);

  @Test
  void afterASuccessTheIntervalAfterFailuresDoublingUpToTheCap() {
    assertThat(R.next(0, 0.5)).isEqualTo(Duration.ofSeconds(30));
    assertThat(R.next(1, 0.5)).isEqualTo(Duration.ofSeconds(60));
    assertThat(R.next(2, 0.5)).isEqualTo(Duration.ofSeconds(120));
    assertThat(R.next(3, 0.5)).isEqualTo(Duration.ofSeconds(240));
    assertThat(R.next(4, 0.5)).isEqualTo(Duration.ofMinutes(5));
    assertThat(R.next(1_000, 0.5)).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void jitterSpreadsTheDelayEvenly() {
    assertThat(R.next(0, 0.0)).isEqualTo(Duration.ofSeconds(24));
    assertThat(R.next(0, 0.999999)).isBetween(Duration.ofMillis(35_999), Duration.ofSeconds(36));
  }

  @Property
  void everyDelayIsWithinTheJitterOfItsBase(@ForAll @IntRange(min = 0, max = 100) int failures,
      @ForAll @DoubleRange(min = 0, max = 1, maxIncluded = false) double u) {
    double base = Math.min(30.0 * Math.pow(2, Math.min(failures, 30)), 300.0);
    double seconds = R.next(failures, u).toNanos() / 1e9;
    assertThat(seconds).isBetween(base * 0.8 - 1e-6, base * 1.2 + 1e-6);
  }
}
