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
 * reassigned) also gets an {@code error} frame: the worker learns that it was not taken. A second answer on the
 * same connection is refused at once, without asking the provider: it may still hold the attempt, the first answer
 * being on its way to the workflow.
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
        refuseUnlessHeld("task:started", s.key(), null);
      }
    } else if (frame instanceof InboundFrame.Completed c) {
      if (!executor.completed(c.key(), c.result())) {
        refuseUnlessHeld("task:completed", c.key(), new WorkerOutcome(c.key(), c.result(), null));
      }
    } else if (frame instanceof InboundFrame.Failed f) {
      if (!executor.failed(f.key(), f.message(), f.retryable(), f.errorType())) {
        refuseUnlessHeld("task:failed", f.key(), new WorkerOutcome(f.key(), null, new TaskError(f.message(),
            f.retryable(), f.errorType() != null ? f.errorType() : TaskError.PROVIDER)));
      }
    } else if (frame instanceof InboundFrame.Invalid i) {
      send.accept(WorkerFrames.error(i.problem()));
    }
    // InboundFrame.Unknown: frames of unknown type are ignored (SPEC §6).
  }

  /**
   * Forwards {@code outcome} (when there is one) once the provider has said whether it holds {@code key}, and
   * answers an error frame when it does not; asked first, so that the answer is about the attempt as it stood
   * before this outcome could release it. When the provider cannot say, the outcome goes on without a frame.
   */
  private void refuseUnlessHeld(String type, TaskKey key, WorkerOutcome outcome) {
    if (executor.answered(key)) {
      send.accept(WorkerFrames.error(type + " of workflow " + key.workflowId() + ", task " + key.taskId()
          + ", attempt " + key.attempt() + ": this attempt was answered already; the first answer counts"));
      return;
    }
    heldByProvider.apply(key).whenComplete((held, failure) -> {
      if (outcome != null) {
        connection.tell(outcome);
      }
      if (failure == null && !held) {
        send.accept(WorkerFrames.error(type + " of workflow " + key.workflowId() + ", task " + key.taskId()
            + ", attempt " + key.attempt() + ": not an attempt this provider holds (unknown, already answered, "
            + "cancelled or reassigned): it changes nothing"));
      }
    });
  }
}
