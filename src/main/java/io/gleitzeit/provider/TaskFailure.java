package io.gleitzeit.provider;

import java.time.Duration;

/**
 * An executor's way to fail an attempt with a message and whether another attempt may succeed; optionally the
 * least time to wait before that attempt (an HTTP {@code Retry-After}, SPEC §7).
 */
public final class TaskFailure extends RuntimeException {
  private final boolean retryable;
  private final Duration retryAfter;
  private final String type;

  public TaskFailure(String message, boolean retryable) {
    this(message, retryable, null);
  }

  /** {@code retryAfter} may be null: no minimum beyond the task's retry policy. */
  public TaskFailure(String message, boolean retryable, Duration retryAfter) {
    this(message, retryable, retryAfter, null);
  }

  /** {@code type}: the provider's own error type (an external worker's), or null for {@code provider_error}. */
  public TaskFailure(String message, boolean retryable, Duration retryAfter, String type) {
    super(message, null, false, false);
    this.retryable = retryable;
    this.retryAfter = retryAfter;
    this.type = type;
  }

  /** The provider's own error type, or null. */
  public String type() {
    return type;
  }

  public boolean retryable() {
    return retryable;
  }

  /** The least delay before the next attempt, or null when the retry policy alone decides. */
  public Duration retryAfter() {
    return retryAfter;
  }
}
