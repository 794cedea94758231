package dev.warden.server.authz;

import static dev.warden.server.authz.Sidecar.check;
import static dev.warden.server.authz.Sidecar.decisions;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.warden.server.LogCapture;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A call whose decision completes after {@link ExtAuthzService#check} returned (the heavy pool
 * here; a quota's round trip later) is answered when it completes, exactly once; one that nothing
 * completes is answered within twice the decision deadline, and a decision made after that is
 * dropped, not sent a second time.
 */
class LaterAnswersTest {
  @TempDir Path dir;

  /** What a call was answered, as the transport sees it. */
  static final class Answers implements StreamObserver<CheckResponse> {
    final List<CheckResponse> responses = new ArrayList<>();
    final CountDownLatch completed = new CountDownLatch(1);
    int completions;
    int errors;

    @Override
    public synchronized void onNext(CheckResponse value) {
      responses.add(value);
    }

    @Override
    public synchronized void onError(Throwable t) {
      errors++;
      completed.countDown();
    }

    @Override
    public synchronized void onCompleted() {
      completions++;
      completed.countDown();
    }

    synchronized int calls() {
      return responses.size() + completions + errors;
    }
  }

  @Test
  void aDecisionCompletedLaterIsAnsweredOnceWhenItCompletes() throws Exception {
    HeavyDecisionsTest.Gate pool = new HeavyDecisionsTest.Gate(false);
    try (Sidecar s = Sidecar.with().bundle(Sidecar.writeBundle(dir)).heavy(pool).start()) {
      Answers answers = new Answers();
      s.extAuthz.check(check("GET", "/scan", Map.of("sub", "u5000"), Map.of()), answers);
      assertThat(answers.calls()).as("nothing answered before the heavy pool decides").isZero();
      assertThat(pool.waiting).hasSize(1);
      pool.runAll();
      assertThat(answers.completed.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(answers.responses).singleElement().satisfies(r -> assertThat(r.hasOkResponse()).isTrue());
      assertThat(answers.completions).isEqualTo(1);
      assertThat(answers.errors).isZero();
      assertThat(s.value(decisions("ext_authz", "allow", 200))).isEqualTo(1.0);
    }
  }

  @Test
  void aDecisionNothingCompletesIsAnsweredWithinTwiceTheDeadlineAndOnlyOnce() throws Exception {
    HeavyDecisionsTest.Gate pool = new HeavyDecisionsTest.Gate(false);
    long deadline = TimeUnit.MILLISECONDS.toNanos(50);
    try (LogCapture logs = new LogCapture(Level.INFO);
        Sidecar s = Sidecar.with().bundle(Sidecar.writeBundle(dir)).heavy(pool).deadline(deadline).failureStatus(503)
            .start()) {
      Answers answers = new Answers();
      long start = System.nanoTime();
      s.extAuthz.check(check("GET", "/scan", Map.of("sub", "u5000"), Map.of()), answers);
      assertThat(answers.completed.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(2 * deadline);
      CheckResponse r = answers.responses.get(0);
      String id = AuthorizerOutcomesTest.assertGenericDenial(r, 503, "unavailable", "internal error");
      assertThat(logs.warnings()).anySatisfy(l -> assertThat(l).startsWith("ERROR")
          .contains("decision " + id + ": ext_authz deny 503 error GET")
          .contains("no decision within twice `authz.decision_deadline` (100 ms)"));
      // The pool gets to it at last: past its deadline, it is dropped, never a second answer.
      pool.runAll();
      assertThat(answers.calls()).isEqualTo(2);
      assertThat(answers.responses).hasSize(1);
      assertThat(logs.warnings()).anySatisfy(l -> assertThat(l).startsWith("WARN")
          .contains("decision " + id + ": decided on the heavy pool after it was answered"));
      assertThat(s.value(decisions("ext_authz", "error", 503))).isEqualTo(1.0);
      assertThat(s.value("warden_internal_errors_total")).isEqualTo(1.0);
    }
  }

  @Test
  void callsOnTheSameConnectionAreAnsweredWhileOneWaitsForTheHeavyPool() throws Exception {
    HeavyDecisionsTest.Gate pool = new HeavyDecisionsTest.Gate(false);
    try (Sidecar s = Sidecar.with().bundle(Sidecar.writeBundle(dir)).heavy(pool).start()) {
      Answers heavy = new Answers();
      s.extAuthz.check(check("GET", "/scan", Map.of("sub", "u5000"), Map.of()), heavy);
      // Decided and answered before check() returns, on this thread.
      Answers light = new Answers();
      s.extAuthz.check(check("GET", "/scan", Map.of("sub", "u10"), Map.of()), light);
      assertThat(light.calls()).isEqualTo(2);
      assertThat(light.responses.get(0).hasOkResponse()).isTrue();
      assertThat(heavy.calls()).isZero();
      pool.runAll();
      assertThat(heavy.completed.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(heavy.calls()).isEqualTo(2);
    }
  }
}
