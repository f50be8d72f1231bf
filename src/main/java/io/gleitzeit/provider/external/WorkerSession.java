package io.gleitzeit.provider.external;

import io.gleitzeit.provider.ProviderRuntime;
import io.gleitzeit.provider.ProviderRuntime.WorkerHeartbeat;
import io.gleitzeit.provider.ProviderRuntime.WorkerOutcome;
import io.gleitzeit.workflow.TaskError;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What one connection does with the frames its worker sends (SPEC §6): heartbeats go to the runtime, answers
 * complete the attempts the {@link WebSocketExecutor} sent, and answers for attempts this connection never sent
 * (sent before a reconnect, or late) still go to the workflow through the runtime, which fences them by attempt.
 */
public final class WorkerSession {

  private final WebSocketExecutor executor;
  private final ActorRef<ProviderRuntime.Message> connection;
  private final Consumer<String> send;

  /** {@code connection} forwards to the connection's runtime; {@code send} puts a text frame on the socket. */
  public WorkerSession(WebSocketExecutor executor, ActorRef<ProviderRuntime.Message> connection,
                       Consumer<String> send) {
    this.executor = executor;
    this.connection = connection;
    this.send = send;
  }

  public void onFrame(InboundFrame frame) {
    if (frame instanceof InboundFrame.Heartbeat) {
      connection.tell(WorkerHeartbeat.INSTANCE);
    } else if (frame instanceof InboundFrame.Started s) {
      executor.started(s.key()); // for an attempt this connection did not send, the workflow learns of it at its end
    } else if (frame instanceof InboundFrame.Completed c) {
      if (!executor.completed(c.key(), c.result())) {
        connection.tell(new WorkerOutcome(c.key(), c.result(), null));
      }
    } else if (frame instanceof InboundFrame.Failed f) {
      if (!executor.failed(f.key(), f.message(), f.retryable())) {
        connection.tell(new WorkerOutcome(f.key(), null, TaskError.ofProvider(f.message(), f.retryable())));
      }
    } else if (frame instanceof InboundFrame.Invalid i) {
      send.accept(WorkerFrames.error(i.problem()));
    }
    // InboundFrame.Unknown: frames of unknown type are ignored (SPEC §6).
  }
}
