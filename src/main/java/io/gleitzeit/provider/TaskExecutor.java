package io.gleitzeit.provider;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CompletionStage;

/**
 * The work of one provider. {@link ProviderRuntime} does the bookkeeping (held attempts, reporting at least
 * once, heartbeats, cancellation); an executor only runs attempts. It must not block the calling thread.
 */
public interface TaskExecutor {

  /**
   * Runs one attempt: calls {@code started} when the work has begun (at most once, from any thread) and
   * completes with the result, or exceptionally with a {@link TaskFailure} (anything else is retryable).
   */
  CompletionStage<JsonNode> execute(TaskRequest request, Runnable started);

  /** Stop the attempt where possible; its outcome is ignored either way. */
  default void cancel(TaskKey key) {}
}
