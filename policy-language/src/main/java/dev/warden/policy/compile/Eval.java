package dev.warden.policy.compile;

/** A compiled expression: a closure with every name already resolved to a slot. */
@FunctionalInterface
interface Eval {
  /** The value; null only for an absent optional. */
  Object eval(Frame f);
}
