package dev.warden.policy.bundle;

/**
 * How long one stage of a run took, as measured by the ticker the caller passed to {@link
 * BundleCompiler#compile(dev.warden.policy.source.Bundle, java.util.function.LongSupplier)}; 0
 * without one (the language reads no clock).
 */
public record StageTiming(String stage, long nanos) {}
