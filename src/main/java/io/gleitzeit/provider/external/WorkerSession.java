package io.gleitzeit.provider.external;

import io.gleitzeit.provider.ProviderRuntime;
import io.gleitzeit.provider.ProviderRuntime.WorkerHeartbeat;
import io.gleitzeit.provider.ProviderRuntime.WorkerOutcome;
import io.gleitzeit.provider.TaskKey;
import io.gleitzeit.workflow.TaskError;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What one connection does with the frames its worker sends (SPEC §6): heartbeats go to the runtime, answers
 * complete the attempts the {@link WebSocketExecutor} sent, and answers for attempts this connection never sent
 * (sent before a reconnect, or late) still go to the workflow through the runtime, which fences them by attempt.
 * Such an answer, or a start, for an attempt the provider does not hold (unknown, already answered, cancelled or
 * reassigned) also gets an {@code error} frame: the worker learns that it was not taken.
 */
public final class WorkerSession {

  private final WebSocketExecutor executor;
  private final ActorRef<ProviderRuntime.Message> connection;
  private final Consumer<String> send;
  private final Function<TaskKey, CompletionStage<Boolean>> heldByProvider;

  /**
   * {@code connection} forwards to the connection's runtime; {@code send} puts a text frame on the socket;
   * {@code heldByProvider} asks the provider entity whether it holds an attempt.
   */
  public WorkerSession(WebSocketExecutor executor, ActorRef<ProviderRuntime.Message> connection,
                       Consumer<String> send, Function<TaskKey, CompletionStage<Boolean>> heldByProvider) {
    this.executor = executor;
    this.connection = connection;
    this.send = send;
    this.heldByProvider = heldByProvider;
  }

  public void onFrame(InboundFrame frame) {
    if (frame instanceof InboundFrame.Heartbeat) {
      connection.tell(WorkerHeartbeat.INSTANCE);
    } else if (frame instanceof InboundFrame.Started s) {
      // For an attempt this connection did not send, the workflow learns of the start at the attempt's end.
      if (!executor.started(s.key())) {
        refuseUnlessHeld("task:started", s.key());
      }
    } else if (frame instanceof InboundFrame.Completed c) {
      if (!executor.completed(c.key(), c.result())) {
        connection.tell(new WorkerOutcome(c.key(), c.result(), null));
        refuseUnlessHeld("task:completed", c.key());
      }
    } else if (frame instanceof InboundFrame.Failed f) {
      if (!executor.failed(f.key(), f.message(), f.retryable())) {
        connection.tell(new WorkerOutcome(f.key(), null, TaskError.ofProvider(f.message(), f.retryable())));
        refuseUnlessHeld("task:failed", f.key());
      }
    } else if (frame instanceof InboundFrame.Invalid i) {
      send.accept(WorkerFrames.error(i.problem()));
    }
    // InboundFrame.Unknown: frames of unknown type are ignored (SPEC §6).
  }

  /** An error frame when the provider does not hold {@code key}; nothing when it does, or cannot say. */
  private void refuseUnlessHeld(String type, TaskKey key) {
    heldByProvider.apply(key).whenComplete((held, failure) -> {
      if (failure == null && !held) {
        send.accept(WorkerFrames.error(type + " of workflow " + key.workflowId() + ", task " + key.taskId()
            + ", attempt " + key.attempt() + ": not an attempt this provider holds (unknown, already answered, "
            + "cancelled or reassigned): it changes nothing"));
      }
    });
  }
}
