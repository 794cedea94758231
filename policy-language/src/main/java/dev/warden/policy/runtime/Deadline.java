package dev.warden.policy.runtime;

/**
 * When a decision must stop, on top of the bundle's step budget. The language has no clock:
 * whoever asks for a decision and has one (the sidecar) passes a deadline, and the evaluator asks
 * it every {@value #CHECK_EVERY} steps whether it has passed. Offline (`warden test`, `eval`)
 * decisions have none, which keeps them deterministic.
 */
@FunctionalInterface
public interface Deadline {
  /** How many steps pass between two questions to the deadline. */
  int CHECK_EVERY = 256;

  /** No deadline: only the step budget bounds the decision. */
  Deadline NONE = () -> false;

  boolean passed();
}
