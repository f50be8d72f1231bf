package io.gleitzeit.provider;

/** An executor's way to fail an attempt with a message and whether another attempt may succeed. */
public final class TaskFailure extends RuntimeException {
  private final boolean retryable;

  public TaskFailure(String message, boolean retryable) {
    super(message, null, false, false);
    this.retryable = retryable;
  }

  public boolean retryable() {
    return retryable;
  }
}
