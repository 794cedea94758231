package dev.warden.policy.compile;

/** A collection that answers policy membership from a {@link ScalarIndex} instead of a scan. */
interface Indexed {
  ScalarIndex index();
}
