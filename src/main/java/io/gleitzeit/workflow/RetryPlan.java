package io.gleitzeit.workflow;

import java.time.Instant;

/** A failed attempt that will run again: the attempt number it runs as, after what delay, and when. */
public record RetryPlan(int nextAttempt, long delayMs, Instant retryAt) {}
