package io.gleitzeit.domain;

import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * The effective retry policy of a task: the task's partial {@code retry}, then {@code defaults.retry},
 * then SPEC §7's defaults (3 attempts, exponential, base 1 s, max 60 s, jitter on).
 *
 * @param maxAttempts total automatic attempts allowed, at least 1 (1 means no retry)
 */
public record RetryPolicy(int maxAttempts, Backoff backoff, Duration baseDelay, Duration maxDelay, boolean jitter) {

    public static final RetryPolicy DEFAULT =
            new RetryPolicy(3, Backoff.EXPONENTIAL, Duration.ofSeconds(1), Duration.ofSeconds(60), true);

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be >= 1, got " + maxAttempts);
        }
        Objects.requireNonNull(backoff, "backoff");
        Objects.requireNonNull(baseDelay, "baseDelay");
        Objects.requireNonNull(maxDelay, "maxDelay");
        if (baseDelay.isNegative() || maxDelay.isNegative()) {
            throw new IllegalArgumentException("delays must be >= 0, got base " + baseDelay + ", max " + maxDelay);
        }
    }

    /**
     * SPEC §7: the delay before the attempt that follows failed attempt {@code k} (k >= 1): fixed
     * {@code base}; linear {@code base * k}; exponential {@code base * 2^(k-1)}; capped at
     * {@code maxDelay}; with jitter a uniform delay in [0, that], drawn from {@code random} in [0, 1).
     */
    public Duration delayAfter(int failedAttempt, DoubleSupplier random) {
        if (failedAttempt < 1) {
            throw new IllegalArgumentException("failedAttempt starts at 1, got " + failedAttempt);
        }
        Duration capped = min(uncapped(failedAttempt), maxDelay);
        if (!jitter) {
            return capped;
        }
        // Clamp so that a misbehaving supplier cannot push the delay outside [0, capped].
        double r = Math.min(Math.max(random.getAsDouble(), 0.0), 1.0);
        return Duration.ofNanos((long) (saturatedNanos(capped) * r));
    }

    /** True when failed attempt {@code k} may be followed by another automatic attempt. */
    public boolean allowsAnotherAttempt(int failedAttempt) {
        return failedAttempt < maxAttempts;
    }

    private Duration uncapped(int k) {
        try {
            return switch (backoff) {
                case FIXED -> baseDelay;
                case LINEAR -> baseDelay.multipliedBy(k);
                // Past 2^62 any non-zero base is beyond every cap: saturate instead of overflowing.
                case EXPONENTIAL -> k - 1 >= 62
                        ? (baseDelay.isZero() ? Duration.ZERO : maxDelay)
                        : baseDelay.multipliedBy(1L << (k - 1));
            };
        } catch (ArithmeticException overflow) {
            return maxDelay;
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }
}
