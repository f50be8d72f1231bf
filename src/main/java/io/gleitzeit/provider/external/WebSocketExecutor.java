package io.gleitzeit.provider.external;

import com.fasterxml.jackson.databind.JsonNode;
import io.gleitzeit.provider.TaskExecutor;
import io.gleitzeit.provider.TaskFailure;
import io.gleitzeit.provider.TaskKey;
import io.gleitzeit.provider.TaskRequest;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The executor of an external worker's connection: an attempt is a {@code task:execute} frame out, and the
 * worker's {@code task:started}, {@code task:completed} or {@code task:failed} frame back. Thread-safe: the
 * runtime calls {@link #execute} from its actor, the connection's frames arrive on the stream.
 */
public final class WebSocketExecutor implements TaskExecutor {

  private record Pending(CompletableFuture<JsonNode> outcome, Runnable started, AtomicBoolean startReported) {}

  /** How many answered attempts a connection remembers, to refuse a second answer at once. */
  static final int ANSWERED_REMEMBERED = 1024;

  private final Consumer<String> send;
  private final Map<TaskKey, Pending> pending = new ConcurrentHashMap<>();
  /**
   * The attempts this connection's worker answered lately. A second answer sent right after the first finds the
   * provider still holding the attempt (the first is on its way to the workflow), so only this says it is a repeat.
   */
  private final Set<TaskKey> answered = Collections.newSetFromMap(Collections.synchronizedMap(
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<TaskKey, Boolean> eldest) {
          return size() > ANSWERED_REMEMBERED;
        }
      }));

  /** {@code send} puts one text frame on the connection (it must not block). */
  public WebSocketExecutor(Consumer<String> send) {
    this.send = send;
  }

  /**
   * Sends the attempt to the worker. When the connection is gone the future simply never completes: a closed
   * socket is silence, and the provider entity hands the attempt back once it turns unhealthy (SPEC §6).
   */
  @Override
  public CompletionStage<JsonNode> execute(TaskRequest request, Runnable started) {
    CompletableFuture<JsonNode> outcome = new CompletableFuture<>();
    pending.put(request.key(), new Pending(outcome, started, new AtomicBoolean()));
    send.accept(WorkerFrames.execute(request));
    return outcome;
  }

  @Override
  public void cancel(TaskKey key) {
    Pending p = pending.remove(key);
    send.accept(WorkerFrames.cancel(key));
    if (p != null) {
      p.outcome().completeExceptionally(new TaskFailure("cancelled", false)); // the runtime ignores it
    }
  }

  /** Tells the worker why its connection is about to close (the runtime stops, which closes it). */
  @Override
  public void detached(String reason) {
    send.accept(WorkerFrames.error(reason));
  }

  /** The worker's {@code task:started}; false when this connection sent no such attempt. */
  public boolean started(TaskKey key) {
    Pending p = pending.get(key);
    if (p == null) {
      return false;
    }
    if (p.startReported().compareAndSet(false, true)) {
      p.started().run();
    }
    return true;
  }

  /** The worker's {@code task:completed}; false when this connection has no such attempt pending. */
  public boolean completed(TaskKey key, JsonNode result) {
    Pending p = pending.remove(key);
    if (p == null) {
      return false;
    }
    answered.add(key);
    return p.outcome().complete(result);
  }

  /** The worker's {@code task:failed}; false when this connection has no such attempt pending. */
  public boolean failed(TaskKey key, String message, boolean retryable, String errorType) {
    Pending p = pending.remove(key);
    if (p == null) {
      return false;
    }
    answered.add(key);
    return p.outcome().completeExceptionally(new TaskFailure(message, retryable, null, errorType));
  }

  /** Whether this connection's worker has answered {@code key} already (of the last {@value #ANSWERED_REMEMBERED}). */
  public boolean answered(TaskKey key) {
    return answered.contains(key);
  }

  /** Attempts sent to the worker and not answered yet. */
  public int pendingCount() {
    return pending.size();
  }
}
