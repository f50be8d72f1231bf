package io.gleitzeit.provider;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CompletionStage;

/**
 * The work of one provider type. {@link ProviderRuntime} does the bookkeeping (held attempts, reporting
 * at least once, cancellation); an executor only runs attempts. It must not block the calling thread.
 */
public interface TaskExecutor {

  ProviderDescriptor descriptor();

  /** Completes with the result, or exceptionally with a {@link TaskFailure} (anything else is retryable). */
  CompletionStage<JsonNode> execute(TaskRequest request);

  /** Stop the attempt where possible; its outcome is ignored either way. */
  default void cancel(TaskKey key) {}
}
