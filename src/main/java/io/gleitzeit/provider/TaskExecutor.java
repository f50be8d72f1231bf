package io.gleitzeit.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

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

  /**
   * As {@link #execute(TaskRequest, Runnable)}, with {@code progress} to report how the attempt goes (any JSON
   * object, from any thread, as often as it makes sense: each becomes a live-only {@code task:progress} event).
   * Executors that report nothing need not override it.
   */
  default CompletionStage<JsonNode> execute(TaskRequest request, Runnable started, Consumer<ObjectNode> progress) {
    return execute(request, started);
  }

  /** Stop the attempt where possible; its outcome is ignored either way. */
  default void cancel(TaskKey key) {}

  /** The provider takes no more work from this executor's runtime, for {@code reason}; it stops right after. */
  default void detached(String reason) {}

  /**
   * Its runtime has stopped (the node stops): end what still runs, whose attempts will run again elsewhere as new
   * attempts, and release what the executor holds. Nothing is asked of it after this.
   */
  default void close() {}
}
