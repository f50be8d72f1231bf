package io.gleitzeit.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RetryPolicyTest {

    private static RetryPolicy policy(Backoff backoff, long baseMs, long maxMs, boolean jitter) {
        return new RetryPolicy(5, backoff, Duration.ofMillis(baseMs), Duration.ofMillis(maxMs), jitter);
    }

    @ParameterizedTest(name = "{0} base {1} max {2} after attempt {3} -> {4} ms")
    @CsvSource({
            "FIXED,       1000, 60000, 1,    1000",
            "FIXED,       1000, 60000, 7,    1000",
            "FIXED,       5000,  2000, 1,    2000",
            "LINEAR,      1000, 60000, 1,    1000",
            "LINEAR,      1000, 60000, 3,    3000",
            "LINEAR,      1500, 60000, 4,    6000",
            "LINEAR,      1000,  2500, 3,    2500",
            "EXPONENTIAL, 1000, 60000, 1,    1000",
            "EXPONENTIAL, 1000, 60000, 2,    2000",
            "EXPONENTIAL, 1000, 60000, 3,    4000",
            "EXPONENTIAL, 1000, 60000, 6,   32000",
            "EXPONENTIAL, 1000, 60000, 7,   60000",
            "EXPONENTIAL,  250, 60000, 4,    2000",
            "EXPONENTIAL, 1000, 60000, 63,  60000",
            "EXPONENTIAL, 1000, 60000, 2000000000, 60000",
            "EXPONENTIAL,    0, 60000, 100,     0",
            "LINEAR,      1000, 60000, 2000000000, 60000",
            "EXPONENTIAL, 1000,     0, 3,       0"})
    void shouldComputeTheDelayWithoutJitter(Backoff backoff, long baseMs, long maxMs, int attempt, long expectedMs) {
        assertEquals(Duration.ofMillis(expectedMs), policy(backoff, baseMs, maxMs, false).delayAfter(attempt, () -> {
            throw new AssertionError("no randomness without jitter");
        }));
    }

    @ParameterizedTest(name = "{0} after attempt {1} with random {2} -> {3} ms")
    @CsvSource({
            "EXPONENTIAL, 3, 0.0,     0",
            "EXPONENTIAL, 3, 0.5,  2000",
            "EXPONENTIAL, 3, 0.25, 1000",
            "EXPONENTIAL, 9, 0.5, 30000",
            "LINEAR,      2, 0.75, 1500",
            "FIXED,       1, 0.999999, 999",
            "FIXED,       1, 1.7,  1000",
            "FIXED,       1, -3,      0"})
    void shouldDrawJitterUniformlyBetweenZeroAndTheCappedDelay(Backoff backoff, int attempt, double random,
                                                                long expectedMs) {
        Duration d = policy(backoff, 1000, 60000, true).delayAfter(attempt, () -> random);
        assertEquals(expectedMs, d.toMillis());
    }

    @Test
    void shouldStayWithinBoundsForEveryRandomValue() {
        RetryPolicy p = policy(Backoff.EXPONENTIAL, 1000, 60000, true);
        for (int attempt = 1; attempt <= 10; attempt++) {
            Duration cap = policy(Backoff.EXPONENTIAL, 1000, 60000, false).delayAfter(attempt, () -> 0);
            for (double r = 0; r < 1; r += 0.01) {
                double random = r;
                Duration d = p.delayAfter(attempt, () -> random);
                assertEquals(true, !d.isNegative() && d.compareTo(cap) <= 0, d + " within [0, " + cap + "]");
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"1, 1, false", "3, 1, true", "3, 2, true", "3, 3, false", "3, 4, false"})
    void shouldAllowAnotherAttemptOnlyBelowMaxAttempts(int maxAttempts, int failedAttempt, boolean allowed) {
        RetryPolicy p = new RetryPolicy(maxAttempts, Backoff.FIXED, Duration.ZERO, Duration.ZERO, false);
        assertEquals(allowed, p.allowsAnotherAttempt(failedAttempt));
    }

    @Test
    void shouldRejectImpossiblePolicies() {
        assertThrows(IllegalArgumentException.class,
                () -> new RetryPolicy(0, Backoff.FIXED, Duration.ZERO, Duration.ZERO, false));
        assertThrows(IllegalArgumentException.class,
                () -> new RetryPolicy(1, Backoff.FIXED, Duration.ofMillis(-1), Duration.ZERO, false));
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.DEFAULT.delayAfter(0, () -> 0));
    }
}
